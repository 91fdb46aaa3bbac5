"""The life cycle of a sync run: start (queue), execute (in a worker or here), cancel, reap.

What a kind runs, who may start it and what follows it come from ``syncs.registry``. This module owns the
status transitions: one queued-or-running run per kind (a database constraint, met in one transaction: a start
never fails with a database error), ``waiting`` runs that start when their kind is free (a follow-up is never
dropped), a heartbeat renewed on a timer while a worker holds a run, and the reaper that fails a run whose
worker died.
"""

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from syncs import registry
from syncs.heartbeat import Heartbeat
from syncs.models import SyncRun
from syncs.progress import Progress, RunCancelled
from syncs.queue import enqueue

logger = logging.getLogger(__name__)

Kind = SyncRun.Kind
Status = SyncRun.Status

SYNC_RUN_ALREADY_ACTIVE = "A {kind} is already {status} (run #{pk}); wait for it to finish or cancel it."
SYNC_RUN_NO_PERMISSION = "{user} may not start a {kind} (it needs the permission {permission})."
SYNC_RUN_DEAD = (
    "The worker stopped renewing this run's heartbeat (last at {at:%Y-%m-%d %H:%M:%S} UTC, over {seconds} s "
    "ago): it died or was killed. The run was marked failed; committed batches are kept, start it again to resume."
)
START_ATTEMPTS = 5


class SyncRunAlreadyActive(Exception):
    """Another run of the kind is queued or running (``.run``); the API answers 409 with it."""

    def __init__(self, run: SyncRun) -> None:
        self.run = run
        super().__init__(
            SYNC_RUN_ALREADY_ACTIVE.format(kind=run.get_kind_display().lower(), status=run.status, pk=run.pk)
        )


class SyncRunPermissionDenied(PermissionError):
    pass


def sync_run_permission(*, kind: str) -> str:
    """The one permission (``app.codename``) that starting ``kind`` needs, at every door."""
    return registry.run_kind_get(kind).permission


def sync_run_may_start(*, user: AbstractBaseUser, kind: str) -> bool:
    return user.is_active and user.has_perm(sync_run_permission(kind=kind))


def sync_run_start(
    *,
    kind: str,
    user: AbstractBaseUser | None = None,
    options: dict[str, Any] | None = None,
    parent: SyncRun | None = None,
    wait_if_busy: bool = False,
) -> SyncRun:
    """Create a queued run and enqueue it after commit; the row exists before the task, so a page can poll it.

    ``user`` (a person) must hold the kind's permission (``SyncRunPermissionDenied``); runs the system starts
    pass no user. While a run of the kind is queued or running, raises ``SyncRunAlreadyActive`` — or, with
    ``wait_if_busy``, returns a run that will do the work: the queued one if it was asked the same and has not
    started (it will see everything committed before it starts), else a ``waiting`` run that is queued as soon
    as the kind is free (one per set of options: a second identical request joins it).
    """
    run_kind = registry.run_kind_get(kind)
    if user is not None and not sync_run_may_start(user=user, kind=kind):
        raise SyncRunPermissionDenied(
            SYNC_RUN_NO_PERMISSION.format(
                user=user.get_username() or "This user", kind=Kind(kind).label.lower(), permission=run_kind.permission
            )
        )
    sync_runs_reap()
    fields = {
        "kind": kind,
        "options": options or {},
        "started_by": user if user is not None and user.is_authenticated else None,
        "parent": parent,
    }
    for _ in range(START_ATTEMPTS):
        try:
            with transaction.atomic():
                run = SyncRun.objects.create(status=Status.QUEUED, step="Waiting for a worker", **fields)
        except IntegrityError:
            active = SyncRun.objects.filter(kind=kind, status__in=SyncRun.ACTIVE_STATUSES).first()
            if active is None:  # it ended between our insert and this read: the kind is free, try again
                continue
            if not wait_if_busy:
                raise SyncRunAlreadyActive(active) from None
            return _join_or_wait(active=active, fields=fields)
        _enqueue(run)
        return run
    # Runs of this kind start and end faster than we can insert: report the newest as the active one.
    raise SyncRunAlreadyActive(SyncRun.objects.filter(kind=kind).order_by("-pk").first())


def _join_or_wait(*, active: SyncRun, fields: dict[str, Any]) -> SyncRun:
    if active.status == Status.QUEUED and active.options == fields["options"]:
        return active
    with transaction.atomic():
        waiting = (
            SyncRun.objects.select_for_update()
            .filter(kind=fields["kind"], status=Status.WAITING, options=fields["options"])
            .first()
        )
        if waiting is None:
            waiting = SyncRun.objects.create(
                status=Status.WAITING, step=f"Waiting for {active} to finish", **fields
            )
    # The active run may have ended while we wrote: then nobody else would promote us.
    sync_runs_promote_waiting(kind=fields["kind"])
    waiting.refresh_from_db()
    return waiting


def _enqueue(run: SyncRun) -> None:
    def remember_task_id(task_id: str) -> None:
        SyncRun.objects.filter(pk=run.pk, task_id="").update(task_id=task_id or "")

    enqueue(sync_run_execute, run_id=run.pk, on_queued=remember_task_id, task_name=f"{run.kind}-{run.pk}")


