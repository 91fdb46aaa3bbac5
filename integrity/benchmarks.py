"""``manage.py bench integrity``: every check over a large synthetic world, on a throwaway SQLite file.

The world is inserted with ``executemany`` (no history, no signals): 100,000 companies (85 % active with an
Account Order ID, some duplicated, some inactive or gone), a Fishbowl customer for most of them (plus some of
their own), 1,000,000 orders over three years (a few with unknown customers, a few void or estimates) and three
lines per order as Fishbowl exports them (~40 % shipping at $0, ~5 % card fees, the rest sales over 300 products,
a few sample kits), so the metrics check sums and ranks real line volumes. The project's database is never
touched: the default connection is pointed at a temporary file for the duration and restored afterwards.
"""

import contextlib
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse

from copper.models import CopperCompany, CopperUser, CustomFieldDefinition
from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from integrity.checks import CHECKS, chain_summary
from metrics.models import FieldMapping
from syncs.bench import Measure, benchmark
from syncs.models import SyncRun

BATCH = 20_000
TOTAL_ORDERS_FIELD = 9010
# source, region, billing address, shipping address, locked fields
CUSTOMER_TAIL = ("fishbowl_import", "", "", "", "[]")
REPS = ["Ann Rep", "Bob Rep", "Cy Rep", "Dee Rep", "Ed Rep", "Former Rep"]
PRODUCTS = 300
SAMPLE_KIT = "SAMPLE-KIT"


@contextlib.contextmanager
def throwaway_sqlite():
    """Point the default connection at a migrated temporary SQLite file; restore it afterwards."""
    if connection.vendor != "sqlite":
        raise RuntimeError("The integrity benchmark measures SQLite; unset DATABASE_URL to run it.")
    with tempfile.TemporaryDirectory(prefix="copperhub-bench-") as folder:
        settings_dict = connections["default"].settings_dict
        original = settings_dict["NAME"]
        connection.close()
        settings_dict["NAME"] = Path(folder) / "integrity-bench.sqlite3"
        try:
            call_command("migrate", verbosity=0, interactive=False)
            with connection.cursor() as cursor:
                # A throwaway file: durability buys nothing here, and fsyncs would dominate the insert time.
                cursor.execute("PRAGMA synchronous=OFF")
            yield
        finally:
            connection.close()
            settings_dict["NAME"] = original


def _insert(model, columns: list[str], rows) -> int:
    """``executemany`` in batches; ``rows`` yields tuples in ``columns`` order."""
    table = model._meta.db_table
    # Table and column names come from our own models, never from input.
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("%s" for _ in columns)})'  # noqa: S608
    count, batch = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


@contextlib.contextmanager
def indexes_deferred(*models):
    """Drop the droppable indexes of ``models``' tables, and create them again on the way out.

    Building an index once over millions of rows is a sort; keeping it up to date row by row while inserting
    costs several times more. (Indexes SQLite makes for UNIQUE columns cannot be dropped and stay.)
    """
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
            f"AND tbl_name IN ({', '.join('%s' for _ in tables)})",
            tables,
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)


