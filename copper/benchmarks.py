"""``manage.py bench pull``: a full and then an incremental Copper pull against the local sandbox.

The sandbox runs in this process (``syncs.sandbox.sandbox_serve``) on a world built in a temporary directory;
copperhub writes into a throwaway database (a temporary SQLite file, or a ``copperhub_bench_pull`` database on
PostgreSQL), so ``var/copperhub.sqlite3`` is never touched. ``DEBUG`` is off while measuring (as in
production).

Figures: companies/s of local processing (extracting, comparing and writing, i.e. excluding the time spent
waiting for HTTP), by the clock and by this thread's CPU time (which other busy processes do not inflate);
wall time, peak memory, requests made against ``ceil(N/200)`` plus a constant, 429s, the observed request rate
when a rate limit is set, and the requests of an incremental pull with no changes.
Targets (issue 3): ≥ 5,000 companies/s at 100,000 companies; incremental ≤ 3 requests; at
``--companies 1662 --rate-limit 180`` zero 429s.
Issue 13: the client paces itself with the database limiter shared by every process (``--client-limit``, 175
in any 60 s) against a sandbox limiting at ``--rate-limit``; ``--search-cap`` lowers the sandbox's
100,000-row search cap and ``--edit-every-page`` edits that many already-read companies between pages (the
keyset walk must still read every company exactly once, in ceil(N/200) + 10 requests); ``--workers 2`` then
runs a second pull and a read-only walk at once, sharing the limit (0 × 429). Figures: wall time against the
floor ``ceil(N/200) / 180`` minutes, 429s, requests.
"""

import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from copper.bench_workers import two_workers
from copper.client import CopperClient
from copper.limiter_backends import DatabaseWindowLimiter
from copper.models import CopperCompany
from copper.sandbox.chaos import WalkChaos
from copper.sandbox.server import sandbox_serve
from copper.services.pull import copper_pull
from syncs.bench import Measure, benchmark
from syncs.models import SyncRun
from syncs.progress import Progress


