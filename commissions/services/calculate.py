"""Commission calculation for a month: load in a few set-based queries, decide per order, replace the lines.

``commission_calculate`` is the service. Every counted order of the scope ends on exactly one line (paid, or
unpaid with its reason — unattributed reasons included), except a duplicate import of a Fishbowl order, which
is listed by number in the result and the run log instead.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from commissions.models import CommissionLine, CommissionOverride, CommissionRate, CustomerStatusPin, SalesRep
from commissions.months import month_format, month_next, month_parse
from commissions.rules import ZERO, RepFacts, Rules, order_commission
from commissions.selectors import commission_orders_superseded, commission_settings_get
from commissions.services import lines as line_writes
from commissions.services.loading import Duplicate, history_load, orders_load, spiffs_load
from customers.models import SalesOrder
from syncs.models import SyncRun
from syncs.progress import Progress

BATCH = 1000


@dataclass
class CommissionResult:
    """What a calculation did: orders considered, lines written, money, the counts by reason, the duplicates.

    Revenue reconciles: ``paid_revenue + unattributed_revenue + excluded_revenue == revenue`` (duplicates are
    part of the excluded revenue).
    """

    month: date
    sales_person: str | None = None
    orders: int = 0
    lines: int = 0
    paid: int = 0
    amount: Decimal = ZERO
    spiff_amount: Decimal = ZERO
    duplicates: list[Duplicate] = field(default_factory=list)
    overrides_applied: int = 0
    overrides_ignored: int = 0
    unattributed: int = 0
    revenue: Decimal = ZERO
    paid_revenue: Decimal = ZERO
    unattributed_revenue: Decimal = ZERO
    excluded_revenue: Decimal = ZERO
    by_reason: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        excluded = sum(n for reason, n in self.by_reason.items() if reason) - self.unattributed
        who = f" for {self.sales_person}" if self.sales_person else ""
        duplicates = (
            "; duplicates left out: "
            + ", ".join(f"{d.number} (imported again as {d.duplicate_of})" for d in self.duplicates[:20])
            + (f" and {len(self.duplicates) - 20} more" if len(self.duplicates) > 20 else "")
            if self.duplicates
            else ""
        )
        return (
            f"{month_format(self.month)}{who}: {self.orders} orders, {self.paid} paid, commission "
            f"{self.amount} + spiffs {self.spiff_amount}; {self.unattributed} unattributed; {excluded} excluded"
            f"{duplicates}. Revenue {self.revenue} = paid {self.paid_revenue} + unattributed "
            f"{self.unattributed_revenue} + excluded {self.excluded_revenue}."
        )


def commission_scope(*, start: date, end: date, counted: list[int], sales_person: str | None) -> QuerySet:
    """The orders a calculation decides: the counted orders issued in [start, end).

    For one sales person: those whose sales person it is now, and those that had a line of theirs in the month
    — so an order Fishbowl moved to another rep is recalculated (onto the other rep's line), never dropped.
    """
    scope = SalesOrder.objects.filter(date_issued__gte=start, date_issued__lt=end, status__in=counted)
    if sales_person:
        person = sales_person.strip()
        had = CommissionLine.objects.filter(month=start, sales_person__iexact=person).values("order_id")
        scope = scope.filter(Q(sales_person__iexact=person) | Q(pk__in=had))
    return scope


def commission_calculate(
    *,
    month: date | str,
    sales_person: str | None = None,
    progress: Progress | None = None,
    run: SyncRun | None = None,
    user: AbstractBaseUser | None = None,
) -> CommissionResult:
    """Compute the ``CommissionLine`` of every counted order issued in ``month`` and replace the month's lines.

    With ``sales_person`` only the orders of ``commission_scope`` for that Fishbowl username are recalculated,
    and the lines replaced are theirs: the month's lines of those orders and the lines of that sales person
    (including lines of orders that left the month). The replacement is one transaction: readers see the old
    lines or the new ones, never a mix. Overrides and pins live in their own tables and are applied again on
    every calculation. ``user`` is who asked (kept for the audit of the run; lines record the run). Duplicates
    are logged (``duplicate``, naming both numbers). Queries: a fixed handful plus one insert per batch of lines.
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
    counted = list(conf.counted_statuses)
    scope = commission_scope(start=start, end=end, counted=counted, sales_person=sales_person)

    progress.step(f"Loading orders of {month_format(start)}")
    superseded = commission_orders_superseded(start=start, end=end)
    facts, result.duplicates = orders_load(scope=scope, conf=conf, superseded=superseded)
    history_load(facts=facts, scope=scope, counted=counted, before=end)
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
    spiffs = spiffs_load(scope=scope, start=start, end=end)
    for duplicate in result.duplicates:
        result.excluded_revenue += duplicate.revenue
        progress.log(
            level="warning",
            code="duplicate",
            record=duplicate.number,
            message=f"Order {duplicate.number} is left out: the same Fishbowl order was imported again as "
            f"{duplicate.duplicate_of}, which counts instead.",
            detail={"revenue": str(duplicate.revenue), "duplicate_of": duplicate.duplicate_of},
        )
    progress.check_cancelled()

    progress.step(f"Calculating {month_format(start)}", total=len(facts))
    now = CommissionLine._meta.get_field("calculated_at").get_db_prep_save(timezone.now(), connection)
    month_value = connection.ops.adapt_datefield_value(start)
    rows: list[tuple] = []
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
            result.paid_revenue += order.revenue
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
        elif out.reason != "":
            result.excluded_revenue += order.revenue
        rows.append(
            line_writes.line_row(order, out, month=month_value, now=now, run_id=run.pk if run else None)
        )
    progress.add(processed=(len(facts) - 1) % BATCH + 1 if facts else 0)
    result.orders = len(facts)
    result.revenue = (
        result.paid_revenue + result.unattributed_revenue + result.excluded_revenue
    )  # a partition of the scope's orders: each order's revenue is added to exactly one of the three
    result.by_reason = dict(by_reason)
    progress.check_cancelled()

    progress.step(f"Writing {len(rows)} lines", total=len(rows))
    with transaction.atomic():
        line_writes.lines_clear(month=start, scope=scope, sales_person=sales_person).delete()
        line_writes.lines_insert(rows)
    result.lines = len(rows)
    progress.add(
        processed=len(rows),
        created=len(rows),
        **{f"reason_{reason or 'paid'}": n for reason, n in by_reason.items()},
        duplicates=len(result.duplicates),
    )
    progress.flush()
    return result