def world_insert(
    *, companies: int, orders: int, lines_per_order: int = 3, seed: int = 6, all_metrics: bool = False
) -> dict[str, int]:
    rng = random.Random(seed)
    now = datetime.now(UTC).isoformat(sep=" ")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        # Index pages of millions of rows stay in memory while inserting; the checks run with the default.
        cursor.execute("PRAGMA cache_size=-262144")
    _insert(CopperUser, ["copper_id", "name", "email"], ((i + 1, n, "") for i, n in enumerate(REPS[:-1])))

    def company_rows():
        for i in range(companies):
            number = str(100_000 + (i if rng.random() > 0.01 else i - 1))  # ~1 % share an Account Order ID
            active = rng.random() < 0.85
            gone = now if rng.random() < 0.01 else None
            kind = rng.choice(["Retail", "Wholesale", "Distributor", ""])
            fields = f'[{{"custom_field_definition_id": {TOTAL_ORDERS_FIELD}, "value": {rng.randrange(30)}}}]'
            yield (i + 1, f"Company {i}", None, number, number, active, kind, "", "", "", "[]", fields, gone)

    _insert(
        CopperCompany,
        [
            "copper_id",
            "name",
            "assignee_id",
            "account_order_id",
            "account_number",
            "is_active_customer",
            "account_type",
            "region",
            "fishbowl_sales_person",
            "email_domain",
            "tags",
            "custom_fields",
            "missing_from_copper_since",
        ],
        company_rows(),
    )
    # Customers for 60 % of the companies (linked), plus 10 % of unlinked customers of their own.
    linked = [i for i in range(companies) if rng.random() < 0.6]
    types = ["retail", "wholesale", "distributor", "unknown"]

    def customer_rows():
        seen = set()
        for i in linked:
            number = str(100_000 + i)
            if number in seen:
                continue
            seen.add(number)
            yield (
                number,
                f"Customer {i}",
                rng.choice(types),
                rng.choice(REPS),
                True,
                i + 1,
                *CUSTOMER_TAIL,
                now,
                now,
            )
        for j in range(companies // 10):
            yield (
                f"X{j}",
                f"Walk-in {j}",
                rng.choice(types),
                rng.choice([*REPS, ""]),
                True,
                None,
                *CUSTOMER_TAIL,
                now,
                now,
            )

    n_customers = _insert(
        FishbowlCustomer,
        [
            "account_number",
            "name",
            "account_type",
            "sales_rep",
            "is_active",
            "copper_company_id",
            "source",
            "region",
            "billing_address",
            "shipping_address",
            "locked_fields",
            "created_at",
            "updated_at",
        ],
        customer_rows(),
    )
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT id, account_number FROM "{FishbowlCustomer._meta.db_table}"')  # noqa: S608
        customer_ids = cursor.fetchall()

    # Three years of order dates, so "last 12 months" splits the orders; mostly fulfilled, a few not counted.
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=d)).isoformat() for d in range(3 * 365)]
    statuses = [60] * 90 + [20] * 4 + [95] * 2 + [80] * 2 + [10] * 2

    def order_rows():
        for k in range(orders):
            if rng.random() < 0.03:
                customer_id, number = None, f"GONE{rng.randrange(500)}"
            else:
                customer_id, number = customer_ids[rng.randrange(len(customer_ids))]
            status = statuses[int(rng.random() * 100)]
            date = days[int(rng.random() * len(days))]
            yield (f"SO{k}", customer_id, number, "", status, date, "", "", now, now)

    with indexes_deferred(SalesOrder, SalesOrderLine):
        _insert(
            SalesOrder,
            [
                "number",
                "customer_id",
                "customer_account_number",
                "customer_name",
                "status",
                "date_issued",
                "sales_person",
                "sales_rep",
                "imported_at",
                "updated_at",
            ],
            order_rows(),
        )
        n_lines = lines_insert(rng=rng, per_order=lines_per_order)
    metrics_push_configure(all_metrics=all_metrics)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(f"PRAGMA cache_size={int(cache_size)}")
    return {"companies": companies, "customers": n_customers, "orders": orders, "order_lines": n_lines}


def lines_insert(*, rng: random.Random, per_order: int) -> int:
    """``per_order`` lines for every order: ~40 % shipping at $0, ~5 % card fees, the rest sales.

    Sales are skewed towards the first of ``PRODUCTS`` product numbers (a few best sellers, a long tail) and
    1 % of them are sample kits at $0.
    """
    products = [f"P{n:04d}" for n in range(PRODUCTS)]
    prices = [round(2 + rng.random() * 60, 2) for _ in products]
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT id FROM "{SalesOrder._meta.db_table}" ORDER BY id')  # noqa: S608
        order_ids = [row[0] for row in cursor.fetchall()]

    def line_rows():
        draw = rng.random
        for order_id in order_ids:
            for item in range(1, per_order + 1):
                kind = draw()
                if kind < 0.40:
                    yield (order_id, item, "SHIP", "", "shipping", 1, 0, 0, 0)
                elif kind < 0.45:
                    fee = round(1 + draw() * 4, 2)
                    yield (order_id, item, "CCFEE", "", "cc_processing", 1, fee, fee, 0)
                elif kind < 0.4555:
                    yield (order_id, item, SAMPLE_KIT, "", "sale", 1, 0, 0, 0)
                else:
                    # Squaring skews the draw towards the first products: a few best sellers, a long tail.
                    n = int(draw() * draw() * PRODUCTS)
                    qty = int(draw() * 24) + 1
                    price = prices[n]
                    yield (order_id, item, products[n], "", "sale", qty, price, round(qty * price, 2), 0)

    return _insert(
        SalesOrderLine,
        [
            "order_id",
            "so_item_id",
            "product_number",
            "description",
            "line_type",
            "quantity_fulfilled",
            "unit_price",
            "total_price",
            "total_cost",
        ],
        line_rows(),
    )


