"""Commission calculation for a month: load in a few set-based queries, decide per order, replace the lines.

``commission_calculate`` is the service; ``commission_calculate_run`` is its ``SyncRun`` runner and
``commission_calculate_start`` the one call interfaces (admin, command) make to queue a run.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import DecimalField, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from commissions.models import CommissionLine, CommissionOverride, CommissionRate, CustomerStatusPin, SalesRep
from commissions.models import Spiff as SpiffModel
from commissions.months import month_format, month_next, month_parse
from commissions.rules import ZERO, OrderFacts, RepFacts, Rules, SpiffFacts, money, order_commission
from commissions.selectors import commission_settings_get
from customers.models import SalesOrder, SalesOrderLine
from syncs.models import SyncRun
from syncs.progress import Progress
from syncs.services.runs import sync_run_start

BATCH = 1000
INSERT_BATCH = 2000
MONEY = DecimalField(max_digits=16, decimal_places=2)
QUANTITY = DecimalField(max_digits=18, decimal_places=4)
LineType = SalesOrderLine.LineType


@dataclass
class CommissionResult:
    """What a calculation did: orders considered, lines written, money, and the counts by reason."""

    month: date
    sales_person: str | None = None
    orders: int = 0
    lines: int = 0
    paid: int = 0
    amount: Decimal = ZERO
    spiff_amount: Decimal = ZERO
    duplicates: int = 0
    overrides_applied: int = 0
    overrides_ignored: int = 0
    unattributed: int = 0
    unattributed_revenue: Decimal = ZERO
    by_reason: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        excluded = sum(n for reason, n in self.by_reason.items() if reason) - self.unattributed
        who = f" for {self.sales_person}" if self.sales_person else ""
        return (
            f"{month_format(self.month)}{who}: {self.orders} orders, {self.paid} paid, commission "
            f"{self.amount} + spiffs {self.spiff_amount}; {self.unattributed} unattributed "
            f"(revenue {self.unattributed_revenue}); {excluded} excluded; {self.duplicates} duplicates skipped."
        )


def commission_calculate_start(
    *, month: str | date, sales_person: str | None = None, user: AbstractBaseUser | None = None
) -> SyncRun:
    """Validate the month and queue a commissions run (``ValueError`` for a bad month; ``SyncRunAlreadyActive``)."""
    options: dict[str, Any] = {"month": month_format(month_parse(month))}
    if sales_person:
        options["sales_person"] = sales_person.strip()
    return sync_run_start(kind=SyncRun.Kind.COMMISSIONS, user=user, options=options)


def commission_calculate_run(*, run: SyncRun, progress: Progress) -> None:
    """Runner: reads ``run.options["month"]`` ("YYYY-MM") and optional ``"sales_person"``."""
    options = run.options or {}
    result = commission_calculate(
        month=month_parse(options.get("month", "")),
        sales_person=options.get("sales_person") or None,
        progress=progress,
        run=run,
        user=run.started_by,
    )
    progress.set_message(result.summary())


def commission_calculate(
    *,
    month: date | str,
    sales_person: str | None = None,
    progress: Progress | None = None,
    run: SyncRun | None = None,
    user: AbstractBaseUser | None = None,
) -> CommissionResult:
    """Compute the ``CommissionLine`` of every counted order issued in ``month`` and replace the month's lines.

    With ``sales_person`` only that Fishbowl username's orders are recalculated (and their lines replaced).
    The replacement is one transaction: readers see the old lines or the new ones, never a mix. Overrides and
    pins live in their own tables and are applied again on every calculation. ``user`` is who asked (kept for
    the audit of the run; lines record the run). Queries: a fixed handful plus one insert per batch of lines.
    """
    progress = progress or Progress.null()
    start = month_parse(month)
    end = month_next(start)
    conf = commission_settings_get()
    rules = Rules(
        house_accounts=frozenset(u.strip().lower() for u in conf.house_accounts if str(u).strip()),
        months_new=conf.months_new,
        months_established=conf.months_established,
        months_revived=conf.months_revived,
    )
    result = CommissionResult(month=start, sales_person=sales_person)

    scope = SalesOrder.objects.filter(
        date_issued__gte=start, date_issued__lt=end, status__in=list(conf.counted_statuses)
    )
    if sales_person:
        scope = scope.filter(sales_person__iexact=sales_person.strip())

    progress.step(f"Loading orders of {month_format(start)}")
    facts = _orders_load(scope=scope, conf=conf, result=result)
    _history_load(facts=facts, scope=scope, counted=list(conf.counted_statuses), before=end)
    reps = {
        username.lower(): RepFacts(pk, title, active, commissioned)
        for pk, username, title, active, commissioned in SalesRep.objects.values_list(
            "pk", "fishbowl_username", "title", "is_active", "is_commissioned"
        )
    }
    rates = {
        (t, s, c): r
        for t, s, c, r in CommissionRate.objects.values_list("title", "segment", "customer_status", "rate")
    }
    pins = dict(
        CustomerStatusPin.objects.filter(customer_id__in=scope.values("customer_id")).values_list(
            "customer_id", "status"
        )
    )
    overrides = {
        order_id: (rate, amount)
        for order_id, rate, amount in CommissionOverride.objects.filter(
            order_id__in=scope.values("pk")
        ).values_list("order_id", "rate", "amount")
    }
    spiffs = _spiffs_load(scope=scope, start=start, end=end)
    progress.check_cancelled()

    progress.step(f"Calculating {month_format(start)}", total=len(facts))
    now = CommissionLine._meta.get_field("calculated_at").get_db_prep_save(timezone.now(), connection)
    month_value = connection.ops.adapt_datefield_value(start)
    lines: list[tuple] = []
    by_reason: dict[str, int] = defaultdict(int)
    for index, order in enumerate(facts):
        if index % BATCH == 0:
            if index:
                progress.add(processed=BATCH)
                progress.check_cancelled()
            # Orders come sorted by sales person: the message names the rep being worked on.
            progress.set_message(f"Rep {order.sales_person or '(none)'}")
        override = overrides.get(order.order_id)
        out = order_commission(
            order,
            rules=rules,
            reps=reps,
            rates=rates,
            pins=pins,
            override=override,
            spiff=spiffs.get(order.order_id, ZERO),
        )
        by_reason[out.reason] += 1
        if out.reason == "":
            result.paid += 1
            result.amount += out.amount
            result.spiff_amount += out.spiff_amount
            result.overrides_applied += out.override_applied
        elif override is not None:
            result.overrides_ignored += 1
        if not out.attributed:
            result.unattributed += 1
            result.unattributed_revenue += order.revenue
            progress.log(
                level="warning",
                code=out.reason,
                record=order.number,
                message=f"Order {order.number} is unattributed: {CommissionLine.Reason(out.reason).label}.",
                detail={"revenue": str(order.revenue), "sales_person": order.sales_person},
            )
        lines.append(_line_row(order, out, month=month_value, now=now, run_id=run.pk if run else None))
    progress.add(processed=(len(facts) - 1) % BATCH + 1 if facts else 0)
    result.orders = len(facts)
    result.by_reason = dict(by_reason)
    progress.check_cancelled()

    progress.step(f"Writing {len(lines)} lines", total=len(lines))
    with transaction.atomic():
        _lines_clear(month=start, scope=scope, sales_person=sales_person).delete()
        _lines_insert(lines)
    result.lines = len(lines)
    progress.add(
        processed=len(lines),
        created=len(lines),
        **{f"reason_{reason or 'paid'}": n for reason, n in by_reason.items()},
        duplicates=result.duplicates,
    )
    progress.flush()
    return result


def _orders_load(*, scope: QuerySet, conf, result: CommissionResult) -> list[OrderFacts]:
    """The month's orders with their line sums, one aggregate query; duplicates (same Fishbowl id) dropped."""
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
            "fishbowl_id",
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
    facts: list[tuple[int | None, OrderFacts]] = []
    latest: dict[int, int] = {}
    for pk, number, fishbowl_id, issued, person, customer_id, account, account_type, rev, base, done in rows:
        if fishbowl_id is not None:
            latest[fishbowl_id] = max(latest.get(fishbowl_id, pk), pk)
        order = OrderFacts(
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
        facts.append((fishbowl_id, order))
    # The same Fishbowl order imported twice under two numbers counts once: the latest import (highest pk).
    kept = [
        order for fishbowl_id, order in facts if fishbowl_id is None or latest[fishbowl_id] == order.order_id
    ]
    result.duplicates = len(facts) - len(kept)
    return kept


def _history_load(*, facts: list[OrderFacts], scope: QuerySet, counted: list[int], before: date) -> None:
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


def _spiffs_load(*, scope: QuerySet, start: date, end: date) -> dict[int, Decimal]:
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


# The columns ``_lines_insert`` writes, in the order ``_line_row`` produces them.
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


def _line_row(order: OrderFacts, out, *, month: str, now, run_id: int | None) -> tuple:
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


def _lines_insert(rows: list[tuple]) -> None:
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


def _lines_clear(*, month: date, scope: QuerySet, sales_person: str | None) -> QuerySet:
    """The lines a calculation replaces: the month's, or (for one sales person) theirs and their orders'."""
    lines = CommissionLine.objects.filter(month=month)
    if sales_person:
        lines = lines.filter(
            Q(sales_person__iexact=sales_person.strip()) | Q(order_id__in=scope.values("pk"))
        )
    return lines
