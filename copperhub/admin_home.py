"""The "Today" panel of the admin index: one line per daily entry point, each one click, each only for people
who may use it.

One function per line, each returning a ``TodayLine`` or ``None`` (not permitted: the line is not shown). Reads
go through each app's selectors; a page load costs one query per counted line (change sets, conflicts, the
latest commission month, the health summary's two) and none for the plain links.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.timesince import timesince

from commissions.months import month_format
from commissions.selectors import commission_month_latest_calculated
from customers.selectors import account_numbers_unresolved
from integrity.selectors import health_summary
from metrics.selectors import change_sets_awaiting_approval_by
from syncs.models import SyncRun
from syncs.services.runs import sync_run_may_start


@dataclass
class TodayLine:
    key: str
    label: str
    url: str
    # What the line says beside its link ("3 awaiting your approval"); empty for a plain link.
    detail: str = ""
    # A count that asks for action (shown as a badge when above zero); None for lines that count nothing.
    count: int | None = None
    # "ok" / "warning" / "critical" for the health line (its colour), else "".
    state: str = ""
    state_label: str = ""
    colour: str = ""


def sync_dashboard_line(*, user) -> TodayLine | None:
    if not user.has_perm("syncs.view_syncrun"):
        return None
    return TodayLine(
        "sync_dashboard", "Sync dashboard", reverse("admin:syncs_syncrun_dashboard"),
        "Copper pull, customer sync, commissions, integrity check",
    )  # fmt: skip


def fishbowl_import_line(*, user) -> TodayLine | None:
    may = user.has_perm("customers.view_fishbowlcustomer") and sync_run_may_start(
        user=user, kind=SyncRun.Kind.FISHBOWL_IMPORT
    )
    if not may:
        return None
    return TodayLine(
        "fishbowl_import", "Import from Fishbowl", reverse("admin:customers_fishbowl_import"),
        "the customer list and the sales-order line report",
    )  # fmt: skip


def metrics_push_line(*, user) -> TodayLine | None:
    may = user.has_perm("metrics.view_fieldmapping") and sync_run_may_start(
        user=user, kind=SyncRun.Kind.METRICS_DRY_RUN
    )
    if not may:
        return None
    return TodayLine(
        "metrics_push", "Sync Sales Metrics to Copper", reverse("admin:metrics_fieldmapping_check"),
        "check the mapping, then build a dry run for a second person to approve",
    )  # fmt: skip


def change_sets_line(*, user) -> TodayLine | None:
    if not (user.has_perm("metrics.view_changeset") and user.has_perm("metrics.approve_changeset")):
        return None
    count = change_sets_awaiting_approval_by(user=user).count()
    url = reverse("admin:metrics_changeset_changelist") + "?status__exact=built"
    detail = f"{count} built by someone else, awaiting your approval" if count else "none awaiting you"
    return TodayLine("change_sets", "Change sets awaiting my approval", url, detail, count=count)


def conflicts_line(*, user) -> TodayLine | None:
    if not user.has_perm("customers.view_fishbowlcustomer"):
        return None
    count = account_numbers_unresolved().count()
    detail = (
        f"{count} account number{'s' if count != 1 else ''} on several companies: choose the owner"
        if count
        else "none to resolve"
    )
    return TodayLine(
        "conflicts", "Account-number conflicts", reverse("admin:customers_account_number_conflicts"), detail,
        count=count,
    )  # fmt: skip


def commission_report_line(*, user) -> TodayLine | None:
    if not user.has_perm("commissions.view_commissionline"):
        return None
    url = reverse("admin:commissions_commissionline_report")
    month = commission_month_latest_calculated()
    if month is None:
        return TodayLine("commissions", "Commission report", url, "not calculated yet")
    label = month_format(month)
    return TodayLine("commissions", "Commission report", f"{url}?month={label}", f"latest calculated: {label}")


def health_line(*, user) -> TodayLine | None:
    if not user.has_perm("integrity.view_integrityreport"):
        return None
    url = reverse("admin:copperhub_health")
    summary = health_summary()
    if summary is None:
        return TodayLine("health", "Health", url, "no integrity report yet")
    failing = summary["failing"]
    if failing:
        by_state = ", ".join(f"{n} {state}" for state, n in summary["failing_by_state"] if n)
        detail = f"{len(failing)} check{'s' if len(failing) != 1 else ''} not OK ({by_state})"
    else:
        detail = "every check OK"
    detail += f" (checked {timesince(summary['checked_at'])} ago)"
    return TodayLine(
        "health", "Health", url, detail,
        state=summary["state"], state_label=summary["state_label"], colour=summary["colour"],
    )  # fmt: skip


LINES = (
    sync_dashboard_line,
    fishbowl_import_line,
    metrics_push_line,
    change_sets_line,
    conflicts_line,
    commission_report_line,
    health_line,
)


def today_lines(*, user) -> list[TodayLine]:
    """The Today panel's lines this user may use, in order."""
    if not (user.is_active and user.is_staff):
        return []
    return [line for line in (build(user=user) for build in LINES) if line is not None]
