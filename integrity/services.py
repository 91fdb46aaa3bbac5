"""Writes of the integrity app: store a report of every check, track each check's state, raise alerts.

``integrity_report_create`` is the one entry point (after a run, on a schedule, from the command, from the
INTEGRITY sync run). Alerts are created in the report's transaction; their delivery is a queued django-q2 task
(``integrity.tasks.integrity_alerts_deliver``, handed over after commit), never done inline: a slow or dead
webhook delays no sync, no report and no run's duration. Delivery never raises (see ``integrity.alerts``).
"""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrity.alerts import alert_channels
from integrity.checks import CheckResult, chain_summary, checks_run, worst
from integrity.models import Alert, CheckResultRecord, CheckState, IntegrityReport, State
from syncs.models import SyncRun
from syncs.progress import Progress
from syncs.queue import enqueue

logger = logging.getLogger(__name__)

Trigger = IntegrityReport.Trigger

# Runs after which a report is stored (when they succeed).
REPORT_AFTER_KINDS = (
    SyncRun.Kind.COPPER_PULL,
    SyncRun.Kind.CUSTOMER_SYNC,
    SyncRun.Kind.METRICS_APPLY,
    SyncRun.Kind.METRICS_ROLLBACK,
)


def integrity_report_create(
    *,
    run: SyncRun | None = None,
    trigger: str = Trigger.ON_DEMAND,
    progress: Progress | None = None,
    deliver: bool = True,
) -> IntegrityReport:
    """Run every check, store the report and its results, and alert on each check whose state changed.

    When any alert is pending (new ones, and earlier failed deliveries waiting out their backoff) and ``deliver``
    is true, the delivery task is queued after commit; the worker sends those that are due.
    """
    progress = progress or Progress.null()
    progress.step("Running integrity checks")
    started = time.perf_counter()
    results = checks_run()
    progress.add(processed=len(results))
    with transaction.atomic():
        report = IntegrityReport.objects.create(
            trigger=trigger,
            run=run,
            state=worst([r.state for r in results]),
            summary=chain_summary(results),
            duration_seconds=round(time.perf_counter() - started, 3),
        )
        CheckResultRecord.objects.bulk_create(
            CheckResultRecord(
                report=report,
                check_name=r.check,
                title=r.title,
                state=r.state,
                count=r.count,
                numbers=r.numbers,
                findings=r.findings,
                finding_rows=r.rows or 0,
                finding_unit=r.unit,
                note=r.note,
            )
            for r in results
        )
        alerts = _check_states_update(report=report, results=results)
        _reports_prune()
        if deliver and Alert.objects.filter(status=Alert.Status.PENDING).exists():
            enqueue("integrity.tasks.integrity_alerts_deliver", task_name=f"integrity-alerts-{report.pk}")
    progress.add(alerts=len(alerts))
    progress.set_message(f"Overall {report.state}; {len(alerts)} alert(s).")
    return report


def _check_states_update(*, report: IntegrityReport, results: list[CheckResult]) -> list[Alert]:
    """Compare with the stored state of each check; a change (including recovery to ok) creates an alert."""
    current = {
        s.check_name: s
        for s in CheckState.objects.select_for_update().filter(check_name__in=[r.check for r in results])
    }
    channels = alert_channels()
    now = timezone.now()
    alerts, changed, created = [], [], []
    for result in results:
        state = current.get(result.check)
        previous = state.state if state else State.OK
        if state is None:
            state = CheckState(check_name=result.check, state=previous)
            created.append(state)
        else:
            changed.append(state)
        if previous != result.state:
            alerts.append(
                Alert(
                    check_name=result.check,
                    title=result.title,
                    from_state=previous,
                    to_state=result.state,
                    count=result.count,
                    numbers=result.numbers,
                    report=report,
                    channels=channels,
                    status=Alert.Status.PENDING if channels else Alert.Status.DELIVERED,
                    next_attempt_at=now,
                )
            )
            state.changed_at = now
        state.state, state.count, state.report = result.state, result.count, report
    # Another report may have created the row meanwhile: its state stands, ours is compared next time.
    CheckState.objects.bulk_create(created, ignore_conflicts=True)
    CheckState.objects.bulk_update(changed, ["state", "count", "report", "changed_at"])
    return Alert.objects.bulk_create(alerts)


def _reports_prune() -> None:
    """Keep the newest ``INTEGRITY_REPORTS_KEEP`` reports (their findings are the bulk of the table)."""
    cutoff = (
        IntegrityReport.objects.order_by("-id")
        .values_list("id", flat=True)[settings.INTEGRITY_REPORTS_KEEP : settings.INTEGRITY_REPORTS_KEEP + 1]
        .first()
    )
    if cutoff is not None:
        IntegrityReport.objects.filter(id__lte=cutoff).delete()


def integrity_report_run(*, run: SyncRun, progress: Progress) -> None:
    """Runner of the INTEGRITY sync run (``RUNNERS``): one report, linked to this run."""
    trigger = run.options.get("trigger", Trigger.ON_DEMAND)
    if trigger not in Trigger.values:
        trigger = Trigger.ON_DEMAND
    integrity_report_create(run=run, trigger=trigger, progress=progress)


def integrity_report_after_run(*, run: SyncRun) -> IntegrityReport | None:
    """Store a report after a successful pull, customer sync or metrics apply or rollback; other runs are ignored.

    Never raises: an integrity failure is logged, the sync's outcome stands.
    """
    if run.kind not in REPORT_AFTER_KINDS or run.status != SyncRun.Status.SUCCEEDED:
        return None
    try:
        return integrity_report_create(run=run, trigger=Trigger.AFTER_RUN)
    except Exception:
        logger.exception("The integrity report after sync run %s failed", run.pk)
        return None
