"""Reads for the metrics push: sales metrics per Fishbowl customer linked to a Copper company.

``metrics_for_customers`` runs a constant number of aggregate queries (orders, money, top products, sample
kits), whatever the number of customers; the database does the summing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, CharField, Count, F, FloatField, Max, Min, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from customers.selectors import copper_companies_active_with_number
from metrics.models import Change, ChangeSet, FieldMapping
from metrics.values import NUMBER_TYPES

LineType = SalesOrderLine.LineType
ZERO = Decimal("0.00")
QTY = Decimal("0.0001")  # the scale of SalesOrderLine.quantity_fulfilled


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


def _decimal(value: Any) -> Decimal:
    """An aggregate as the database returns it (SQLite: int or float, PostgreSQL: Decimal) as a Decimal."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _lines_from(*, customer_ids: list[int] | None) -> str:
    """``FROM`` lines joined to their orders, driven by the lines table when all customers are wanted.

    Over millions of lines, reading them in table order and finding each order by primary key is several times
    faster than walking the orders by customer and seeking their lines, which is what SQLite's planner picks
    for an inner join. SQLite's CROSS JOIN keeps the written order; for a few customers, or on other
    databases, the planner chooses.
    """
    line, order = SalesOrderLine._meta.db_table, SalesOrder._meta.db_table
    join = "CROSS JOIN" if connection.vendor == "sqlite" and customer_ids is None else "INNER JOIN"
    return f'FROM "{line}" l {join} "{order}" o ON l.order_id = o.id'


def _in(values: list) -> str:
    return ", ".join(["%s"] * len(values)) or "NULL"


def _order_where(
    *, statuses: list[int], customer_ids: list[int] | None, through: dt.date | None = None
) -> tuple[str, list]:
    """Orders counted (status), with a customer (all of them, or the given ones), issued by ``through``."""
    where, params = f"o.status IN ({_in(statuses)}) AND o.customer_id IS NOT NULL", [*statuses]
    if through is not None:
        where, params = f"{where} AND o.date_issued <= %s", [*params, through]
    if customer_ids is not None:
        where += f" AND o.customer_id IN ({_in(customer_ids)})"
        params += customer_ids
    return where, params


def _money_rows(
    *, statuses: list[int], customer_ids: list[int] | None, since: dt.date, until: dt.date, through=None
):
    """(customer id, sum of counted line totals, the same over (since, until]) per customer."""
    types = _counted_line_types()
    where, params = _order_where(statuses=statuses, customer_ids=customer_ids, through=through)
    # Customers are not joined: looking up millions of lines' customers costs more than grouping the few
    # unlinked customers' lines, which the caller skips.
    sql = f"""
        SELECT o.customer_id,
               COALESCE(SUM(l.total_price), 0),
               COALESCE(SUM(CASE WHEN o.date_issued > %s AND o.date_issued <= %s THEN l.total_price END), 0)
        {_lines_from(customer_ids=customer_ids)}
        WHERE {where} AND l.line_type IN ({_in(types)})
        GROUP BY o.customer_id
    """  # noqa: S608 - table names from our models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [since, until, *params, *[str(t) for t in types]])
        yield from cursor


def _top_product_rows(*, statuses: list[int], customer_ids: list[int] | None, through=None):
    """(customer id, product number, fulfilled quantity, rank 1..3) for each customer's best three products.

    Ranked in the database (ROW_NUMBER over the per-customer sums) so at most three rows per customer come back,
    not a million customer/product pairs to convert and sort in Python. Ties go to the smaller product number
    compared by code point (Python's string order) on both databases: PostgreSQL's default collation may be
    locale-aware, hence "C"; SQLite's default BINARY already is.
    """
    where, params = _order_where(statuses=statuses, customer_ids=customer_ids, through=through)
    excluded = [LineType.SHIPPING, LineType.CC_PROCESSING, LineType.DISCOUNT]
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    sql = f"""
        SELECT customer_id, product_number, qty, rank FROM (
            SELECT customer_id, product_number, qty,
                   ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY qty DESC, product_number{collate}) AS rank
            FROM (
                SELECT o.customer_id AS customer_id, l.product_number AS product_number,
                       SUM(l.quantity_fulfilled) AS qty
                {_lines_from(customer_ids=customer_ids)}
                WHERE {where} AND l.line_type NOT IN ({_in(excluded)}) AND l.product_number <> ''
                GROUP BY o.customer_id, l.product_number
                HAVING SUM(l.quantity_fulfilled) > 0
            ) sums
        ) ranked
        WHERE rank <= 3
    """  # noqa: S608 - table names from our models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *[str(t) for t in excluded]])
        yield from cursor


# The queries each metric needs (the others are skipped when only some metrics are wanted).
NEEDS = {
    "orders": {
        "total_orders",
        "first_order_date",
        "last_order_date",
        "days_since_last_order",
        "average_order_value",
    },
    "money": {"total_spent", "spent_last_12_months", "average_order_value"},
    "products": {"top_products"},
    "kits": {"sample_kit_sent", "sample_kit_date"},
}


