"""The integrity check on its progress page (its trigger in words, its count labelled, the findings), and the
report stored after another run, offered on that run's page."""

from django.urls import reverse

from integrity.models import IntegrityReport
from integrity.selectors import integrity_reports_of_run
from syncs.models import SyncRun
from syncs.registry import NextStep, Phrase

Trigger = IntegrityReport.Trigger

COUNT_LABELS = {
    "alerts": "Alerts raised (a check changed state)",
    # An integrity check creates and updates nothing: those counters would only be zeros.
    "created": "",
    "updated": "",
    "unchanged": "",
    "skipped": "",
}
# Findings pages offered per report: the checks that are not OK, worst first, at most this many buttons.
CHECK_BUTTONS = 4


def integrity_options_text(run: SyncRun) -> list[Phrase]:
    trigger = (run.options or {}).get("trigger", Trigger.ON_DEMAND)
    if run.parent_id:
        parent = run.parent
        return [Phrase(f"After {parent}", reverse("admin:syncs_syncrun_progress", args=[parent.pk]))]
    if trigger == Trigger.SCHEDULE:
        return [Phrase("Scheduled")]
    if trigger == Trigger.AFTER_RUN:
        return [Phrase("After a run")]
    return [Phrase("Started by hand")]


def _report_steps(*, run: SyncRun, own: bool) -> list[NextStep]:
    steps = []
    for report, problems in integrity_reports_of_run(run_id=run.pk)[:1]:
        url = reverse("admin:integrity_integrityreport_change", args=[report.pk])
        state = report.get_state_display()
        if own:
            steps.append(NextStep(f"See the findings (overall {state})", url, primary=True))
        else:
            steps.append(NextStep(f"Integrity report #{report.pk} after this run: {state}", url))
        severity = {"critical": 0, "warning": 1}
        for record in sorted(problems, key=lambda r: severity.get(r.state, 2))[:CHECK_BUTTONS]:
            detail = reverse("admin:integrity_check_detail", args=[record.check_name])
            steps.append(
                NextStep(
                    f"{record.title or record.check_name}: {record.count:,}", f"{detail}?report={report.pk}"
                )
            )
    return steps


def integrity_next_steps(run: SyncRun) -> list[NextStep]:
    """An integrity run: its report's findings (and one button per check that is not OK)."""
    return _report_steps(run=run, own=True)


def integrity_report_after_run_steps(run: SyncRun) -> list[NextStep]:
    """A pull, customer sync, apply or rollback: the integrity report stored after it, when there is one."""
    if run.status != SyncRun.Status.SUCCEEDED:
        return []
    return _report_steps(run=run, own=False)
