"""Reads for the health dashboard: rendered from stored reports only (never by running checks on page load)."""

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from integrity.checks import CHECKS
from integrity.models import SEVERITY, CheckResultRecord, IntegrityReport, State
from syncs.admin_views import run_progress_url
from syncs.models import SyncRun
from syncs.selectors import sync_runs_last_success_by_kind, sync_runs_latest_by_kind

STATE_COLOURS = {State.OK: "#2e7d32", State.WARNING: "#ed6c02", State.CRITICAL: "#c62828"}

CHAIN = [
    ("fishbowl_customers", "Fishbowl customers"),
    ("active_companies_with_id", "Active Copper companies with an Account Order ID"),
    ("matched", "…of which linked to a Fishbowl customer"),
    ("orders", "Sales orders"),
    ("unattributed_orders", "…of which outside commissions (customer unknown or unlinked)"),
]
# The chain as a strip of three stages, each a total and (for the last two) the part of it that matters:
# (key, label, part key, part label).
CHAIN_STAGES = [
    ("fishbowl_customers", "Fishbowl customers", "", ""),
    (
        "active_companies_with_id",
        "Active Copper companies with an Account Order ID",
        "matched",
        "linked to a Fishbowl customer",
    ),
    ("orders", "Sales orders", "unattributed_orders", "outside commissions (customer unknown or unlinked)"),
]


def sparkline(values: list[int], states: list[str], *, width: int = 120, height: int = 24) -> str:
    """An inline SVG line of ``values`` (oldest first), its last point coloured by the last state."""
    if not values:
        return ""
    top = max(values) or 1
    step = width / max(len(values) - 1, 1)
    points = [
        (round(i * step, 1), round(height - 2 - (v / top) * (height - 4), 1)) for i, v in enumerate(values)
    ]
    polyline = " ".join(f"{x},{y}" for x, y in points)
    x, y = points[-1]
    colour = STATE_COLOURS.get(states[-1], "#666")
    title = "Counts over the last reports: " + ", ".join(str(v) for v in values)
    return format_html(
        '<svg class="integrity-sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        "<title>{}</title>"
        '<polyline fill="none" stroke="#607d8b" stroke-width="1.5" points="{}"/>'
        '<circle cx="{}" cy="{}" r="2.5" fill="{}"/></svg>',
        width,
        height,
        width,
        height,
        title,
        title,
        polyline,
        x,
        y,
        colour,
    )


