"""How long the client waits before retrying a call: ``Retry-After`` when Copper sends one, otherwise an
exponential backoff with jitter; never longer than ``RETRY_AFTER_CAP_SECONDS``.

Pure arithmetic: the caller sleeps, counts and decides whether to retry at all.
"""

from __future__ import annotations

import email.utils
import random
import time

# Keep retrying 429s for at least this long: Copper's window is 60 s, a 429 budget shorter than it gives up
# while the limit is still being spent by someone else.
RETRY_BUDGET_SECONDS = 90.0
# Never honour a Retry-After longer than this (a misbehaving proxy must not park a pull for an hour).
RETRY_AFTER_CAP_SECONDS = 120.0


def backoff_delay(
    attempt: int, retry_after: str | None, *, base: float, maximum: float, rng: random.Random
) -> float:
    """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0)."""
    delay = parse_retry_after(retry_after)
    if delay is None:
        ceiling = min(maximum, base * (2**attempt))
        # "Equal jitter": at least half the exponential step, so retries still spread out.
        delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    return min(delay, RETRY_AFTER_CAP_SECONDS)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); ``None`` when absent/garbled."""
    if value in (None, ""):
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())
