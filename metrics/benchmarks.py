"""``manage.py bench changeset --companies N``: build and apply a metrics change set against the Copper sandbox.

Runs on a scratch SQLite database and an in-process sandbox (its own throwaway state file). Every sandbox
company is linked to a Fishbowl customer with a few months of orders; every metric is mapped. Figures: the
build split into local work and Copper reads (requests = pages), the apply's requests per changed company, and
a second, rate-limited run (sandbox and client at 180/min, ``--limited-companies`` companies) counting 429s.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.test.utils import override_settings

from copper.client import CopperClient
from copper.models import CopperCompany
from copper.sandbox.server import sandbox_serve
from copper.sandbox.store import DEFAULT_TIMEZONE
from copper.services.pull import copper_pull
from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from metrics.models import FieldMapping
from metrics.services.changesets import change_set_apply, change_set_approve, change_set_build
from syncs.bench import Measure, benchmark, scratch_database

AS_OF = dt.date(2026, 10, 31)
FIELDS = {
    "total_orders": "Total Orders",
    "total_spent": "Total Spent",
    "average_order_value": "Average Order Value",
    "first_order_date": "First Order Date",
    "last_order_date": "Last Order Date",
    "days_since_last_order": "Days Since Last Order",
    "top_products": "Top Products",
    "sample_kit_sent": "Sample Kit Sent",
    "sample_kit_date": "Sample Kit Date",
    "spent_last_12_months": "Spent Last 12 Months",
}
PRODUCTS = ["CB-1", "CB-2", "CB-3", "CB-4", "TEA-1", "TEA-2", "MUG", "SAMPLE-KIT"]


def _world(client: CopperClient, seed: int = 5) -> int:
    """Pull the sandbox; link every company to a customer with 0–10 orders of ~3 lines; map every metric."""
    copper_pull(client=client, full=True)
    rng = random.Random(seed)
    ids = list(CopperCompany.objects.order_by("copper_id").values_list("copper_id", flat=True))
    FishbowlCustomer.objects.bulk_create(
        FishbowlCustomer(account_number=f"B{i}", name=f"Customer {i}", copper_company_id=cid)
        for i, cid in enumerate(ids)
    )
    customers = list(FishbowlCustomer.objects.values_list("pk", flat=True))
    orders = []
    for pk in customers:
        for _ in range(rng.randint(0, 10)):
            day = AS_OF - dt.timedelta(days=rng.randint(1, 700))
            orders.append(SalesOrder(number=f"SO-{len(orders)}", customer_id=pk, status=60, date_issued=day))
    SalesOrder.objects.bulk_create(orders, batch_size=2000)
    lines = []
    for order_id in SalesOrder.objects.values_list("pk", flat=True):
        for item in range(1, rng.randint(2, 4) + 1):
            qty = rng.randint(1, 12)
            lines.append(
                SalesOrderLine(
                    order_id=order_id,
                    so_item_id=item,
                    product_number=rng.choice(PRODUCTS),
                    quantity_fulfilled=qty,
                    total_price=Decimal(qty * 31),
                )  # fmt: skip
            )
        lines.append(
            SalesOrderLine(order_id=order_id, so_item_id=9, product_number="SHIP", line_type="shipping")
        )
    SalesOrderLine.objects.bulk_create(lines, batch_size=5000)
    for metric, field in FIELDS.items():
        FieldMapping.objects.create(metric=metric, copper_field=field)
    return len(ids)


def _run(*, companies: int, rate_limit: int) -> dict[str, Any]:
    # The sandbox account's timezone: Date fields cannot be written without it (and a bare shell has none set).
    with (
        scratch_database(),
        tempfile.TemporaryDirectory(prefix="copperhub-sandbox-") as tmp,
        override_settings(COPPER_TIMEZONE=DEFAULT_TIMEZONE),
    ):
        server, _thread, base_url = sandbox_serve(
            state_path=Path(tmp) / "copper.sqlite3", seed=7, companies=companies, rate_limit=rate_limit
        )
        try:
            rate = rate_limit or None

            def client() -> CopperClient:
                return CopperClient(api_key="bench", user_email="bench@example.com", base_url=base_url,
                                    rate_per_minute=rate, timeout=30)  # fmt: skip

            linked = _world(client())
            users = get_user_model().objects
            builder = users.create_superuser("builder", "b@example.com", "x")
            approver = users.create_superuser("approver", "a@example.com", "x")

            server.stats.reset()
            with Measure() as build:
                change_set = change_set_build(client=client(), user=builder, as_of=AS_OF)
            build_stats = server.stats.as_dict()
            change_set_approve(change_set=change_set, user=approver)

            server.stats.reset()
            apply_client = client()
            started = time.perf_counter()
            with Measure():
                change_set = change_set_apply(change_set=change_set, client=apply_client, user=approver)
            apply_seconds = time.perf_counter() - started
            apply_stats = server.stats.as_dict()
            changed = change_set.counts["companies_changed"]
            puts = apply_stats["by_route"].get("PUT /companies/{id}", 0)
            reads = apply_stats["by_route"].get("POST /companies/search", 0)

            server.stats.reset()
            change_set_apply(change_set=change_set, client=client(), user=approver)
            second_apply_requests = server.stats.as_dict()["requests"]
        finally:
            server.shutdown()
            server.server_close()
    return {
        "companies": linked,
        "changes": change_set.counts["changes"],
        "companies_changed": changed,
        "build_seconds": round(build.seconds, 3),
        "build_copper_seconds": change_set.counts["copper_seconds"],
        "build_local_seconds": change_set.counts["local_seconds"],
        "build_queries": build.queries,
        "build_requests": build_stats["requests"],
        "build_pages_expected": math.ceil(linked / 200),
        "build_peak_mib": build.peak_mib,
        "apply_seconds": round(apply_seconds, 2),
        "apply_http_seconds": round(apply_client.stats.http_seconds, 2),
        "apply_paced_seconds": round(apply_client.stats.paced_seconds, 2),
        "apply_local_seconds": round(
            apply_seconds - apply_client.stats.http_seconds - apply_client.stats.paced_seconds, 2
        ),
        "apply_requests": apply_stats["requests"],
        "apply_puts": puts,
        "apply_reads": reads,
        "apply_puts_per_changed_company": round(puts / changed, 3) if changed else None,
        "apply_requests_per_minute": round(60 * apply_stats["requests"] / apply_seconds, 1),
        "apply_429s": apply_stats["responses_429"],
        "apply_client_429s": apply_client.stats.rate_limited,
        "apply_outcomes": {k: v for k, v in change_set.counts.items() if k.startswith("outcome_")},
        "second_apply_requests": second_apply_requests,
    }


@benchmark(
    "changeset",
    arguments={
        "--companies": {"type": int, "default": 1662},
        "--limited-companies": {"type": int, "default": 60},
    },
)
def bench_changeset(*, companies: int, limited_companies: int) -> dict[str, Any]:
    """Metrics change set: build (local vs Copper reads) and apply (requests per company, 429s at 180/min)."""
    figures = {f"unlimited_{k}": v for k, v in _run(companies=companies, rate_limit=0).items()}
    if limited_companies:
        limited = _run(companies=limited_companies, rate_limit=180)
        figures.update({f"at_180_per_min_{k}": v for k, v in limited.items()})
    return figures
