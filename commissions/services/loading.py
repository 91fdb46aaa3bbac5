"""Loading a month for the commission rules: the orders with their sums, each customer's history, the spiffs.

Each loader is one or two set-based queries whatever the number of orders; they fill the plain ``OrderFacts`` the
rules read (``commissions.rules``), so the rules never touch the database.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from commissions.models import Spiff as SpiffModel
from commissions.rules import ZERO, OrderFacts, SpiffFacts, money
from customers.models import SalesOrder, SalesOrderLine

MONEY = DecimalField(max_digits=16, decimal_places=2)
QUANTITY = DecimalField(max_digits=18, decimal_places=4)
LineType = SalesOrderLine.LineType


@dataclass(frozen=True)
class Duplicate:
    """An order left out because a later import of the same Fishbowl order (``duplicate_of``) stands for it."""

    order_id: int
    number: str
    duplicate_of: str
    sales_person: str
    revenue: Decimal


def orders_load(
    *, scope: QuerySet, conf, superseded: dict[int, str]
) -> tuple[list[OrderFacts], list[Duplicate]]:
    """The orders of ``scope`` with their line sums (one aggregate query), and the duplicates left out of them.

    ``superseded`` maps an order id to the number of the later import of the same Fishbowl order
    (``commissions.selectors.commission_orders_superseded``): those orders get no line and are listed instead.
    """
    not_fees = ~Q(lines__line_type__in=[LineType.SHIPPING, LineType.CC_PROCESSING])
    excluded = []
    if conf.exclude_shipping:
        excluded.append(LineType.SHIPPING)
    if conf.exclude_cc_processing:
        excluded.append(LineType.CC_PROCESSING)
    base_filter = ~Q(lines__line_type__in=excluded) if excluded else Q()
    rows = (
        scope.annotate(
            revenue_sum=Coalesce(Sum("lines__total_price"), ZERO, output_field=MONEY),
            base_sum=Coalesce(Sum("lines__total_price", filter=base_filter), ZERO, output_field=MONEY),
            fulfilled_sum=Coalesce(
                Sum("lines__quantity_fulfilled", filter=not_fees), ZERO, output_field=QUANTITY
            ),
            account_type=F("customer__account_type"),
        )
        .order_by("sales_person", "date_issued", "pk")
        .values_list(
            "pk",
            "number",
            "date_issued",
            "sales_person",
            "customer_id",
            "customer_account_number",
            "account_type",
            "revenue_sum",
            "base_sum",
            "fulfilled_sum",
        )
    )
    facts: list[OrderFacts] = []
    duplicates: list[Duplicate] = []
    for pk, number, issued, person, customer_id, account, account_type, rev, base, done in rows:
        if pk in superseded:
            duplicates.append(Duplicate(pk, number, superseded[pk], person or "", money(Decimal(rev))))
            continue
        facts.append(
            OrderFacts(
                order_id=pk,
                number=number,
                date_issued=issued,
                sales_person=person or "",
                customer_id=customer_id,
                customer_account_number=account or "",
                account_type=account_type,
                revenue=money(Decimal(rev)),
                base=money(Decimal(base)),
                fulfilled=Decimal(done),
            )
        )
    return facts, duplicates


def history_load(*, facts: list[OrderFacts], scope: QuerySet, counted: list[int], before: date) -> None:
    """Fill each order's first-order date and previous order (date, sales person) in one ordered scan.

    The scan reads every counted order of the month's customers up to the month's end, ordered by customer,
    date and id, so "before this order" means an earlier date, or the same date and a lower id.
    """
    wanted = {f.order_id: f for f in facts if f.customer_id is not None}
    if not wanted:
        return
    history = (
        SalesOrder.objects.filter(
            customer_id__in=scope.filter(customer__isnull=False).values("customer_id"),
            status__in=counted,
            date_issued__isnull=False,
            date_issued__lt=before,
        )
        .order_by("customer_id", "date_issued", "pk")
        .values_list("customer_id", "pk", "date_issued", "sales_person")
    )
    current, first, previous, previous_person = None, None, None, ""
    for customer_id, pk, issued, person in history.iterator(chunk_size=10000):
        if customer_id != current:
            current, first, previous, previous_person = customer_id, None, None, ""
        order = wanted.get(pk)
        if order is not None:
            order.first_date, order.previous_date, order.previous_sales_person = (
                first,
                previous,
                previous_person,
            )
        if first is None:
            first = issued
        previous, previous_person = issued, person or ""


def spiffs_load(*, scope: QuerySet, start: date, end: date) -> dict[int, Decimal]:
    """Spiff totals per order id for spiffs whose dates overlap the month (one query for their lines)."""
    spiffs: dict[str, list[SpiffFacts]] = defaultdict(list)
    overlapping = SpiffModel.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start), start_date__lt=end
    )
    for number, kind, value, first, last in overlapping.values_list(
        "product_number", "kind", "value", "start_date", "end_date"
    ):
        spiffs[number].append(SpiffFacts(number, kind, value, first, last))
    totals: dict[int, Decimal] = defaultdict(Decimal)
    if not spiffs:
        return totals
    lines = SalesOrderLine.objects.filter(order__in=scope, product_number__in=list(spiffs)).values_list(
        "order_id", "order__date_issued", "product_number", "quantity_fulfilled", "total_price"
    )
    for order_id, issued, number, quantity, total in lines:
        for spiff in spiffs[number]:
            totals[order_id] += spiff.pays(on=issued, quantity=quantity, total=total)
    return totals
