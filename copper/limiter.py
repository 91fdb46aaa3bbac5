"""How the Copper client paces itself: a sliding-window limit shared by whoever holds the same limiter.

Copper allows 180 requests in any rolling 60 seconds per account. A sliding window of the send times of the
last ``limit`` requests lets a small job go at network speed (nothing waits until ``limit`` requests were sent
within one window) and holds a large one at exactly ``limit`` per window, where evenly spaced tokens would
make every job pay the spacing.

The client only knows the ``RequestLimiter`` interface (``acquire()``); this module holds the interface and
the in-process implementation. Limiters that several processes share (a database row, Redis) live in
``copper.limiter_backends`` so that the client never imports models. Every implementation takes its clock
and its sleep as arguments, so tests never really wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

WINDOW_SECONDS = 60.0


class RequestLimiter(Protocol):
    """Something the client asks before every request it sends (retries included)."""

    def acquire(self) -> float:
        """Block until one more request may be sent now and count it; returns the seconds waited."""
        ...


def window_admit(
    sent_at: Sequence[float], *, now: float, limit: int, window: float
) -> tuple[list[float], float]:
    """The sliding-window rule, shared by every implementation.

    ``sent_at`` holds the send times already counted (any order). Returns the times still inside the window
    ending at ``now`` (oldest first) and how long to wait before the next request may go: ``0.0`` means "send
    now" and the caller appends ``now`` to what it stores.
    """
    kept = sorted(t for t in sent_at if t > now - window)
    if len(kept) < limit:
        return kept, 0.0
    # The oldest of the last `limit` sends leaves the window at kept[-limit] + window.
    return kept, max(kept[-limit] + window - now, 0.001)


class SlidingWindowLimiter:
    """At most ``limit`` requests in any ``window`` seconds, for the threads of this process (thread-safe)."""

    def __init__(
        self,
        limit: int,
        *,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("A sliding-window limit needs at least one request per window.")
        self.limit = int(limit)
        self.window = float(window)
        self.clock = clock
        self.sleep = sleep
        self._sent: list[float] = []
        self._lock = threading.Lock()

    def acquire(self) -> float:
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                self._sent, wait = window_admit(self._sent, now=now, limit=self.limit, window=self.window)
                if not wait:
                    self._sent.append(now)
                    return waited
            # Sleep outside the lock so other threads can see the window too.
            self.sleep(wait)
            waited += wait


class NoLimit:
    """A limiter that never waits (``COPPER_RATE_LIMIT_PER_MINUTE = 0``, or tests with their own fakes)."""

    limit = 0

    def acquire(self) -> float:
        return 0.0
