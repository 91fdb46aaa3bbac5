"""``bench pull --workers 2``: two copperhub workers on one Copper account at once, sharing one limit.

One worker runs a full pull (writing the mirror) while the other walks every company read-only (as a metrics
apply re-reads companies); each has its own client and database connection, and both pace themselves through
the same ``DatabaseWindowLimiter`` row. The sandbox counts the 429s it answered: the figure is 0.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection


def two_workers(
    server: Any, base_url: str, *, limit: int, pull: Callable[..., Any], client: Callable[..., Any]
) -> dict[str, Any]:
    _client = client

    server.stats.reset()
    out: dict[str, Any] = {}
    errors: list[str] = []

    def puller() -> None:
        try:
            result, client, measure = pull(base_url, limit=limit, full=True)
            out["pull_requests"] = client.stats.requests
            out["pull_wall_seconds"] = round(measure.seconds, 1)
            out["pull_companies"] = result.companies.processed
        except Exception as exc:  # reported in the figures
            errors.append(f"pull: {exc}")
        finally:
            connection.close()

    def walker() -> None:
        try:
            client = _client(base_url, limit=limit)
            started = time.monotonic()
            rows = sum(len(page) for page in client.companies_walk(maximum_modified=int(time.time())))
            out["walk_requests"] = client.stats.requests
            out["walk_wall_seconds"] = round(time.monotonic() - started, 1)
            out["walk_companies"] = rows
        except Exception as exc:
            errors.append(f"walk: {exc}")
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=puller), threading.Thread(target=walker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    stats = server.stats.as_dict()
    requests = stats["requests"]
    out.update(
        wall_seconds=round(wall, 1),
        sandbox_requests=requests,
        responses_429=stats["responses_429"],
        floor_seconds=round(max(0, math.ceil(requests / limit) - 1) * 60, 1) if limit else None,
        errors=errors,
    )
    return out
