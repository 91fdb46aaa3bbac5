"""The life cycle of a sync run: start (queue), execute (in a worker), cancel.

Each kind of run has one runner, a service function ``runner(*, run, progress) -> None`` named in
``RUNNERS``. The runner does the work and reports through ``progress``; this module owns the status
transitions, the one-run-per-kind rule and the ``run_finished`` signal that other apps hook into
(integrity checks after a sync, the customer sync after a pull).
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.module_loading import import_string

from syncs.models import SyncRun
from syncs.progress import Progress, RunCancelled
from syncs.tasks import enqueue

logger = logging.getLogger(__name__)

Kind = SyncRun.Kind
Status = SyncRun.Status

RUNNERS: dict[str, str] = {
    Kind.COPPER_PULL: "syncs.services.pull.copper_pull_run",
    Kind.CUSTOMER_SYNC: "customers.services.sync.customer_sync_run",
    Kind.FISHBOWL_IMPORT: "customers.services.import_run.fishbowl_import_run",
    Kind.METRICS_DRY_RUN: "syncs.services.changesets.change_set_build_run",
    Kind.METRICS_APPLY: "syncs.services.changesets.change_set_apply_run",
    Kind.METRICS_ROLLBACK: "syncs.services.changesets.change_set_rollback_run",
    Kind.COMMISSIONS: "commissions.services.commission_calculate_run",
    Kind.INTEGRITY: "integrity.services.integrity_report_run",
}

# Sent after a run ends, whatever its status: ``sender=SyncRun, run=<SyncRun>``.
run_finished = Signal()

SYNC_RUN_ALREADY_ACTIVE = "A {kind} is already {status} (run #{pk}); wait for it to finish or cancel it."


class SyncRunAlreadyActive(Exception):
    def __init__(self, run: SyncRun) -> None:
        self.run = run
        super().__init__(
            SYNC_RUN_ALREADY_ACTIVE.format(kind=run.get_kind_display().lower(), status=run.status, pk=run.pk)
        )


def sync_run_start(
    *,
    kind: str,
    user: AbstractBaseUser | None = None,
    options: dict[str, Any] | None = None,
    parent: SyncRun | None = None,
) -> SyncRun:
    """Create a queued run and enqueue its task after commit.

    Raises ``SyncRunAlreadyActive`` if a run of the same kind is queued or running. The row exists before the
    task is queued, so a progress page can poll it at once.
    """
    if kind not in RUNNERS:
        raise ValueError(f"Unknown sync run kind {kind!r}.")
    _sync_run_fail_stale(kind=kind)
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                kind=kind,
                status=Status.QUEUED,
                options=options or {},
                started_by=user if user is not None and user.is_authenticated else None,
                parent=parent,
                step="Waiting for a worker",
            )
    except IntegrityError:
        active = SyncRun.objects.filter(kind=kind, status__in=SyncRun.ACTIVE_STATUSES).first()
        if active is None:  # the other run ended between our insert and this read
            raise
        raise SyncRunAlreadyActive(active) from None

    def remember_task_id(task_id: str) -> None:
        SyncRun.objects.filter(pk=run.pk, task_id="").update(task_id=task_id or "")

    enqueue(
        "syncs.tasks.sync_run_execute_task", run.pk, on_queued=remember_task_id, task_name=f"{kind}-{run.pk}"
    )
    return run


def _sync_run_fail_stale(*, kind: str) -> None:
    """Mark runs of ``kind`` whose worker died (no heartbeat for too long) as failed, freeing the kind."""
    cutoff = timezone.now() - timedelta(seconds=settings.SYNC_RUN_STALE_AFTER_SECONDS)
    stale = SyncRun.objects.filter(kind=kind, status=Status.RUNNING, heartbeat_at__lt=cutoff)
    for run in stale:
        SyncRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
            status=Status.FAILED,
            finished_at=timezone.now(),
            message="The worker stopped reporting progress; the run was marked failed. "
            "Committed batches are kept; start the run again to resume.",
        )


def sync_run_execute(*, run_id: int) -> SyncRun | None:
    """Run a queued run in this process (called by the worker task).

    Claims the run atomically (queued → running), so a duplicate delivery of the task does nothing. Never
    raises for the runner's own failures: they end as status ``failed`` with the message on the run.
    """
    now = timezone.now()
    claimed = SyncRun.objects.filter(pk=run_id, status=Status.QUEUED, cancel_requested=False).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, step_started_at=now, step="Starting"
    )
    if not claimed:
        logger.info(
            "Sync run %s was not queued (already taken, cancelled or missing); nothing to do.", run_id
        )
        return None
    run = SyncRun.objects.get(pk=run_id)
    progress = Progress(run)
    status = Status.SUCCEEDED
    try:
        runner = import_string(RUNNERS[run.kind])
        runner(run=run, progress=progress)
    except RunCancelled as exc:
        status = Status.CANCELLED
        progress.set_message(str(exc))
    except Exception as exc:
        logger.exception("Sync run %s (%s) failed", run.pk, run.kind)
        status = Status.FAILED
        progress.set_message(getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}")
    progress.flush()
    SyncRun.objects.filter(pk=run.pk).update(
        status=status, finished_at=timezone.now(), heartbeat_at=timezone.now()
    )
    run.refresh_from_db()
    try:
        run_finished.send(sender=SyncRun, run=run)
    except Exception:  # a hook (integrity report, alert) must never change a finished run's outcome
        logger.exception("A run_finished hook failed for sync run %s", run.pk)
    return run


def sync_run_cancel(*, run: SyncRun, user: AbstractBaseUser | None = None) -> SyncRun:
    """Ask a run to stop. A queued run is cancelled at once; a running one stops between batches."""
    who = getattr(user, "get_username", lambda: "")() or "someone"
    cancelled_queued = SyncRun.objects.filter(pk=run.pk, status=Status.QUEUED).update(
        status=Status.CANCELLED,
        cancel_requested=True,
        finished_at=timezone.now(),
        message=f"Cancelled by {who} before it started.",
    )
    if not cancelled_queued:
        SyncRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(cancel_requested=True)
    run.refresh_from_db()
    return run
