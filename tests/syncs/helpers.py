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


class BackgroundWorker:
    """Runs each enqueued ``sync_run_execute`` in its own thread; ``join()`` waits for them all."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.run_ids: list[int] = []

    def async_task(self, func, *args, **kwargs) -> str:
        assert func is sync_run_execute, f"unexpected task {func!r}"
        run_id = kwargs["run_id"]
        # The thread opens its own connections, as a worker process would (the test database is a file).
        thread = threading.Thread(target=self._work, args=(run_id,), name=f"sync-run-{run_id}", daemon=True)
        self.run_ids.append(run_id)
        self.threads.append(thread)
        thread.start()
        return f"thread-{run_id}"

    def _work(self, run_id: int) -> None:
        try:
            sync_run_execute(run_id=run_id)
        except BaseException as exc:  # surfaced by join(); sync_run_execute itself records runner failures
            self.errors.append(exc)
        finally:
            connections.close_all()

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
