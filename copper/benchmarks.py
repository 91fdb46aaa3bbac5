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
``--companies 1662 --rate-limit 180`` zero 429s and a request rate within 10 % of the limit.
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

from copper.client import CopperClient
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
    },
)
def pull_benchmark(*, companies: int, rate_limit: int, fault_rate: float, seed: int = 7) -> dict[str, Any]:
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
            full, full_client, full_measure = _pull(base_url, rate_limit=rate_limit, full=True)
            sandbox_429_full = server.stats.as_dict()["responses_429"]
            server.stats.reset()
            incremental, incremental_client, _ = _pull(base_url, rate_limit=rate_limit, full=False)
            sandbox_stats = server.stats.as_dict()
            present = _mirror_check(companies)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(workdir, ignore_errors=True)

    stats = full_client.stats
    expected = math.ceil(companies / 200) + 3  # users, definitions, and the empty page after a full last one
    local_rate = round(companies / full.local_seconds) if full.local_seconds else None
    figures: dict[str, Any] = {
        "database": connection.vendor,
        "companies": companies,
        "sandbox_build_seconds": round(build.seconds, 1),
        "full_wall_seconds": round(full_measure.seconds, 2),
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
        "full_requests_allowed": f"ceil({companies}/200) + 3 = {expected}, plus retries",
        "full_429s_seen_by_client": stats.rate_limited,
        "full_429s_answered_by_sandbox": sandbox_429_full,
        "full_retries": stats.retries,
        "full_summary": full.summary(),
        "mirror_has_every_company_exactly_once": present,
        "incremental_requests": incremental_client.stats.requests,
        "incremental_requests_allowed": 3,
        "incremental_written": incremental.companies.created + incremental.companies.updated,
        "incremental_sandbox_requests": sandbox_stats["requests"],
    }
    if rate_limit:
        rate = stats.requests_per_minute
        figures["rate_limit_per_minute"] = rate_limit
        figures["observed_requests_per_minute"] = round(rate, 1) if rate else None
        figures["within_10_percent_of_limit"] = bool(rate and 0.9 * rate_limit <= rate <= rate_limit)
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
        and incremental_client.stats.requests <= 3
        and (local_rate or 0) >= (5000 if companies >= 100_000 else 0)
        and (not rate_limit or (sandbox_429_full == 0 and figures["within_10_percent_of_limit"]))
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


def _pull(base_url: str, *, rate_limit: int, full: bool):
    client = CopperClient(
        api_key="sandbox-key",
        user_email="bench@example.com",
        base_url=base_url,
        timeout=settings.COPPER_TIMEOUT_SECONDS,
        rate_per_minute=rate_limit or None,
        max_retries=max(settings.COPPER_MAX_RETRIES, 8),
        backoff_base=0.2,
    )
    now = timezone.now()
    run = SyncRun.objects.create(
        kind=SyncRun.Kind.COPPER_PULL, status=SyncRun.Status.RUNNING, started_at=now, options={"full": full}
    )
    with Measure() as measure:
        result = copper_pull(client=client, full=full, run=run, progress=Progress(run))
    # What sync_run_execute would record; the next incremental pull starts from this run's mark.
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now())
    return result, client, measure


def _mirror_check(expected: int) -> bool:
    from copper.models import CopperCompany

    return (
        CopperCompany.objects.count() == expected
        and not CopperCompany.objects.filter(missing_from_copper_since__isnull=False).exists()
    )
from copper import benchmarks_webhooks  # noqa: E402,F401,I001 - registers ``bench webhooks``
