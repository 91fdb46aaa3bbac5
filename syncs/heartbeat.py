"""A run's heartbeat, renewed on a timer while its worker lives, whatever the run is doing.

Progress flushes also write the heartbeat, but a run can wait minutes on Copper or on the rate limit without
a flush; the timer keeps saying "alive" through that, so the reaper can fail a run within minutes of its worker
dying without ever failing a live one.
"""

import logging
import threading

from django.db import connections
from django.utils import timezone

from syncs.models import SyncRun

logger = logging.getLogger(__name__)


class Heartbeat:
    """``with Heartbeat(run_id=..., interval=...):`` renews ``heartbeat_at`` every ``interval`` seconds."""

    def __init__(self, *, run_id: int, interval: float) -> None:
        self.run_id = run_id
        self.interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"sync-run-{run_id}-heartbeat", daemon=True)

    def __enter__(self) -> "Heartbeat":
        if self.interval > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval + 5)

    def _beat(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                try:
                    SyncRun.objects.filter(pk=self.run_id, status=SyncRun.Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except Exception:  # a busy database delays one beat; the next one tries again
                    logger.warning("Heartbeat of sync run %s could not be written", self.run_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connections