def url_or_empty(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def run_url(run: SyncRun) -> str:
    """The run's progress page."""
    return run_progress_url(run)


def last_runs(*, with_integrity: bool = True) -> list[dict[str, Any]]:
    """The latest run of each kind and when the kind last succeeded (two queries in all)."""
    latest = sync_runs_latest_by_kind()
    successes = sync_runs_last_success_by_kind()
    rows = []
    for kind, label in SyncRun.Kind.choices:
        if kind == SyncRun.Kind.INTEGRITY and not with_integrity:
            # When checks last ran is the latest report's time, said once in the board's header: reports
            # written after a sync or by the schedule have no integrity run of their own.
            continue
        run = latest.get(kind)
        rows.append(
            {
                "kind": kind,
                "label": label,
                "run": run,
                "url": run_url(run) if run else "",
                "last_success": successes.get(kind),
            }
        )
    return rows


def dashboard(*, reports: int | None = None) -> dict[str, Any]:
    """Everything the health board shows: latest report, each check with its trend, last runs, the chain."""
    reports = reports or settings.INTEGRITY_TREND_REPORTS
    recent = list(IntegrityReport.objects.order_by("-created_at", "-id")[:reports])
    latest = recent[0] if recent else None
    trend: dict[str, list[tuple[int, str]]] = {}
    by_report = {r.pk: i for i, r in enumerate(reversed(recent))}
    rows = CheckResultRecord.objects.filter(report__in=recent).values_list(
        "report_id", "check_name", "count", "state"
    )
    for _report_id, name, count, state in sorted(rows, key=lambda row: by_report[row[0]]):
        trend.setdefault(name, []).append((count, state))
    checks = []
    if latest is not None:
        results = {r.check_name: r for r in latest.results.all()}
        for name in [*CHECKS, *[n for n in results if n not in CHECKS]]:
            result = results.get(name)
            if result is None:
                continue
            points = trend.get(name, [])
            checks.append(
                {
                    "name": name,
                    "title": result.title or (CHECKS[name].title if name in CHECKS else name),
                    "state": result.state,
                    "state_label": result.get_state_display(),
                    "colour": STATE_COLOURS[result.state],
                    "count": result.count,
                    "numbers": result.numbers,
                    "note": result.note,
                    "sparkline": sparkline([p[0] for p in points], [p[1] for p in points], width=200, height=32),
                    "url": url_or_empty("admin:integrity_check_detail", name),
                }
            )
    summary = latest.summary if latest else {}
    chain = [{"key": key, "label": label, "value": summary.get(key)} for key, label in CHAIN]
    return {
        "stages": chain_stages(summary),
        "trend_reports": len(recent),
        "report": latest,
        "report_run_url": run_url(latest.run) if latest and latest.run_id else "",
        "state_colour": STATE_COLOURS.get(latest.state, "#666") if latest else "#666",
        "checks": checks,
        "chain": chain,
        "runs": last_runs(with_integrity=False),
        "run_now_url": url_or_empty("admin:integrity_run_now"),
        "audit_url": url_or_empty("admin:integrity_audit"),
        "reconciliation_url": url_or_empty("admin:commissions_commissionline_report"),
        "reports_url": url_or_empty("admin:integrity_integrityreport_changelist"),
    }


def chain_stages(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The chain's three stages with their totals, the part that matters and its share (percent or None)."""
    stages = []
    for key, label, part_key, part_label in CHAIN_STAGES:
        value, part = summary.get(key), summary.get(part_key) if part_key else None
        share = round(100 * part / value) if isinstance(part, int) and isinstance(value, int) and value else None
        stages.append(
            {"key": key, "label": label, "value": value, "part": part, "part_label": part_label, "share": share}
        )
    return stages


def health_summary() -> dict[str, Any] | None:
    """The latest report's overall state, when it was written and the titles of its checks not OK (two
    queries), for the admin index; None before the first report."""
    report = IntegrityReport.objects.order_by("-created_at", "-id").first()
    if report is None:
        return None
    failing = sorted(
        report.results.exclude(state=State.OK).values_list("title", "state", "check_name"),
        key=lambda row: (-SEVERITY[row[1]], row[0] or row[2]),
    )
    return {
        "report": report,
        "state": report.state,
        "state_label": report.get_state_display(),
        "colour": STATE_COLOURS.get(report.state, "#666"),
        "checked_at": report.created_at,
        "failing": [title or name for title, _state, name in failing],
        "failing_by_state": [
            (State(state).label.lower(), sum(1 for row in failing if row[1] == state))
            for state in (State.CRITICAL, State.WARNING)
        ],
    }


FINDINGS_PER_PAGE = 25


def check_detail(*, name: str, report_id: int | None = None, page: int | str = 1) -> dict[str, Any] | None:
    """A check's findings in the latest (or a given) report, one page of them, with its recent states.

    ``rows`` is the length of the whole finding list in ``unit`` (it may count groups while ``count`` counts
    orders); ``stored`` how many of them the report keeps (``INTEGRITY_FINDINGS_LIMIT``), which are paged.
    """
    records = CheckResultRecord.objects.filter(check_name=name).select_related("report")
    record = (
        records.filter(report_id=report_id).first()
        if report_id
        else records.order_by("-report__created_at", "-id").first()
    )
    if record is None:
        return None
    history = list(records.order_by("-report__created_at", "-id")[: settings.INTEGRITY_TREND_REPORTS])
    points = list(reversed(history))
    findings = Paginator(record.findings or [], FINDINGS_PER_PAGE).get_page(page)
    return {
        "record": record,
        "findings": findings,
        "rows": max(record.finding_rows, len(record.findings or [])),
        "stored": len(record.findings or []),
        "unit": record.finding_unit or "findings",
        "colour": STATE_COLOURS[record.state],
        "history": history,
        "sparkline": sparkline([r.count for r in points], [r.state for r in points], width=240, height=40),
        "numbers": format_html_join(
            "", "<li>{}: {}</li>", ((k.replace("_", " "), v) for k, v in record.numbers.items())
        ),
    }


def integrity_reports_of_run(*, run_id: int) -> list[tuple[IntegrityReport, list[CheckResultRecord]]]:
    """The reports stored for sync run ``run_id`` (its own, or the one after it), newest first, each with its
    checks that are not OK. Two queries."""
    reports = list(IntegrityReport.objects.filter(run_id=run_id).order_by("-pk")[:3])
    problems: dict[int, list[CheckResultRecord]] = {report.pk: [] for report in reports}
    for record in CheckResultRecord.objects.filter(report__in=reports).exclude(state=State.OK).order_by("pk"):
        problems[record.report_id].append(record)
    return [(report, problems[report.pk]) for report in reports]