@benchmark(
    "pull",
    help="Full then incremental Copper pull against the in-process sandbox (companies/s, requests, 429s).",
    arguments={
        "--companies": {"type": int, "default": 100_000},
        "--rate-limit": {
            "type": int,
            "default": 0,
            "help": "Requests per minute (sandbox and client); 0 = none.",
        },
        "--fault-rate": {"type": float, "default": 0.0, "help": "Share of requests the sandbox fails."},
        "--seed": {"type": int, "default": 7},
        "--client-limit": {"type": int, "default": 175, "help": "Client requests per rolling 60 s (shared)."},
        "--search-cap": {"type": int, "default": 100_000, "help": "Rows one sandbox search can reach."},
        "--edit-every-page": {
            "type": int,
            "default": 0,
            "help": "Companies edited between pages (full pull).",
        },
        "--workers": {"type": int, "default": 1, "help": "2: then a pull and a walk at once, one limit."},
    },
)
def pull_benchmark(
    *,
    companies: int,
    rate_limit: int,
    fault_rate: float,
    seed: int = 7,
    client_limit: int = 175,
    search_cap: int = 100_000,
    edit_every_page: int = 0,
    workers: int = 1,
) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="copperhub-bench-pull-"))
    server = None
    old_name = _throwaway_database(workdir)
    try:
        with override_settings(DEBUG=False):
            with Measure() as build:
                server, _thread, base_url = sandbox_serve(
                    state_path=workdir / "sandbox.sqlite3",
                    seed=seed,
                    companies=companies,
                    rate_limit=rate_limit,
                    fault_rate=fault_rate,
                    slow_seconds=2.0,
                )
            server.store.search_cap = search_cap
            limit = client_limit if rate_limit else 0
            server.chaos = WalkChaos(edits_per_page=edit_every_page)
            full, full_client, full_measure = _pull(base_url, limit=limit, full=True)
            edited = len(server.chaos.edited)
            server.chaos = WalkChaos()
            sandbox_429_full = server.stats.as_dict()["responses_429"]
            server.stats.reset()
            incremental, incremental_client, _ = _pull(base_url, limit=limit, full=False)
            sandbox_stats = server.stats.as_dict()
            present = _mirror_check(companies)
            concurrent = two_workers(server, base_url, limit=limit, pull=_pull, client=_client) if workers >= 2 else None
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(workdir, ignore_errors=True)

    stats = full_client.stats
    expected = (
        math.ceil(companies / 200) + 10
    )  # users, definitions, the boundary rows read twice, the last page
    floor_seconds = math.ceil(companies / 200) / 180 * 60
    local_rate = round(companies / full.local_seconds) if full.local_seconds else None
    figures: dict[str, Any] = {
        "database": connection.vendor,
        "companies": companies,
        "sandbox_build_seconds": round(build.seconds, 1),
        "full_wall_seconds": round(full_measure.seconds, 2),
        "floor_seconds_ceil_n_200_at_180_per_min": round(floor_seconds, 1),
        "full_wall_vs_floor": round(full_measure.seconds / floor_seconds, 3) if rate_limit else None,
        "search_cap": search_cap,
        "edited_during_full_pull": edited,
        "full_companies_processed": full.companies.processed,
        "walk_searches": full_client.last_walk.searches if full_client.last_walk else None,
        "walk_duplicates_dropped": full_client.last_walk.duplicates if full_client.last_walk else None,
        "full_local_seconds": round(full.local_seconds, 2),
        "full_local_cpu_seconds": round(full.local_cpu_seconds, 2),
        "full_http_seconds": round(stats.http_seconds, 2),
        "full_companies_per_second_local": local_rate,
        "full_companies_per_second_local_cpu": round(companies / full.local_cpu_seconds)
        if full.local_cpu_seconds
        else None,
        "full_companies_per_second_wall": round(companies / full_measure.seconds)
        if full_measure.seconds
        else None,
        "target_companies_per_second_local": 5000,
        "full_peak_memory_mib": full_measure.peak_mib,
        "full_requests": stats.requests,
        "full_requests_allowed": f"ceil({companies}/200) + 10 = {expected}, plus retries",
        "full_429s_seen_by_client": stats.rate_limited,
        "full_429s_answered_by_sandbox": sandbox_429_full,
        "full_retries": stats.retries,
        "full_summary": full.summary(),
        "mirror_has_every_company_exactly_once": present,
        "incremental_requests": incremental_client.stats.requests,
        "incremental_requests_allowed": 3 + math.ceil(edited / 200),
        "incremental_written": incremental.companies.created + incremental.companies.updated,
        "incremental_sandbox_requests": sandbox_stats["requests"],
    }
    if rate_limit:
        figures["rate_limit_per_minute"] = rate_limit
        figures["client_limit_per_60s"] = client_limit
        figures["full_paced_seconds"] = round(stats.paced_seconds, 2)
    if concurrent is not None:
        figures["two_workers"] = concurrent
    if fault_rate:
        figures["fault_rate"] = fault_rate
        figures["full_faults"] = {
            "server_errors": stats.server_errors,
            "timeouts_or_connection_errors": stats.connection_errors,
            "429s": stats.rate_limited,
        }
    figures["checks_passed"] = bool(
        present
        and stats.requests - stats.retries <= expected
        and incremental_client.stats.requests <= 3 + math.ceil(edited / 200)
        and (local_rate or 0) >= (5000 if companies >= 100_000 and not edit_every_page else 0)
        and (not rate_limit or sandbox_429_full == 0)
        and (concurrent is None or concurrent["responses_429"] == 0)
    )
    return figures


def _throwaway_database(workdir: Path) -> str:
    """Point the default connection at a fresh, migrated database; returns the name to restore."""
    test_settings = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test_settings["NAME"] = str(workdir / "copperhub-bench.sqlite3")
    else:
        test_settings["NAME"] = "copperhub_bench_pull"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return old_name


def _pull(base_url: str, *, limit: int, full: bool, kind: str = SyncRun.Kind.COPPER_PULL):
    client = _client(base_url, limit=limit)
    now = timezone.now()
    run = SyncRun.objects.create(
        kind=kind, status=SyncRun.Status.RUNNING, started_at=now, options={"full": full}
    )
    with Measure() as measure:
        result = copper_pull(client=client, full=full, run=run, progress=Progress(run))
    # What sync_run_execute would record; the next incremental pull starts from this run's mark.
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now())
    return result, client, measure


def _client(base_url: str, *, limit: int) -> CopperClient:
    """A client paced by the database limiter every process of the account shares (none when ``limit`` is 0)."""
    return CopperClient(
        api_key="sandbox-key",
        user_email="bench@example.com",
        base_url=base_url,
        timeout=settings.COPPER_TIMEOUT_SECONDS,
        limiter=DatabaseWindowLimiter(key="bench", limit=limit) if limit else None,
        rate_per_minute=None,
        max_retries=max(settings.COPPER_MAX_RETRIES, 8),
        backoff_base=0.2,
    )


def _mirror_check(expected: int) -> bool:
    return (
        CopperCompany.objects.count() == expected
        and not CopperCompany.objects.filter(missing_from_copper_since__isnull=False).exists()
    )
from copper import benchmarks_webhooks  # noqa: E402,F401,I001 - registers ``bench webhooks``
