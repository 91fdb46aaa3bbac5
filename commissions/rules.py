"""The commission rules for one order, as pure functions over plain values (no database access).

``services.commission_calculate`` loads a month in a few set-based queries and calls ``order_commission`` per
order; keeping the rules here lets each be read, and tested, on its own.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from commissions.models import CommissionLine, CustomerStatus
from commissions.months import months_add

Reason = CommissionLine.Reason
CENT = Decimal("0.01")
ZERO = Decimal("0")
UNKNOWN_ACCOUNT_TYPE = "unknown"


@dataclass(frozen=True)
class Rules:
    """The settings that shape a calculation (a snapshot of ``CommissionSettings``)."""

    house_accounts: frozenset[str]
    months_new: int = 6
    months_established: int = 12
    months_revived: int = 12


@dataclass
class OrderFacts:
    """What the rules need to know about one order: its sums, customer and history before it."""

    order_id: int
    number: str
    date_issued: date
    sales_person: str
    customer_id: int | None
    customer_account_number: str
    account_type: str | None
    revenue: Decimal
    base: Decimal
    fulfilled: Decimal
    first_date: date | None = None
    previous_date: date | None = None
    previous_sales_person: str = ""


@dataclass
class Outcome:
    reason: str = Reason.PAID
    rep_id: int | None = None
    segment: str = ""
    customer_status: str = ""
    status_pinned: bool = False
    rate: Decimal | None = None
    amount: Decimal = ZERO
    spiff_amount: Decimal = ZERO
    override_applied: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def attributed(self) -> bool:
        return self.reason not in CommissionLine.UNATTRIBUTED


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def customer_status(
    *,
    order_date: date,
    sales_person: str,
    first_date: date | None,
    previous_date: date | None,
    previous_sales_person: str,
    rules: Rules,
) -> str:
    """The customer's status for an order, from its order history before that order.

    In order: no earlier order → new; previous order ``months_revived``+ calendar months earlier → revived (a
    customer won back is paid as new, whoever had it before); previous order by another sales person →
    transferred; otherwise by calendar months since the first order: up to and including ``months_new`` → new,
    before ``months_established`` → 6-month, from then on → 12-month.
    """
    if previous_date is None or first_date is None:
        return CustomerStatus.NEW
    if order_date >= months_add(previous_date, rules.months_revived):
        return CustomerStatus.REVIVED
    previous, current = previous_sales_person.strip().lower(), sales_person.strip().lower()
    if previous and current and previous != current:
        return CustomerStatus.TRANSFERRED
    if order_date <= months_add(first_date, rules.months_new):
        return CustomerStatus.NEW
    if order_date < months_add(first_date, rules.months_established):
        return CustomerStatus.SIX_MONTH
    return CustomerStatus.TWELVE_MONTH


def order_commission(
    facts: OrderFacts,
    *,
    rules: Rules,
    reps: dict[str, "RepFacts"],
    rates: dict[tuple[str, str, str], Decimal],
    pins: dict[int, str],
    override: tuple[Decimal | None, Decimal | None] | None,
    spiff: Decimal,
) -> Outcome:
    """Decide one order: who, which segment and status, which rate, how much, or why nothing.

    Checks run in this order: nothing fulfilled; house account; unattributed (unknown customer, unknown account
    type, no sales person, sales person without a ``SalesRep``); rep inactive; rep not commissioned; no rate.
    Only a line with no reason is paid. An override (rate or amount) replaces the table on a paid line.
    """
    out = Outcome()
    username = facts.sales_person.strip().lower()
    rep = reps.get(username) if username else None
    out.rep_id = rep.pk if rep else None
    if facts.account_type is not None:
        out.segment = facts.account_type
    if facts.customer_id is not None:
        pinned = pins.get(facts.customer_id)
        out.status_pinned = pinned is not None
        out.customer_status = pinned or customer_status(
            order_date=facts.date_issued,
            sales_person=facts.sales_person,
            first_date=facts.first_date,
            previous_date=facts.previous_date,
            previous_sales_person=facts.previous_sales_person,
            rules=rules,
        )

    if facts.fulfilled <= 0:
        out.reason = Reason.NOTHING_FULFILLED
    elif username and username in rules.house_accounts:
        out.reason = Reason.HOUSE_ACCOUNT
    elif facts.customer_id is None:
        out.reason = Reason.UNKNOWN_CUSTOMER
    elif not facts.account_type or facts.account_type == UNKNOWN_ACCOUNT_TYPE:
        out.reason = Reason.UNKNOWN_ACCOUNT_TYPE
    elif not username:
        out.reason = Reason.NO_SALES_PERSON
    elif rep is None:
        out.reason = Reason.UNKNOWN_SALES_PERSON
    elif not rep.is_active:
        out.reason = Reason.REP_INACTIVE
    elif not rep.is_commissioned:
        out.reason = Reason.REP_NOT_COMMISSIONED
    else:
        out.rate = rates.get((rep.title, out.segment, out.customer_status))
        if out.rate is None:
            out.reason = Reason.NO_RATE
    if out.reason != Reason.PAID:
        if override is not None:
            out.notes.append("override ignored: the order is not paid")
        return out

    out.amount = money(facts.base * out.rate)
    if override is not None:
        override_rate, override_amount = override
        if override_rate is not None:
            out.rate = override_rate
            out.amount = money(facts.base * override_rate)
        else:
            out.amount = money(override_amount)
        out.override_applied = True
    out.spiff_amount = money(spiff)
    return out


@dataclass(frozen=True)
class RepFacts:
    pk: int
    title: str
    is_active: bool
    is_commissioned: bool


@dataclass(frozen=True)
class SpiffFacts:
    product_number: str
    kind: str
    value: Decimal
    start_date: date
    end_date: date | None

    def pays(self, *, on: date, quantity: Decimal, total: Decimal) -> Decimal:
        """The spiff for one order line issued ``on`` (zero outside the dates)."""
        if on < self.start_date or (self.end_date is not None and on > self.end_date):
            return ZERO
        if self.kind == "percent":
            return total * self.value
        return quantity * self.value