def metrics_for_customers(
    *,
    customer_ids: list[int] | None = None,
    as_of: dt.date | None = None,
    later_orders: bool = False,
    only: set[str] | None = None,
) -> dict[int, Metrics]:
    """Metrics keyed by Fishbowl customer id, for every customer linked to an active Copper company with an
    account number (``customers.selectors``), or the given ones among them.

    Orders count when their status is in METRICS_ORDER_STATUSES. Total Spent sums line totals; shipping and
    card-fee lines count only when METRICS_INCLUDE_SHIPPING / METRICS_INCLUDE_CARD_FEES say so. With ``as_of``
    every metric is as of that day: only orders issued on or before it count, and Days Since Last Order and
    Spent Last 12 Months are counted to it (``later_orders`` keeps the later orders in the totals, days still
    to ``as_of``). Without it: every order, days to today. ``only`` (metric names) skips the queries the other
    metrics need; their values stay at the defaults. Five queries at most.
    """
    through = as_of if as_of is not None and not later_orders else None
    wanted = {name for name, metrics in NEEDS.items() if only is None or metrics & set(only)}
    as_of = as_of or timezone.localdate()
    year_ago = as_of - dt.timedelta(days=365)
    statuses = list(settings.METRICS_ORDER_STATUSES)

    # The companies the customer sync mirrors are the ones the push writes to (one definition, customers.selectors).
    customers = FishbowlCustomer.objects.filter(
        copper_company__in=copper_companies_active_with_number()
    ).order_by()
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    result = {
        pk: Metrics(customer_id=pk, copper_company_id=company_id)
        for pk, company_id in customers.values_list("pk", "copper_company_id").iterator(chunk_size=2000)
    }
    if not result:
        return result

    # The order aggregates filter through the join rather than an IN list of ids, so thousands of customers stay
    # one query. The join is many-to-one (an order has one customer), so each order is one row: COUNT needs no
    # DISTINCT, which on SQLite would sort a million ids. With the order_customer_status_date index the order
    # aggregates are read from the index alone, in customer order, without a sort.
    order_filter = Q(status__in=statuses, customer__copper_company__isnull=False)
    if through is not None:
        order_filter &= Q(date_issued__lte=through)
    # The line aggregates (sample kits here; money and top products in _money_rows / _top_product_rows) do NOT
    # join the customers: on millions of lines that lookup costs more than it saves. They group every
    # customer's lines (unlinked customers are a small minority) and rows of customers not in ``result`` are
    # skipped below.
    line_filter = Q(order__status__in=statuses, order__customer__isnull=False)
    if through is not None:
        line_filter &= Q(order__date_issued__lte=through)
    if customer_ids is not None:
        order_filter &= Q(customer_id__in=customer_ids)
        line_filter &= Q(order__customer_id__in=customer_ids)

    orders = (
        SalesOrder.objects.filter(order_filter)
        .values("customer_id")
        .annotate(n=Count("pk"), first=Min("date_issued"), last=Max("date_issued"))
        .order_by()
    )
    for row in orders if "orders" in wanted else ():
        metrics = result.get(row["customer_id"])
        if metrics is None:
            continue
        metrics.total_orders = row["n"]
        metrics.first_order_date = row["first"]
        metrics.last_order_date = row["last"]
        if row["last"] is not None:
            metrics.days_since_last_order = (as_of - row["last"]).days

    money = _money_rows(
        statuses=statuses, customer_ids=customer_ids, since=year_ago, until=as_of, through=through
    )
    for customer_id, spent, recent in money if "money" in wanted else ():
        metrics = result.get(customer_id)
        if metrics is not None:
            metrics.total_spent = _decimal(spent).quantize(ZERO)
            metrics.spent_last_12_months = _decimal(recent).quantize(ZERO)

    ranked: dict[int, list[tuple[int, str, Decimal]]] = {}
    products = _top_product_rows(statuses=statuses, customer_ids=customer_ids, through=through)
    for customer_id, product_number, quantity, rank in products if "products" in wanted else ():
        if customer_id in result:
            ranked.setdefault(customer_id, []).append(
                (rank, product_number, _decimal(quantity).quantize(QTY))
            )
    for customer_id, rows in ranked.items():
        result[customer_id].top_products = [(number, quantity) for _rank, number, quantity in sorted(rows)]

    kits = (
        SalesOrderLine.objects.filter(line_filter, product_number=settings.METRICS_SAMPLE_KIT_PRODUCT)
        .values("order__customer_id")
        .annotate(first=Min("order__date_issued"))
        .order_by()
    )
    for row in kits if "kits" in wanted else ():
        metrics = result.get(row["order__customer_id"])
        if metrics is not None:
            metrics.sample_kit_sent = True
            metrics.sample_kit_date = row["first"]

    for metrics in result.values():
        if metrics.total_orders:
            metrics.average_order_value = (metrics.total_spent / metrics.total_orders).quantize(ZERO)
    return result


