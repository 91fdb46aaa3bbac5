"""``manage.py bench sync --companies N``: the customer sync on N companies in a scratch SQLite database.

Fills a throwaway, migrated SQLite file (never ``var/copperhub.sqlite3``) with N Copper companies, about 46 % of
them with an existing, unlinked and partly drifted Fishbowl customer (as after a Fishbowl import), then times a
full applying ``customer_sync`` (history included) and a second run, which must write nothing.
"""

import random
import time
from typing import Any

from django.db import connection
from django.test.utils import override_settings

from copper.models import CopperCompany, CopperUser
from customers.models import FishbowlCustomer
from customers.services.sync import customer_sync
from syncs.bench import Measure, benchmark, scratch_database
from syncs.models import SyncRun
from syncs.progress import Progress

ACCOUNT_TYPES = ["Retail", "Wholesale", "Distributor", "retail", "WHOLESALER", "Distributer", ""]
REGIONS = ["North", "South", "East", "West", ""]


class QueryCounter:
    """Counts statements without keeping their SQL (CaptureQueriesContext would hold every bulk INSERT)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _fill(companies: int, seed: int = 46) -> None:
    rng = random.Random(seed)
    CopperUser.objects.bulk_create([CopperUser(copper_id=i, name=f"Rep {i}") for i in range(1, 21)])
    chunk = 5000
    for start in range(0, companies, chunk):
        rows, customers = [], []
        for i in range(start, min(start + chunk, companies)):
            roll = rng.random()
            number = "" if roll < 0.03 else str(10_000 + i)
            if 0.03 <= roll < 0.035 and i > 0:
                number = str(10_000 + i - 1)  # a duplicated Account Order ID: a conflict
            name = f"Company {i}"
            rows.append(
                CopperCompany(
                    copper_id=1_000_000 + i,
                    name=name,
                    assignee_id=rng.randint(1, 20),
                    account_order_id=number,
                    account_number=number,
                    is_active_customer=rng.random() < 0.95,
                    account_type=rng.choice(ACCOUNT_TYPES),
                    region=rng.choice(REGIONS),
                    fishbowl_sales_person=f"rep{rng.randint(1, 9)}" if rng.random() < 0.5 else "",
                    address={
                        "street": f"{i} Main St",
                        "city": "Springfield",
                        "state": "IL",
                        "postal_code": "62701",
                    }
                    if rng.random() < 0.5
                    else None,
                )
            )
            if number and rng.random() < 0.46:
                drifted = rng.random() < 0.3
                customers.append(
                    FishbowlCustomer(
                        account_number=number,
                        name=name + (" (old)" if drifted else ""),
                        account_type="retail",
                    )
                )
        CopperCompany.objects.bulk_create(rows)
        FishbowlCustomer.objects.bulk_create(customers, ignore_conflicts=True)


def _timed_run() -> tuple[Any, Measure, int, SyncRun]:
    run = SyncRun.objects.create(kind=SyncRun.Kind.CUSTOMER_SYNC, options={"apply": True}, status="running")
    counter = QueryCounter()
    cpu = time.process_time()
    with connection.execute_wrapper(counter), Measure() as measure:
        result = customer_sync(apply=True, run=run, progress=Progress(run))
    measure.cpu_seconds = time.process_time() - cpu
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED)
    return result, measure, counter.count, run


@benchmark("sync", arguments={"--companies": {"type": int, "default": 100_000}})
def sync_benchmark(*, companies: int) -> dict[str, Any]:
    """Customer sync on N companies (~46 % with customers): time, companies/s, queries, peak memory, re-run."""
    # As in production: with DEBUG on, Django keeps the text of every query (memory that is not the sync's).
    with override_settings(DEBUG=False), scratch_database():
        _fill(companies)
        existing = FishbowlCustomer.objects.count()
        first, measure, queries, run = _timed_run()
        history = FishbowlCustomer.history.filter(
            history_change_reason=f"customer sync run #{run.pk}"
        ).count()
        history_before_second = FishbowlCustomer.history.count()
        second, measure2, queries2, _ = _timed_run()
        history_after = FishbowlCustomer.history.count()
    return {
        "companies": companies,
        "customers_before": existing,
        "first_run": first.counts,
        "seconds": round(measure.seconds, 2),
        # Wall time on a shared machine includes waiting for the CPU; this is the time this process computed.
        "cpu_seconds": round(measure.cpu_seconds, 2),
        "companies_per_second": round(companies / measure.seconds),
        "queries": queries,
        "peak_memory_mib": measure.peak_mib,
        "history_rows_written": history,
        "second_run_seconds": round(measure2.seconds, 2),
        "second_run_cpu_seconds": round(measure2.cpu_seconds, 2),
        "second_run_writes": second.created + second.updated,
        "second_run_queries": queries2,
        "second_run_history_rows": history_after - history_before_second,
    }
