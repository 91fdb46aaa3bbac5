"""Reads for the metrics push: sales metrics per Fishbowl customer linked to a Copper company.

``metrics_for_customers`` runs a constant number of aggregate queries (orders, money, top products, sample
kits), whatever the number of customers; the database does the summing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DecimalField, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine

LineType = SalesOrderLine.LineType
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)


@dataclass
class Metrics:
    """The sales metrics of one Fishbowl customer; attribute names are ``FieldMapping.Metric`` values."""

    customer_id: int
    copper_company_id: int
    total_orders: int = 0
    total_spent: Decimal = ZERO
    average_order_value: Decimal | None = None
    first_order_date: dt.date | None = None
    last_order_date: dt.date | None = None
    days_since_last_order: int | None = None
    # [(product number, fulfilled quantity)], best first, at most three.
    top_products: list[tuple[str, Decimal]] = field(default_factory=list)
    sample_kit_sent: bool = False
    sample_kit_date: dt.date | None = None
    spent_last_12_months: Decimal = ZERO

    def value(self, metric: str) -> Any:
        return getattr(self, str(metric))


def _counted_line_types() -> list[str]:
    types = [LineType.SALE, LineType.DISCOUNT, LineType.OTHER]
    if settings.METRICS_INCLUDE_SHIPPING:
        types.append(LineType.SHIPPING)
    if settings.METRICS_INCLUDE_CARD_FEES:
        types.append(LineType.CC_PROCESSING)
    return types


def metrics_for_customers(
    *, customer_ids: list[int] | None = None, as_of: dt.date | None = None
) -> dict[int, Metrics]:
    """Metrics keyed by Fishbowl customer id, for every customer linked to a Copper company (or the given ones).

    Orders count when their status is in METRICS_ORDER_STATUSES. Total Spent sums line totals; shipping and
    card-fee lines count only when METRICS_INCLUDE_SHIPPING / METRICS_INCLUDE_CARD_FEES say so. Days Since Last
    Order and Spent Last 12 Months are taken as of ``as_of`` (default: today). Five queries in all.
    """
    as_of = as_of or timezone.localdate()
    year_ago = as_of - dt.timedelta(days=365)
    statuses = list(settings.METRICS_ORDER_STATUSES)

    customers = FishbowlCustomer.objects.filter(copper_company__isnull=False).order_by()
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    result = {
        pk: Metrics(customer_id=pk, copper_company_id=company_id)
        for pk, company_id in customers.values_list("pk", "copper_company_id").iterator(chunk_size=2000)
    }
    if not result:
        return result

    # Filter through the join rather than an IN list of ids, so thousands of customers stay one query. The join
    # is many-to-one (an order has one customer), so each order is one row: COUNT needs no DISTINCT, which on
    # SQLite would sort a million ids. With the order_customer_status_date index the order aggregates are read
    # from the index alone, in customer order, without a sort.
    order_filter = Q(status__in=statuses, customer__copper_company__isnull=False)
    line_filter = Q(order__status__in=statuses, order__customer__copper_company__isnull=False)
    if customer_ids is not None:
        order_filter &= Q(customer_id__in=customer_ids)
        line_filter &= Q(order__customer_id__in=customer_ids)

    orders = (
        SalesOrder.objects.filter(order_filter)
        .values("customer_id")
        .annotate(n=Count("pk"), first=Min("date_issued"), last=Max("date_issued"))
        .order_by()
    )
    for row in orders:
        metrics = result.get(row["customer_id"])
        if metrics is None:
            continue
        metrics.total_orders = row["n"]
        metrics.first_order_date = row["first"]
        metrics.last_order_date = row["last"]
        if row["last"] is not None:
            metrics.days_since_last_order = (as_of - row["last"]).days

    money = (
        SalesOrderLine.objects.filter(line_filter, line_type__in=_counted_line_types())
        .values("order__customer_id")
        .annotate(
            spent=Coalesce(Sum("total_price"), Value(ZERO), output_field=MONEY),
            recent=Coalesce(
                Sum("total_price", filter=Q(order__date_issued__gt=year_ago, order__date_issued__lte=as_of)),
                Value(ZERO),
                output_field=MONEY,
            ),
        )
        .order_by()
    )
    for row in money:
        metrics = result.get(row["order__customer_id"])
        if metrics is not None:
            metrics.total_spent = Decimal(row["spent"]).quantize(ZERO)
            metrics.spent_last_12_months = Decimal(row["recent"]).quantize(ZERO)

    products = (
        SalesOrderLine.objects.filter(line_filter)
        .exclude(line_type__in=[LineType.SHIPPING, LineType.CC_PROCESSING, LineType.DISCOUNT])
        .exclude(product_number="")
        .values("order__customer_id", "product_number")
        .annotate(qty=Sum("quantity_fulfilled"))
        .filter(qty__gt=0)
        .order_by()
    )
    best: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for row in products.iterator(chunk_size=5000):
        best[row["order__customer_id"]].append((row["product_number"], Decimal(row["qty"])))
    for customer_id, rows in best.items():
        metrics = result.get(customer_id)
        if metrics is not None:
            # Ties broken by product number, so the text is stable from one run to the next.
            rows.sort(key=lambda item: (-item[1], item[0]))
            metrics.top_products = rows[:3]

    kits = (
        SalesOrderLine.objects.filter(line_filter, product_number=settings.METRICS_SAMPLE_KIT_PRODUCT)
        .values("order__customer_id")
        .annotate(first=Min("order__date_issued"))
        .order_by()
    )
    for row in kits:
        metrics = result.get(row["order__customer_id"])
        if metrics is not None:
            metrics.sample_kit_sent = True
            metrics.sample_kit_date = row["first"]

    for metrics in result.values():
        if metrics.total_orders:
            metrics.average_order_value = (metrics.total_spent / metrics.total_orders).quantize(ZERO)
    return result
