"""``manage.py bench commissions [--orders N]``: calculate one month of N orders (4 lines each) with history.

Runs in a throwaway SQLite database (``syncs.bench.scratch_database``), never the real one.
"""

import random
import time
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection

from commissions.models import CommissionLine, CommissionOverride, CustomerStatusPin, SalesRep, Spiff, Title
from commissions.services import commission_calculate
from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from syncs.bench import Measure, benchmark, scratch_database

MONTH = date(2026, 1, 1)
HISTORY_START = date(2023, 1, 1)
ONE_REP = "rep01"


def _world(*, orders: int, seed: int = 7) -> dict[str, int]:
    """Reps, customers, two history orders per month order, then the month: 4 lines per month order."""
    rng = random.Random(seed)
    usernames = [f"rep{i:02d}" for i in range(30)]
    SalesRep.objects.bulk_create(
        [
            SalesRep(
                fishbowl_username=name,
                name=f"Rep {name}",
                title=list(Title.values)[i % len(Title.values)],
                is_active=i % 15 != 0,
                is_commissioned=i % 10 != 9,
            )
            for i, name in enumerate(usernames)
        ]
    )
    people = [*usernames, "admin", "", "stranger"]
    types = ["wholesale"] * 6 + ["distributor"] * 2 + ["retail", "unknown"]
    n_customers = max(orders // 3, 1)
    FishbowlCustomer.objects.bulk_create(
        [
            FishbowlCustomer(account_number=f"A{i:06d}", name=f"Customer {i}", account_type=rng.choice(types))
            for i in range(n_customers)
        ],
        batch_size=2000,
    )
    customer_ids = list(FishbowlCustomer.objects.values_list("pk", flat=True))
    history_days = (MONTH - HISTORY_START).days
    order_rows, pk = [], 0
    for _ in range(orders * 2):
        pk += 1
        issued = HISTORY_START + timedelta(days=rng.randrange(history_days))
        order_rows.append(_order(pk, issued, rng.choice(customer_ids), rng.choice(usernames)))
    for _ in range(orders):
        pk += 1
        issued = MONTH + timedelta(days=rng.randrange(31))
        customer_id = None if rng.random() < 0.03 else rng.choice(customer_ids)
        order_rows.append(_order(pk, issued, customer_id, rng.choice(people)))
    SalesOrder.objects.bulk_create(order_rows, batch_size=2000)
    month_first = orders * 2 + 1
    lines = []
    for order_pk in range(1, pk + 1):
        in_month = order_pk >= month_first
        kinds = [("sale", "SKU-1"), ("sale", "KIT"), ("shipping", ""), ("cc_processing", "")]
        for item, (line_type, product) in enumerate(kinds if in_month else kinds[:1], start=1):
            quantity = Decimal(rng.randint(0 if item == 1 and rng.random() < 0.02 else 1, 12))
            price = Decimal(rng.randint(500, 20000)) / 100
            total = quantity * price if line_type == "sale" else price / 10
            lines.append(
                SalesOrderLine(
                    order_id=order_pk,
                    so_item_id=item,
                    product_number=product,
                    line_type=line_type,
                    quantity_fulfilled=quantity,
                    unit_price=price,
                    total_price=total.quantize(Decimal("0.01")),
                )
            )
        if len(lines) >= 20000:
            SalesOrderLine.objects.bulk_create(lines, batch_size=5000)
            lines = []
    SalesOrderLine.objects.bulk_create(lines, batch_size=5000)
    month_orders = list(range(month_first, pk + 1, 97))
    CommissionOverride.objects.bulk_create(
        [CommissionOverride(order_id=o, amount=Decimal("10"), reason="bench") for o in month_orders]
    )
    CustomerStatusPin.objects.bulk_create(
        [CustomerStatusPin(customer_id=c, status="new", reason="bench") for c in customer_ids[::50]]
    )
    Spiff.objects.create(
        product_number="KIT", kind="flat", value=Decimal("1.50"), start_date=date(2025, 12, 1)
    )
    Spiff.objects.create(product_number="SKU-1", kind="percent", value=Decimal("0.01"), start_date=MONTH)
    return {"customers": n_customers, "history_orders": orders * 2, "month_lines": orders * 4}


def _order(pk: int, issued: date, customer_id: int | None, person: str) -> SalesOrder:
    return SalesOrder(
        pk=pk,
        number=f"SO{pk:07d}",
        fishbowl_id=pk,
        customer_id=customer_id,
        customer_account_number="" if customer_id else "MISSING",
        status=SalesOrder.Status.FULFILLED,
        date_issued=issued,
        sales_person=person,
    )


@benchmark("commissions", arguments={"--orders": {"type": int, "default": 10000}})
def bench_commissions(*, orders: int) -> dict:
    """Calculate one month of N orders / 4N lines (plus 2N history orders) on SQLite: target < 5 s at 10,000;
    then recalculate one rep of the 30 (a fifth of their orders moved to another rep first): target < 1 s."""
    with scratch_database():
        built = _world(orders=orders)
        # A live database has long been checkpointed; a freshly filled WAL would time the fill, not the job.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cpu = time.process_time()
        with Measure() as measure:
            result = commission_calculate(month=MONTH)
        cpu = time.process_time() - cpu
        # A second run replaces the lines: same figures, proving the recalculation path.
        with Measure() as again:
            commission_calculate(month=MONTH)
        # One rep of the 30, after Fishbowl moved some of their orders to another rep: the path of a
        # "recalculate this rep" click, which must also recalculate the orders that left them.
        moved = list(
            SalesOrder.objects.filter(date_issued__gte=MONTH, sales_person=ONE_REP).values_list(
                "pk", flat=True
            )[::5]
        )
        # A scratch database whose world was written without history: a plain update is the import's effect here.
        SalesOrder.objects.filter(pk__in=moved).update(sales_person="rep02")
        with Measure() as one_rep:
            rep_result = commission_calculate(month=MONTH, sales_person=ONE_REP)
        return {
            **built,
            "orders": result.orders,
            "lines_written": CommissionLine.objects.count(),
            "paid": result.paid,
            "unattributed": result.unattributed,
            "by_reason": result.by_reason,
            "seconds": round(measure.seconds, 2),
            # CPU time of this process: the figure that does not move with other load on the machine.
            "cpu_seconds": round(cpu, 2),
            "orders_per_second": round(result.orders / measure.seconds) if measure.seconds else None,
            "queries": measure.queries,
            "peak_memory_mib": measure.peak_mib,
            "recalculation_seconds": round(again.seconds, 2),
            "one_rep_orders": rep_result.orders,
            "one_rep_orders_moved_away": len(moved),
            "one_rep_seconds": round(one_rep.seconds, 3),
            "one_rep_queries": one_rep.queries,
            "target_met": measure.seconds < 5.0 and one_rep.seconds < 1.0,
        }