def sync_runs_promote_waiting(*, kind: str) -> SyncRun | None:
    """Queue the oldest ``waiting`` run of ``kind`` if no run of the kind is queued or running."""
    waiting = SyncRun.objects.filter(kind=kind, status=Status.WAITING).order_by("pk").first()
    if waiting is None:
        return None
    try:
        with transaction.atomic():
            promoted = SyncRun.objects.filter(pk=waiting.pk, status=Status.WAITING).update(
                status=Status.QUEUED, step="Waiting for a worker", queued_at=timezone.now()
            )
    except IntegrityError:  # the kind is busy again; that run's end promotes this one
        return None
    if not promoted:
        return None
    waiting.refresh_from_db()
    _enqueue(waiting)
    return waiting


def sync_runs_reap() -> int:
    """Fail every running run whose heartbeat is older than ``SYNC_RUN_STALE_AFTER_SECONDS`` (its worker died).

    Called by every start and by a schedule (``syncs.tasks.sync_runs_reap_task``); frees the kind for the next
    run (and queues a waiting one). Returns how many runs it failed.
    """
    seconds = settings.SYNC_RUN_STALE_AFTER_SECONDS
    now = timezone.now()
    dead = list(
        SyncRun.objects.filter(status=Status.RUNNING, heartbeat_at__lt=now - timedelta(seconds=seconds))
    )
    failed = 0
    for run in dead:
        failed += SyncRun.objects.filter(pk=run.pk, status=Status.RUNNING, heartbeat_at=run.heartbeat_at).update(
            status=Status.FAILED,
            finished_at=now,
            message=SYNC_RUN_DEAD.format(at=run.heartbeat_at, seconds=seconds),
        )
        sync_runs_promote_waiting(kind=run.kind)
    return failed


def sync_run_execute(*, run_id: int) -> SyncRun | None:
    """Run a queued run in this process (the worker's task, or a command running it here).

    Claims the run atomically (queued → running), so a duplicate delivery does nothing (returns ``None``).
    Never raises for the runner's own failures: they end as ``failed`` with the message on the run. Then the
    kind's next waiting run is queued and the follow-ups declared for the kind run, in order.
    """
    now = timezone.now()
    claimed = SyncRun.objects.filter(pk=run_id, status=Status.QUEUED, cancel_requested=False).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, step_started_at=now, step="Starting"
    )
    if not claimed:
        logger.info("Sync run %s was not queued (already taken, cancelled or missing); nothing to do.", run_id)
        return None
    run = SyncRun.objects.get(pk=run_id)
    progress = Progress(run)
    status = Status.SUCCEEDED
    with Heartbeat(run_id=run.pk, interval=settings.SYNC_RUN_HEARTBEAT_SECONDS):
        try:
            registry.run_kind_get(run.kind).runner(run=run, progress=progress)
        except RunCancelled as exc:
            status = Status.CANCELLED
            progress.set_message(str(exc))
        except Exception as exc:
            logger.exception("Sync run %s (%s) failed", run.pk, run.kind)
            status = Status.FAILED
            progress.set_message(getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}")
        progress.flush()
    # Only a run still ours ends here: the reaper may have failed it if the database stalled us for minutes.
    SyncRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
        status=status, finished_at=timezone.now(), heartbeat_at=timezone.now()
    )
    run.refresh_from_db()
    sync_runs_promote_waiting(kind=run.kind)
    for follow_up in registry.follow_ups_after(run.kind):
        try:
            follow_up.action(run=run)
        except Exception:  # a follow-up (integrity report, next sync) never changes a finished run's outcome
            logger.exception("Follow-up %r after sync run %s failed", follow_up.label, run.pk)
    return run


def sync_run_execute_here(*, run: SyncRun, poll_seconds: float = 1.0) -> SyncRun:
    """Run ``run`` in this process and return it finished (for commands, so cron sees the outcome).

    The worker may receive the queued task too; whoever claims the run first runs it. If the worker won (or
    the run waits for its kind), wait here until it has ended.
    """
    finished = sync_run_execute(run_id=run.pk) if run.status == Status.QUEUED else None
    while finished is None:
        run.refresh_from_db()
        if run.status == Status.QUEUED:
            finished = sync_run_execute(run_id=run.pk)
            continue
        if not run.is_active:
            return run
        time.sleep(poll_seconds)
    return finished


def sync_run_cancel(*, run: SyncRun, user: AbstractBaseUser | None = None) -> SyncRun:
    """Stop a run. A queued or waiting one is cancelled at once, and so is a running one whose worker is gone
    (heartbeat older than two intervals); a live running one stops between batches."""
    who = getattr(user, "get_username", lambda: "")() or "someone"
    now = timezone.now()
    ended = SyncRun.objects.filter(pk=run.pk, status__in=(Status.QUEUED, Status.WAITING)).update(
        status=Status.CANCELLED, cancel_requested=True, finished_at=now, message=f"Cancelled by {who} before it started."
    )
    if not ended:
        gone_before = now - timedelta(seconds=2 * settings.SYNC_RUN_HEARTBEAT_SECONDS)
        ended = SyncRun.objects.filter(pk=run.pk, status=Status.RUNNING, heartbeat_at__lt=gone_before).update(
            status=Status.CANCELLED,
            cancel_requested=True,
            finished_at=now,
            message=f"Cancelled by {who}; its worker had stopped renewing the heartbeat, so it ended at once. "
            "Committed batches are kept.",
        )
    if not ended:
        SyncRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(cancel_requested=True)
    run.refresh_from_db()
    if not run.is_active:
        sync_runs_promote_waiting(kind=run.kind)
    return run
