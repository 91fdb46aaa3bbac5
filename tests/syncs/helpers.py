"""Test aids for sync runs: a background worker standing in for ``manage.py qcluster``, and a slow runner.

With ``Q_CLUSTER["sync"]`` off and no cluster running, a started run stays queued for ever. Patch
``syncs.queue.async_task`` with ``BackgroundWorker().async_task`` and each queued run executes in a thread of
this process, as a worker would, while the test (or a browser) watches its progress.
"""

from __future__ import annotations

import dataclasses
import threading
import time

from django.db import connections

from syncs import registry
from syncs.services.runs import sync_run_execute


def _in_memory_sqlite_connections() -> dict:
    """Connections the new thread must share: an in-memory SQLite database exists only inside its connection
    (pytest-django's live server shares it across threads the same way)."""
    return {
        conn.alias: conn for conn in connections.all() if conn.vendor == "sqlite" and conn.is_in_memory_db()
    }


class BackgroundWorker:
    """Runs each enqueued ``sync_run_execute`` in its own thread; ``join()`` waits for them all."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.run_ids: list[int] = []

    def async_task(self, func, *args, **kwargs) -> str:
        assert func is sync_run_execute, f"unexpected task {func!r}"
        run_id = kwargs["run_id"]
        shared = _in_memory_sqlite_connections()
        for conn in shared.values():
            conn.inc_thread_sharing()
        thread = threading.Thread(
            target=self._work, args=(run_id, shared), name=f"sync-run-{run_id}", daemon=True
        )
        self.run_ids.append(run_id)
        self.threads.append(thread)
        thread.start()
        return f"thread-{run_id}"

    def _work(self, run_id: int, shared: dict) -> None:
        for alias, conn in shared.items():
            connections[alias] = conn
        try:
            sync_run_execute(run_id=run_id)
        except BaseException as exc:  # surfaced by join(); sync_run_execute itself records runner failures
            self.errors.append(exc)
        finally:
            for conn in connections.all(initialized_only=True):
                if conn.alias in shared:
                    conn.dec_thread_sharing()
                else:
                    conn.close()

    def join(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [thread.name for thread in self.threads if thread.is_alive()]
        assert not alive, f"background runs still going after {timeout} s: {alive}"
        assert not self.errors, f"background runs raised: {self.errors!r}"


def slow_runner(*, batches: int = 10, batch_size: int = 25, delay: float = 0.5):
    """A runner that imitates a pull: ``batches`` batches of ``batch_size`` records, ``delay`` s each, reporting
    (and flushing) progress after every batch and checking for cancellation between batches."""

    def runner(*, run, progress) -> None:
        progress.step("Companies", total=batches * batch_size)
        for number in range(batches):
            time.sleep(delay)
            progress.add(processed=batch_size, created=batch_size - 5, updated=5, requests=1)
            progress.flush()
            progress.check_cancelled()
            if number == 2:
                progress.log(level="conflict", code="demo", record=f"company {number}", message="Two owners")
        progress.set_message(f"Pulled {batches * batch_size} companies.")

    return runner


def install_runner(monkeypatch, *, kind: str, runner) -> None:
    """Make ``runner`` the runner of ``kind`` for this test (the registered kind, with its runner replaced)."""
    monkeypatch.setitem(registry._KINDS, kind, dataclasses.replace(registry.run_kind_get(kind), runner=runner))
