"""Where every dollar of a month went: the orders and revenue at each step of the chain, and what fell out.

The chain, for the orders issued in a month: imported → linked to a customer → attributed to a rep → paid on a
commission line. Every order of the month is in exactly one place — paid, or dropped at one step with its
reason — so ``paid + unattributed + excluded == total`` to the cent, and each dropped group says why and what
fixes it. Revenue is each order's line total now (as a recalculation would read it), summed in ``Decimal``.

Reads only: one query over the month's orders (with each one's line sum and its commission line), one for the
duplicates, one for lines whose order left the month, plus the counted statuses.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from commissions.models import UNATTRIBUTED_REASONS, CommissionLine
from commissions.months import month_format, month_next, month_parse
from commissions.selectors import commission_orders_superseded, commission_settings_get, money
from customers.models import SalesOrder, SalesOrderLine

Reason = CommissionLine.Reason
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)

# Why an order left the chain without a line reason: keys of the ``dropped`` groups besides line reasons.
STATUS_NOT_COUNTED = "status_not_counted"
DUPLICATE = "duplicate"
NOT_CALCULATED = "not_calculated"
LABELS = {
    STATUS_NOT_COUNTED: "Status not counted (estimate, void, cancelled, expired)",
    DUPLICATE: "Duplicate import of a Fishbowl order (the later import counts)",
    NOT_CALCULATED: "Not calculated yet (imported or changed since the last calculation)",
}
FIXES = {
    NOT_CALCULATED: "Recalculate the month",
    Reason.UNKNOWN_CUSTOMER: "Import the Fishbowl customer, or run the customer sync",
    Reason.UNKNOWN_ACCOUNT_TYPE: "Set the customer's account type",
    Reason.NO_SALES_PERSON: "Set the order's sales person in Fishbowl",
    Reason.UNKNOWN_SALES_PERSON: "Add the Fishbowl username as a sales rep",
    Reason.REP_INACTIVE: "Reactivate the rep, if the order is payable",
    Reason.REP_NOT_COMMISSIONED: "Mark the rep commissioned, if the order is payable",
    Reason.NO_RATE: "Add the missing commission rate",
}
# The steps and the drop-out reasons at each, in chain order.
STEPS = [
    ("imported", "Imported from Fishbowl", []),
    (
        "linked",
        "Linked to a customer",
        [STATUS_NOT_COUNTED, DUPLICATE, NOT_CALCULATED, Reason.UNKNOWN_CUSTOMER],
    ),
    (
        "attributed",
        "Attributed to a rep",
        [Reason.UNKNOWN_ACCOUNT_TYPE, Reason.NO_SALES_PERSON, Reason.UNKNOWN_SALES_PERSON],
    ),
    (
        "paid",
        "Paid on a commission line",
        [
            Reason.NOTHING_FULFILLED,
            Reason.HOUSE_ACCOUNT,
            Reason.REP_INACTIVE,
            Reason.REP_NOT_COMMISSIONED,
            Reason.NO_RATE,
        ],
    ),
]
UNATTRIBUTED = {str(r) for r in UNATTRIBUTED_REASONS}


@dataclass
class Bucket:
    orders: int = 0
    revenue: Decimal = ZERO
    amount: Decimal = ZERO
    numbers: list[str] = field(default_factory=list)

    def add(self, number: str, revenue: Decimal, amount: Decimal = ZERO, keep: int = 0) -> None:
        self.orders += 1
        self.revenue += revenue
        self.amount += amount
        if len(self.numbers) < keep:
            self.numbers.append(number)


def commission_reconciliation(*, month: date | str, examples: int = 10) -> dict[str, Any]:
    """The month's reconciliation (see the module docstring).

    ``{"month", "total", "paid", "unattributed", "excluded": {"orders", "revenue"}, "reconciles": bool,
    "steps": [{"key", "label", "orders", "revenue", "dropped": [{"reason", "label", "orders", "revenue",
    "fix", "examples": [order numbers]}]}], "duplicates": [{"number", "duplicate_of", "revenue"}],
    "stale_lines": {"lines", "amount"}}`` — ``examples`` order numbers per dropped group.
    """
    start = month_parse(month)
    end = month_next(start)
    counted = set(commission_settings_get().counted_statuses)
    superseded = commission_orders_superseded(start=start, end=end)
    revenue = (
        SalesOrderLine.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(total=Sum("total_price"))
        .values("total")
    )
    line = CommissionLine.objects.filter(month=start, order=OuterRef("pk"))
    rows = (
        SalesOrder.objects.filter(date_issued__gte=start, date_issued__lt=end)
        .annotate(
            revenue=Coalesce(Subquery(revenue, output_field=MONEY), ZERO, output_field=MONEY),
            reason=Subquery(line.values("reason")[:1]),
            paid_amount=Subquery(line.values("amount")[:1]),
            paid_spiff=Subquery(line.values("spiff_amount")[:1]),
        )
        .order_by("number")
        .values_list("pk", "number", "status", "revenue", "reason", "paid_amount", "paid_spiff")
    )
    total, paid = Bucket(), Bucket()
    stale_lines, stale_amount = 0, ZERO
    dropped: dict[str, Bucket] = {}
    for pk, number, status, order_revenue, reason, amount, spiff in rows.iterator(chunk_size=5000):
        order_revenue = money(order_revenue)
        total.add(number, order_revenue)
        if status not in counted:
            key = STATUS_NOT_COUNTED
        elif pk in superseded:
            key = DUPLICATE
        elif reason is None:
            key = NOT_CALCULATED
        else:
            key = reason
        if reason is not None and key in (STATUS_NOT_COUNTED, DUPLICATE):
            stale_lines += 1  # calculated before the order was voided or imported again
            stale_amount += money(amount) + money(spiff)
        if key == Reason.PAID:
            paid.add(number, order_revenue, money(amount) + money(spiff))
        else:
            dropped.setdefault(key, Bucket()).add(number, order_revenue, keep=examples)

    steps, remaining = [], Bucket(total.orders, total.revenue)
    for key, label, reasons in STEPS:
        groups = []
        for reason in reasons:
            bucket = dropped.get(str(reason))
            if bucket is None:
                continue
            remaining.orders -= bucket.orders
            remaining.revenue -= bucket.revenue
            groups.append(
                {
                    "reason": str(reason),
                    "label": LABELS.get(str(reason)) or Reason(reason).label,
                    "orders": bucket.orders,
                    "revenue": bucket.revenue,
                    "fix": FIXES.get(str(reason), ""),
                    "examples": bucket.numbers,
                }
            )
        steps.append(
            {
                "key": key,
                "label": label,
                "orders": remaining.orders,
                "revenue": remaining.revenue,
                "dropped": groups,
            }
        )
    unattributed = _sum(dropped, lambda reason: reason in UNATTRIBUTED)
    excluded = _sum(dropped, lambda reason: reason not in UNATTRIBUTED)
    moved = CommissionLine.objects.filter(month=start).exclude(
        order__date_issued__gte=start, order__date_issued__lt=end
    )
    moved_totals = moved.aggregate(
        lines=Count("pk"),
        amount=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
        spiffs=Coalesce(Sum("spiff_amount"), ZERO, output_field=MONEY),
    )
    stale_lines += moved_totals["lines"]
    stale_amount += money(moved_totals["amount"]) + money(moved_totals["spiffs"])
    return {
        "month": month_format(start),
        "total": {"orders": total.orders, "revenue": total.revenue},
        "paid": {"orders": paid.orders, "revenue": paid.revenue, "commission": paid.amount},
        "unattributed": unattributed,
        "excluded": excluded,
        "reconciles": paid.revenue + unattributed["revenue"] + excluded["revenue"] == total.revenue
        and paid.orders + unattributed["orders"] + excluded["orders"] == total.orders,
        "steps": steps,
        "duplicates": [
            {"number": number, "duplicate_of": superseded[pk]}
            for pk, number in SalesOrder.objects.filter(pk__in=list(superseded))
            .order_by("number")
            .values_list("pk", "number")
        ],
        # Lines a recalculation would remove: their order was voided, imported again, or moved to another month.
        "stale_lines": {"lines": stale_lines, "amount": stale_amount},
    }


def _sum(dropped: dict[str, Bucket], keep) -> dict[str, Any]:
    chosen = [bucket for reason, bucket in dropped.items() if keep(reason)]
    return {
        "orders": sum(b.orders for b in chosen),
        "revenue": sum((b.revenue for b in chosen), ZERO),
    }
