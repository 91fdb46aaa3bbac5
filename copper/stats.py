"""What a Copper client counted: requests, retries and the time spent waiting (``CopperStats``), and what the
last offset search told beyond its rows (``PageInfo``). Plain data for benchmarks and run summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CopperStats:
    """Counters for benchmarks and run summaries."""

    requests: int = 0
    rate_limited: int = 0  # 429 answers seen (retried or not)
    server_errors: int = 0  # 5xx answers seen
    connection_errors: int = 0  # connection failures and timeouts
    retries: int = 0
    paced_seconds: float = 0.0  # time spent waiting for the token bucket
    backoff_seconds: float = 0.0  # time spent waiting after 429/5xx/connection errors
    http_seconds: float = 0.0  # time spent inside HTTP calls
    first_request_at: float | None = None
    last_request_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "server_errors": self.server_errors,
            "connection_errors": self.connection_errors,
            "retries": self.retries,
            "paced_seconds": round(self.paced_seconds, 3),
            "backoff_seconds": round(self.backoff_seconds, 3),
            "http_seconds": round(self.http_seconds, 3),
        }

    @property
    def requests_per_minute(self) -> float | None:
        """Observed request rate between the first and the last request sent."""
        if self.requests < 2 or self.first_request_at is None or self.last_request_at is None:
            return None
        span = self.last_request_at - self.first_request_at
        return 60.0 * (self.requests - 1) / span if span > 0 else None


@dataclass
class PageInfo:
    """What the last search told us beyond its rows."""

    total_estimate: int | None = None
    pages: int = 0
    rows: int = 0
    duplicates: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