# (metric, Copper field type) for ``--all-metrics``: every metric the push can write, on a fitting field.
ALL_METRICS = [
    ("total_spent", "Currency"),
    ("average_order_value", "Currency"),
    ("first_order_date", "Date"),
    ("last_order_date", "Date"),
    ("days_since_last_order", "Float"),
    ("top_products", "Text"),
    ("sample_kit_sent", "Checkbox"),
    ("sample_kit_date", "Date"),
    ("spent_last_12_months", "Currency"),
]


def metrics_push_configure(*, all_metrics: bool = False) -> None:
    """Map Total Orders (or every metric) to a Copper field and record an applied push, so the metrics check
    compares values. Only Total Orders has values in Copper; the other fields are empty there."""
    CustomFieldDefinition.objects.create(
        copper_id=TOTAL_ORDERS_FIELD, name="Total Orders", data_type="Float", available_on=["company"]
    )
    FieldMapping.objects.create(metric=FieldMapping.Metric.TOTAL_ORDERS, copper_field="Total Orders")
    for offset, (metric, data_type) in enumerate(ALL_METRICS if all_metrics else [], start=1):
        name = FieldMapping.Metric(metric).label
        CustomFieldDefinition.objects.create(
            copper_id=TOTAL_ORDERS_FIELD + offset, name=name, data_type=data_type, available_on=["company"]
        )
        FieldMapping.objects.create(metric=metric, copper_field=name)
    SyncRun.objects.create(
        kind=SyncRun.Kind.METRICS_APPLY, status=SyncRun.Status.SUCCEEDED, finished_at=datetime.now(UTC)
    )


@benchmark(
    "integrity",
    help="All integrity checks over N companies and M orders on a throwaway SQLite file (target < 10 s).",
    arguments={
        "--companies": {"type": int, "default": 100_000},
        "--orders": {"type": int, "default": 1_000_000},
        "--lines-per-order": {"type": int, "default": 3, "help": "Order lines per order (0: orders only)."},
        "--all-metrics": {"action": "store_true", "help": "Map all ten metrics, not only Total Orders."},
    },
)
def integrity_benchmark(
    *, companies: int, orders: int, lines_per_order: int = 3, all_metrics: bool = False
) -> dict:
    with throwaway_sqlite():
        started = time.perf_counter()
        with transaction.atomic():
            sizes = world_insert(
                companies=companies, orders=orders, lines_per_order=lines_per_order, all_metrics=all_metrics
            )
        insert_seconds = round(time.perf_counter() - started, 1)
        reverse("admin:index")  # load the URLconf once (a worker has it loaded), not inside the first check
        per_check, results = {}, []
        with Measure() as total:
            for name, registered in CHECKS.items():
                t0 = time.perf_counter()
                result = registered.func()
                per_check[name] = {
                    "seconds": round(time.perf_counter() - t0, 3),
                    "count": result.count,
                    "state": result.state,
                }
                results.append(result)
            chain = chain_summary(results)
    return {
        **sizes,
        "insert_seconds": insert_seconds,
        "checks": per_check,
        "chain": chain,
        "queries": total.queries,
        "total_seconds": round(total.seconds, 2),
        # The metrics check is dominated by syncs.selectors.metrics_for_customers (the metrics push's own reads).
        "total_seconds_without_copper_metrics": round(
            total.seconds - per_check.get("copper_metrics", {}).get("seconds", 0), 2
        ),
        "peak_mib": total.peak_mib,
        "target_met": total.seconds < 10,
    }
