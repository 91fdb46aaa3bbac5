"""Writing a calculation's lines: rows as plain values, one ``executemany`` per batch, and which lines go.

``lines_clear`` and ``lines_insert`` run in the one transaction of ``commission_calculate``, so readers see the
old lines or the new ones, never a mix.
"""

from datetime import date

from django.db import connection
from django.db.models import Q, QuerySet

from commissions.models import CommissionLine
from commissions.rules import OrderFacts

INSERT_BATCH = 2000


# The columns ``lines_insert`` writes, in the order ``line_row`` produces them.
LINE_FIELDS = (
    "month",
    "order_id",
    "order_number",
    "date_issued",
    "sales_person",
    "rep_id",
    "customer_id",
    "customer_account_number",
    "segment",
    "customer_status",
    "status_pinned",
    "revenue",
    "base",
    "rate",
    "amount",
    "spiff_amount",
    "override_applied",
    "attributed",
    "reason",
    "calculated_at",
    "run_id",
)


def line_row(order: OrderFacts, out, *, month: str, now, run_id: int | None) -> tuple:
    """One ``CommissionLine`` as database values in ``LINE_FIELDS`` order (dates already adapted)."""
    return (
        month,
        order.order_id,
        order.number,
        connection.ops.adapt_datefield_value(order.date_issued),
        order.sales_person,
        out.rep_id,
        order.customer_id,
        order.customer_account_number,
        out.segment,
        out.customer_status,
        out.status_pinned,
        order.revenue,
        order.base,
        out.rate,
        out.amount,
        out.spiff_amount,
        out.override_applied,
        out.attributed,
        out.reason,
        now,
        run_id,
    )


def lines_insert(rows: list[tuple]) -> None:
    """Insert line rows with one ``executemany`` per batch.

    Deliberately not ``bulk_create``: building and compiling 10,000 model instances cost about 8 of the
    benchmark's seconds, while the rows here are plain values the model's constraints still check.
    """
    meta = CommissionLine._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in LINE_FIELDS)
    placeholders = ", ".join(["%s"] * len(LINE_FIELDS))
    # Identifiers come from the model's meta, quoted; every value is a parameter.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        for first in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[first : first + INSERT_BATCH])


def lines_clear(*, month: date, scope: QuerySet, sales_person: str | None) -> QuerySet:
    """The lines a calculation replaces: the month's, or (for one sales person) theirs and their orders'."""
    lines = CommissionLine.objects.filter(month=month)
    if sales_person:
        lines = lines.filter(
            Q(sales_person__iexact=sales_person.strip()) | Q(order_id__in=scope.values("pk"))
        )
    return lines
