"""Request limiters shared by every copperhub process on one Copper account: a database row, or Redis.

Both keep the send times of the last requests of the account and apply ``copper.limiter.window_admit`` in one
atomic step (a locked row in a transaction; a Lua script in Redis), then sleep outside it when the window is
full. ``shared_limiter_from_settings`` picks one from ``COPPER_RATE_LIMITER`` (``auto``: Redis when
``REDIS_URL`` is set, else the database). The clock is the wall clock (``time.time``), the one every process
agrees on; in Redis it is the server's own clock.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, transaction

from copper.limiter import WINDOW_SECONDS, NoLimit, RequestLimiter, SlidingWindowLimiter, window_admit
from copper.models import CopperRateWindow

LIMITER_CHOICES = ("auto", "database", "redis", "process")
LOCK_RETRIES = 2000  # about 10 s of 5 ms waits for a lock another process holds


class DatabaseWindowLimiter:
    """The sliding window in one ``CopperRateWindow`` row, read and rewritten under a row lock.

    On PostgreSQL ``select_for_update`` serialises the processes; on SQLite the transaction takes the write
    lock at BEGIN (``transaction_mode = IMMEDIATE`` in settings), which serialises them as well. Call it
    outside any transaction of your own, or the lock is held until yours ends.
    """

    def __init__(
        self,
        *,
        key: str,
        limit: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        self.key = key[:255]
        self.limit = int(limit)
        self.window = float(window)
        self.clock = clock
        self.sleep = sleep
        self.using = using

    def acquire(self) -> float:
        waited = 0.0
        contended = 0
        while True:
            try:
                wait = self._admit()
            except OperationalError as exc:
                # SQLite reports a lock held by another connection of a shared cache at once, without the
                # busy timeout: try again shortly (a few milliseconds is what one admission takes).
                contended += 1
                if "locked" not in str(exc) or contended > LOCK_RETRIES:
                    raise
                time.sleep(0.005)
                continue
            if not wait:
                return waited
            self.sleep(wait)
            waited += wait

    def _admit(self) -> float:
        rows = CopperRateWindow.objects.using(self.using)
        with transaction.atomic(using=self.using):
            row, _ = rows.select_for_update().get_or_create(key=self.key)
            now = self.clock()
            kept, wait = window_admit(row.sent_at or [], now=now, limit=self.limit, window=self.window)
            if not wait:
                kept.append(now)
            # Not a history-tracked model: a plain UPDATE of the locked row.
            rows.filter(pk=self.key).update(sent_at=kept[-self.limit :])
        return wait


# KEYS[1] the account's sorted set; ARGV limit, window, a unique member. Answers the seconds to wait ("0": sent).
_REDIS_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('EXPIRE', KEYS[1], math.ceil(window) + 1)
  return '0'
end
local freeing = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return tostring(math.max(tonumber(freeing[2]) + window - now, 0.001))
"""


class RedisWindowLimiter:
    """The sliding window as a Redis sorted set of send times, admitted by one Lua script (atomic)."""

    def __init__(
        self,
        *,
        key: str,
        limit: int,
        url: str = "",
        window: float = WINDOW_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        redis_client=None,
    ) -> None:
        if redis_client is None:
            import redis

            redis_client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)
        self.key = f"copperhub:copper-rate:{key}"
        self.limit = int(limit)
        self.window = float(window)
        self.sleep = sleep
        self._admit = redis_client.register_script(_REDIS_ADMIT)

    def acquire(self) -> float:
        waited = 0.0
        while True:
            wait = float(self._admit(keys=[self.key], args=[self.limit, self.window, uuid.uuid4().hex]))
            if wait <= 0:
                return waited
            self.sleep(wait)
            waited += wait


_process_limiters: dict[tuple[str, int], SlidingWindowLimiter] = {}
_process_lock = threading.Lock()


def shared_limiter_from_settings(*, account: str) -> RequestLimiter:
    """The limiter for ``account`` named by ``COPPER_RATE_LIMITER`` at ``COPPER_RATE_LIMIT_PER_MINUTE``.

    ``0`` requests per minute means no pacing. ``process`` shares one window between the threads of this
    process only (a single worker, or tests). Raises ``ValueError`` naming the setting for an unknown choice.
    """
    limit = int(getattr(settings, "COPPER_RATE_LIMIT_PER_MINUTE", 175) or 0)
    if limit <= 0:
        return NoLimit()
    choice = getattr(settings, "COPPER_RATE_LIMITER", "auto")
    if choice not in LIMITER_CHOICES:
        raise ValueError(f"COPPER_RATE_LIMITER must be one of {', '.join(LIMITER_CHOICES)}, not {choice!r}.")
    redis_url = getattr(settings, "REDIS_URL", "")
    if choice == "redis" or (choice == "auto" and redis_url):
        if not redis_url:
            raise ValueError("COPPER_RATE_LIMITER is redis but REDIS_URL is not set.")
        return RedisWindowLimiter(key=account, limit=limit, url=redis_url)
    if choice == "process":
        with _process_lock:
            return _process_limiters.setdefault((account, limit), SlidingWindowLimiter(limit))
    return DatabaseWindowLimiter(key=account, limit=limit)
