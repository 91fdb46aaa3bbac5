"""Progress reporting from inside a long job.

Services receive a ``Progress`` and call ``step()``, ``add()``, ``log()`` and ``check_cancelled()``; the
helper keeps counters in memory and writes them to the ``SyncRun`` row at most about once a second (and on
every ``flush()``), so reporting costs nothing per record. ``Progress.null()`` is for callers with no run.
"""

import time
from typing import Any

from django.conf import settings
from django.utils import timezone

from syncs.models import SyncRun, SyncRunLog

COUNTERS = ("processed", "created", "updated", "unchanged", "skipped", "errors")


class RunCancelled(Exception):
    """Raised between batches when a person asked the run to stop; committed batches stay."""


class Progress:
    def __init__(self, run: SyncRun | None, *, interval: float = 1.0) -> None:
        self.run = run
        self.interval = interval
        self._last_write = 0.0
        self._last_cancel_check = 0.0
        self._dirty: set[str] = set()
        self._logs: list[SyncRunLog] = []
        self._logged = 0 if run is None else run.log_entries.count()
        self.step_name = ""
        self.total: int | None = None
        self.message = ""
        self.counts: dict[str, int] = dict(run.counts) if run is not None else {}
        for name in COUNTERS:
            setattr(self, name, getattr(run, name) if run is not None else 0)

    @classmethod
    def null(cls) -> "Progress":
        """A progress that records counts in memory only (for direct service calls and tests)."""
        return cls(None)

    # --- reporting ---------------------------------------------------------------------------------------
    def step(self, name: str, *, total: int | None = None, reset: bool = True) -> None:
        """Start a named step; ``reset`` zeroes ``processed`` so percent and ETA describe this step."""
        self.step_name = name
        self.total = total
        if reset:
            self.processed = 0
        self._dirty.update({"step", "total", "processed", "step_started_at"})
        self.flush()

    def set_total(self, total: int | None) -> None:
        self.total = total
        self._dirty.add("total")
        self._maybe_flush()

    def add(self, **increments: int) -> None:
        """Add to counters: processed, created, updated, unchanged, skipped, errors, or any kind-specific count."""
        for name, value in increments.items():
            if not value:
                continue
            if name in COUNTERS:
                setattr(self, name, getattr(self, name) + value)
                self._dirty.add(name)
            else:
                self.counts[name] = self.counts.get(name, 0) + value
                self._dirty.add("counts")
        self._maybe_flush()

    def set_message(self, message: str) -> None:
        self.message = message
        self._dirty.add("message")

    def log(
        self,
        *,
        level: str,
        message: str,
        record: str = "",
        code: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Keep one per-record log entry (bounded by ``SYNC_RUN_LOG_LIMIT``; beyond it only a count grows)."""
        if self._logged >= settings.SYNC_RUN_LOG_LIMIT:
            self.add(log_entries_dropped=1)
            return
        self._logged += 1
        if self.run is None:
            # A null progress keeps entries in memory, bounded like a run's log.
            self._logs.append(
                SyncRunLog(level=level, message=message, record=record, code=code, detail=detail or {})
            )
            return
        self._logs.append(
            SyncRunLog(
                run=self.run,
                level=level,
                message=message,
                record=record[:255],
                code=code,
                detail=detail or {},
            )
        )
        if len(self._logs) >= 200:
            self.flush()

    @property
    def entries(self) -> list[SyncRunLog]:
        """Log entries kept in memory (only for a ``null()`` progress, or before a flush)."""
        return self._logs

    # --- cancellation ------------------------------------------------------------------------------------
    def check_cancelled(self) -> None:
        """Raise ``RunCancelled`` if a person asked to stop. Call between batches; reads the flag ≤ once/s."""
        if self.run is None:
            return
        now = time.monotonic()
        if now - self._last_cancel_check < min(self.interval, 1.0):
            return
        self._last_cancel_check = now
        if SyncRun.objects.filter(pk=self.run.pk, cancel_requested=True).exists():
            self.flush()
            raise RunCancelled("Cancelled on request; batches already committed are kept.")

    # --- persistence -------------------------------------------------------------------------------------
    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_write >= self.interval:
            self.flush()

    def flush(self) -> None:
        """Write changed counters (and buffered log entries) to the run row now."""
        self._last_write = time.monotonic()
        if self.run is None:
            self._dirty.clear()
            return
        now = timezone.now()
        values: dict[str, Any] = {"heartbeat_at": now}
        for name in self._dirty:
            if name == "step":
                values["step"] = self.step_name[:255]
            elif name == "step_started_at":
                values["step_started_at"] = now
            else:
                values[name] = getattr(self, name)
        # update(), not save(): the web process may be setting cancel_requested at the same moment.
        SyncRun.objects.filter(pk=self.run.pk).update(**values)
        for name, value in values.items():
            setattr(self.run, name, value)
        self._dirty.clear()
        if self._logs:
            SyncRunLog.objects.bulk_create(self._logs, batch_size=500)
            self._logs = []


def progress_snapshot(run: SyncRun) -> dict[str, Any]:
    """The numbers the progress page and the API show: percent, throughput and ETA derived from the row."""
    now = timezone.now()
    percent = None
    if run.total:
        percent = round(min(100.0, 100.0 * run.processed / run.total), 1)
    elif run.status == SyncRun.Status.SUCCEEDED:
        percent = 100.0
    rate = None
    eta_seconds = None
    step_start = run.step_started_at or run.started_at
    if step_start and run.processed and run.status == SyncRun.Status.RUNNING:
        elapsed = max((now - step_start).total_seconds(), 0.001)
        rate = run.processed / elapsed
        if run.total and run.total > run.processed:
            eta_seconds = round((run.total - run.processed) / rate)
        elif run.total:
            eta_seconds = 0
    elapsed_total = None
    if run.started_at:
        elapsed_total = round(((run.finished_at or now) - run.started_at).total_seconds(), 1)
    return {
        "id": run.pk,
        "kind": run.kind,
        "kind_display": run.get_kind_display(),
        "status": run.status,
        "status_display": run.get_status_display(),
        "step": run.step,
        "total": run.total,
        "processed": run.processed,
        "percent": percent,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "skipped": run.skipped,
        "errors": run.errors,
        "counts": run.counts,
        "message": run.message,
        "rate_per_second": round(rate, 1) if rate else None,
        "eta_seconds": eta_seconds,
        "elapsed_seconds": elapsed_total,
        "cancel_requested": run.cancel_requested,
        "queued_at": run.queued_at.isoformat() if run.queued_at else None,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "is_active": run.is_active,
    }