# --- what awaits a person ------------------------------------------------------------------------------------
def change_sets_awaiting_approval_by(*, user) -> QuerySet[ChangeSet]:
    """Built sets ``user`` may approve now: they hold ``metrics.approve_changeset``, someone else built the set
    (unless METRICS_ALLOW_SELF_APPROVAL) and it is younger than METRICS_CHANGESET_MAX_AGE_HOURS. Empty for
    anyone else. The definitions check of ``change_set_approve`` is left to the approval itself."""
    if not (user.is_active and user.has_perm("metrics.approve_changeset")):
        return ChangeSet.objects.none()
    since = timezone.now() - dt.timedelta(hours=settings.METRICS_CHANGESET_MAX_AGE_HOURS)
    sets = ChangeSet.objects.filter(status=ChangeSet.Status.BUILT, built_at__gte=since)
    if not settings.METRICS_ALLOW_SELF_APPROVAL:
        sets = sets.exclude(built_by=user)
    return sets


def field_mappings_enabled_count() -> int:
    """How many field mappings a push writes (enabled ones)."""
    return FieldMapping.objects.filter(enabled=True).count()
# --- change-set review ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldSummary:
    """What one change set writes into one Copper field, summed up for a reviewer.

    ``old_total``/``new_total`` are the sums of the values before and after over the field's changes (numbers
    and currency only; None for other types, where a sum means nothing); ``sample_before``/``sample_after``
    are one change's values as shown. ``flag_counts`` counts the changes carrying each flag (a change may carry
    several); ``outcome_counts`` the changes per ``Change.Outcome`` value.
    """

    field_name: str
    metric: str
    data_type: str
    changes: int
    flagged: int
    flag_counts: dict[str, int]
    outcome_counts: dict[str, int]
    old_total: Decimal | None
    new_total: Decimal | None
    sample_company: str
    sample_before: str
    sample_after: str

    @property
    def is_number(self) -> bool:
        return self.old_total is not None

    @property
    def difference(self) -> Decimal | None:
        """The sum after minus the sum before (numbers only)."""
        if self.old_total is None or self.new_total is None:
            return None
        return self.new_total - self.old_total


# Joins the sample's parts in one string so MIN() picks them from the same row; never shown.
_SAMPLE_SEPARATOR = "\x1f"


def change_set_field_summary(*, change_set) -> list[FieldSummary]:
    """Per Copper field of ``change_set``: changes, flagged, per-flag and per-outcome counts, sums before and
    after (numeric fields) and one sample change; ordered by field name.

    ONE aggregate query grouped by field, whatever the number of changes; reads only.
    """

    def number(column: str):
        # CASE keeps the cast off non-numeric rows (PostgreSQL refuses to cast a JSON string to a number).
        return Sum(
            Case(
                When(data_type__in=NUMBER_TYPES, then=Cast(column, FloatField())),
                default=None,
                output_field=FloatField(),
            )
        )

    flag_aggregates = {f"flag_{flag}": Count("pk", filter=Q(flags__icontains=flag)) for flag in Change.FLAGS}
    outcome_aggregates = {
        f"outcome_{outcome}": Count("pk", filter=Q(outcome=outcome)) for outcome in Change.Outcome.values
    }
    sample = Concat(
        F("company_name"),
        Value(_SAMPLE_SEPARATOR),
        F("old_display"),
        Value(_SAMPLE_SEPARATOR),
        F("new_display"),
        output_field=CharField(),
    )
    rows = (
        Change.objects.filter(change_set=change_set)
        .values("field_name", "data_type")
        .annotate(
            metric=Max("metric"),
            n=Count("pk"),
            n_flagged=Count("pk", filter=Q(flagged=True)),
            old_sum=number("old_value"),
            new_sum=number("new_value"),
            sample=Min(sample),
            **flag_aggregates,
            **outcome_aggregates,
        )
        .order_by("field_name", "data_type")
    )
    result = []
    for row in rows:
        numeric = row["data_type"] in NUMBER_TYPES
        company, before, after = ((row["sample"] or "").split(_SAMPLE_SEPARATOR) + ["", "", ""])[:3]
        result.append(
            FieldSummary(
                field_name=row["field_name"],
                metric=row["metric"] or "",
                data_type=row["data_type"],
                changes=row["n"],
                flagged=row["n_flagged"],
                flag_counts={flag: row[f"flag_{flag}"] for flag in Change.FLAGS if row[f"flag_{flag}"]},
                outcome_counts={
                    outcome: row[f"outcome_{outcome}"]
                    for outcome in Change.Outcome.values
                    if row[f"outcome_{outcome}"]
                },
                old_total=_decimal(row["old_sum"]).quantize(ZERO) if numeric else None,
                new_total=_decimal(row["new_sum"]).quantize(ZERO) if numeric else None,
                sample_company=company,
                sample_before=before,
                sample_after=after,
            )
        )
    return result
