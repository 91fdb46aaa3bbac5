"""Each commission rule, pinned with a crafted order history."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commissions.models import (
    CommissionLine,
    CommissionOverride,
    CommissionRate,
    CustomerStatusPin,
    SalesRep,
    Spiff,
)
from commissions.selectors import commission_settings_get, commission_unattributed_summary
from commissions.services import commission_calculate
from customers.models import SalesOrder

from .conftest import customer, order

pytestmark = pytest.mark.django_db
JAN = date(2026, 1, 1)


def line(so) -> CommissionLine:
    return CommissionLine.objects.get(order=so)


def test_a_first_order_is_new_and_paid_at_the_wholesale_new_rate(reps):
    so = order(customer(), date(2026, 1, 10))
    result = commission_calculate(month="2026-01")
    paid = line(so)
    assert (paid.customer_status, paid.segment, paid.rate, paid.amount) == (
        "new",
        "wholesale",
        Decimal("0.08"),
        Decimal("80.00"),
    )
    assert paid.rep == reps["jane"] and paid.attributed and paid.reason == ""
    assert (result.orders, result.paid, result.amount) == (1, 1, Decimal("80.00"))


def test_the_customer_is_six_month_after_six_months_and_twelve_month_after_twelve(reps):
    c = customer()
    order(c, date(2025, 1, 5))
    order(c, date(2025, 6, 5))
    order(c, date(2025, 11, 5))
    six = order(c, date(2025, 12, 20))
    commission_calculate(month="2025-12")
    assert line(six).customer_status == "six_month"
    assert line(six).amount == Decimal("60.00")
    twelve = order(c, date(2026, 1, 5))
    commission_calculate(month="2026-01")
    assert line(twelve).customer_status == "twelve_month"
    assert line(twelve).amount == Decimal("40.00")


def test_months_are_calendar_months_so_jan_31_to_jul_31_is_still_new(reps):
    c = customer()
    order(c, date(2025, 1, 31))
    on_boundary = order(c, date(2025, 7, 31))
    day_after = order(c, date(2025, 8, 1))
    commission_calculate(month="2025-07")
    commission_calculate(month="2025-08")
    # Thirty-day months would have made 31 July (181 days later) a 6-month order.
    assert line(on_boundary).customer_status == "new"
    assert line(day_after).customer_status == "six_month"


def test_an_earlier_order_in_the_same_month_counts_as_history(reps):
    c = customer()
    order(c, date(2024, 1, 10))
    first = order(c, date(2026, 1, 5), sales_person="bob")
    second = order(c, date(2026, 1, 20), sales_person="bob")
    commission_calculate(month="2026-01")
    assert line(first).customer_status == "revived"
    assert line(second).customer_status == "twelve_month"


def test_a_previous_order_by_another_sales_person_makes_the_customer_transferred(reps):
    moved, kept = customer(), customer()
    order(moved, date(2025, 10, 1), sales_person="jane")
    order(kept, date(2025, 10, 1), sales_person="jane")
    to_bob = order(moved, date(2026, 1, 10), sales_person="BOB")
    still_jane = order(kept, date(2026, 1, 10), sales_person="Jane")
    commission_calculate(month="2026-01")
    assert line(to_bob).customer_status == "transferred"
    assert line(to_bob).rep == reps["bob"]
    assert line(to_bob).amount == Decimal("40.00")
    # The same rep (whatever the case of the username) is not a transfer.
    assert line(still_jane).customer_status == "new"


def test_a_customer_back_after_twelve_months_is_revived_and_paid_as_new(reps):
    c = customer()
    order(c, date(2023, 3, 1))
    order(c, date(2024, 12, 31), sales_person="bob")
    revived = order(c, date(2026, 1, 1))
    not_yet = customer()
    order(not_yet, date(2024, 3, 1))
    order(not_yet, date(2025, 1, 2))
    eleven_months = order(not_yet, date(2026, 1, 1))
    commission_calculate(month="2026-01")
    assert line(revived).customer_status == "revived"
    assert line(revived).amount == Decimal("80.00")
    assert line(eleven_months).customer_status == "twelve_month"


@pytest.mark.parametrize("exclude, expected_base", [(True, "1000.00"), (False, "1042.50")])
def test_shipping_and_card_fees_leave_the_base_only_when_the_settings_say_so(reps, exclude, expected_base):
    conf = commission_settings_get()
    conf.exclude_shipping = conf.exclude_cc_processing = exclude
    conf.save()
    so = order(
        customer(),
        date(2026, 1, 10),
        lines=[("sale", 2, "1000"), ("shipping", 1, "35"), ("cc_processing", 1, "7.50")],
    )
    commission_calculate(month="2026-01")
    assert line(so).base == Decimal(expected_base)
    assert line(so).revenue == Decimal("1042.50")
    assert line(so).amount == (Decimal(expected_base) * Decimal("0.08")).quantize(Decimal("0.01"))


def test_negative_lines_reduce_the_base(reps):
    so = order(
        customer(), date(2026, 1, 10), lines=[("sale", 3, "500"), ("discount", 0, "-100"), ("sale", 1, "-50")]
    )
    commission_calculate(month="2026-01")
    assert line(so).base == Decimal("350.00")
    assert line(so).amount == Decimal("28.00")


def test_house_accounts_are_excluded_and_counted(reps):
    conf = commission_settings_get()
    conf.house_accounts = ["admin", "webshop"]
    conf.save()
    SalesRep.objects.create(fishbowl_username="admin", name="System")
    c = customer()
    by_admin = order(c, date(2026, 1, 3), sales_person="Admin")
    by_shop = order(c, date(2026, 1, 4), sales_person="webshop")
    result = commission_calculate(month="2026-01")
    assert {line(by_admin).reason, line(by_shop).reason} == {"house_account"}
    assert line(by_admin).amount == line(by_shop).amount == 0
    assert result.by_reason["house_account"] == 2 and result.paid == 0


def test_inactive_and_uncommissioned_reps_are_excluded_and_counted(reps):
    SalesRep.objects.create(fishbowl_username="gone", name="Gone", is_active=False)
    SalesRep.objects.create(fishbowl_username="boss", name="Boss", is_commissioned=False)
    c = customer()
    gone = order(c, date(2026, 1, 3), sales_person="gone")
    boss = order(c, date(2026, 1, 4), sales_person="boss")
    result = commission_calculate(month="2026-01")
    assert (line(gone).reason, line(gone).amount, line(gone).attributed) == ("rep_inactive", 0, True)
    assert (line(boss).reason, line(boss).amount) == ("rep_not_commissioned", 0)
    assert result.by_reason == {"rep_inactive": 1, "rep_not_commissioned": 1}


def test_an_order_with_nothing_fulfilled_is_excluded_and_counted(reps):
    so = order(customer(), date(2026, 1, 3), lines=[("sale", 0, "900"), ("shipping", 1, "20")])
    result = commission_calculate(month="2026-01")
    assert (line(so).reason, line(so).amount) == ("nothing_fulfilled", 0)
    assert result.by_reason == {"nothing_fulfilled": 1}


def test_retail_customers_pay_nothing_by_default(reps):
    so = order(customer(account_type="retail"), date(2026, 1, 3))
    commission_calculate(month="2026-01")
    assert (line(so).segment, line(so).rate, line(so).amount, line(so).reason) == ("retail", 0, 0, "")


def test_distributors_pay_half_the_wholesale_rate(reps):
    so = order(customer(account_type="distributor"), date(2026, 1, 3))
    commission_calculate(month="2026-01")
    assert line(so).amount == Decimal("40.00")


def test_an_unknown_account_type_is_unattributed_and_never_paid_at_a_guessed_rate(reps):
    so = order(customer(account_type="unknown"), date(2026, 1, 3), lines=[("sale", 1, "1234.56")])
    result = commission_calculate(month="2026-01")
    assert (line(so).attributed, line(so).reason, line(so).amount, line(so).rate) == (
        False,
        "unknown_account_type",
        0,
        None,
    )
    assert (result.unattributed, result.unattributed_revenue) == (1, Decimal("1234.56"))


def test_unknown_customers_and_missing_or_unknown_sales_persons_are_listed_with_their_revenue(reps):
    no_customer = order(None, date(2026, 1, 3), lines=[("sale", 1, "500")], account="X-1")
    c = customer()
    no_person = order(c, date(2026, 1, 4), sales_person="", lines=[("sale", 1, "300")])
    stranger = order(c, date(2026, 1, 5), sales_person="stranger", lines=[("sale", 1, "200")])
    paid = order(c, date(2026, 1, 6))
    commission_calculate(month="2026-01")
    assert line(no_customer).reason == "unknown_customer"
    assert line(no_customer).customer_account_number == "X-1"
    assert line(no_person).reason == "no_sales_person"
    assert line(stranger).reason == "unknown_sales_person"
    assert line(paid).attributed
    summary = commission_unattributed_summary(month="2026-01")
    assert summary["count"] == 3 and summary["revenue"] == Decimal("1000.00")
    assert summary["by_reason"]["unknown_customer"] == {
        "label": "Unknown customer",
        "count": 1,
        "revenue": Decimal("500.00"),
    }
    assert commission_unattributed_summary()["count"] == 3


def test_a_pinned_status_wins_over_the_history(reps, staff_user):
    c = customer()
    order(c, date(2024, 1, 1))
    order(c, date(2025, 6, 1))
    so = order(c, date(2026, 1, 3))
    CustomerStatusPin.objects.create(
        customer=c, status="new", reason="Re-won after a dispute", pinned_by=staff_user
    )
    commission_calculate(month="2026-01")
    assert (line(so).customer_status, line(so).status_pinned, line(so).amount) == (
        "new",
        True,
        Decimal("80.00"),
    )


def test_overrides_of_rate_or_amount_win_and_survive_recalculation(reps, staff_user):
    c = customer()
    by_rate = order(c, date(2026, 1, 3))
    by_amount = order(c, date(2026, 1, 4))
    CommissionOverride.objects.create(
        order=by_rate, rate=Decimal("0.10"), reason="Agreed 10 %", created_by=staff_user
    )
    CommissionOverride.objects.create(order=by_amount, amount=Decimal("12.34"), reason="Split deal")
    commission_calculate(month="2026-01")
    CommissionRate.objects.filter(segment="wholesale").update(rate=Decimal("0.05"))
    result = commission_calculate(month="2026-01")
    assert (line(by_rate).amount, line(by_rate).rate, line(by_rate).override_applied) == (
        Decimal("100.00"),
        Decimal("0.1"),
        True,
    )
    assert (line(by_amount).amount, line(by_amount).override_applied) == (Decimal("12.34"), True)
    assert result.overrides_applied == 2
    assert CommissionOverride.objects.count() == 2


def test_an_override_never_pays_an_unattributed_order(reps):
    so = order(customer(account_type="unknown"), date(2026, 1, 3))
    CommissionOverride.objects.create(order=so, amount=Decimal("99"), reason="Guess")
    result = commission_calculate(month="2026-01")
    assert (line(so).amount, line(so).override_applied) == (0, False)
    assert result.overrides_ignored == 1


def test_spiffs_pay_flat_per_unit_or_a_fraction_of_the_line_within_their_dates(reps):
    Spiff.objects.create(
        product_number="KIT",
        kind="flat",
        value=Decimal("2.50"),
        start_date=date(2026, 1, 10),
        end_date=date(2026, 1, 20),
    )
    Spiff.objects.create(
        product_number="GEL", kind="percent", value=Decimal("0.05"), start_date=date(2025, 12, 1)
    )
    c = customer()
    inside = order(
        c,
        date(2026, 1, 15),
        lines=[("sale", 4, "400", "KIT"), ("sale", 1, "200", "GEL"), ("sale", 1, "400", "OTHER")],
    )
    outside = order(c, date(2026, 1, 25), lines=[("sale", 4, "400", "KIT")])
    commission_calculate(month="2026-01")
    assert line(inside).spiff_amount == Decimal("20.00")  # 4 × 2.50 + 5 % of 200
    assert line(inside).amount == Decimal("80.00")
    assert line(outside).spiff_amount == 0


def test_only_counted_statuses_issued_in_the_month_are_calculated(reps):
    c = customer()
    counted = order(c, date(2026, 1, 31), status=SalesOrder.Status.ISSUED)
    order(c, date(2026, 1, 15), status=SalesOrder.Status.ESTIMATE)
    order(c, date(2026, 1, 16), status=SalesOrder.Status.VOID)
    order(c, date(2026, 2, 1))
    order(c, date(2025, 12, 31))
    result = commission_calculate(month="2026-01")
    assert list(CommissionLine.objects.values_list("order", flat=True)) == [counted.pk]
    assert result.orders == 1


def test_the_same_fishbowl_order_imported_twice_counts_once(reps):
    c = customer()
    first = order(c, date(2026, 1, 3), fishbowl_id=77)
    latest = order(c, date(2026, 1, 3), fishbowl_id=77)
    result = commission_calculate(month="2026-01")
    assert list(CommissionLine.objects.values_list("order", flat=True)) == [latest.pk]
    assert [(d.number, d.duplicate_of) for d in result.duplicates] == [(first.number, latest.number)]


def test_recalculating_replaces_the_months_lines(reps):
    c = customer()
    first = order(c, date(2026, 1, 3))
    commission_calculate(month="2026-01")
    SalesOrder.objects.filter(pk=first.pk).update(status=SalesOrder.Status.VOID)
    second = order(c, date(2026, 1, 9))
    commission_calculate(month="2026-01")
    assert list(CommissionLine.objects.values_list("order", flat=True)) == [second.pk]


def test_a_failed_recalculation_leaves_the_previous_lines_untouched(reps, monkeypatch):
    so = order(customer(), date(2026, 1, 3))
    commission_calculate(month="2026-01")
    before = list(CommissionLine.objects.values_list("pk", "amount"))
    CommissionRate.objects.filter(segment="wholesale").update(rate=Decimal("0.5"))

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("commissions.services.lines.lines_insert", explode)
    with pytest.raises(RuntimeError):
        commission_calculate(month="2026-01")
    assert list(CommissionLine.objects.values_list("pk", "amount")) == before
    assert line(so).amount == Decimal("80.00")


def test_one_sales_persons_recalculation_replaces_only_their_lines(reps):
    c = customer()
    janes = order(c, date(2026, 1, 3), sales_person="jane")
    bobs = order(customer(), date(2026, 1, 4), sales_person="bob")
    commission_calculate(month="2026-01")
    bob_line = line(bobs).pk
    CommissionRate.objects.filter(segment="wholesale").update(rate=Decimal("0.01"))
    result = commission_calculate(month="2026-01", sales_person="JANE")
    assert result.orders == 1
    assert line(janes).amount == Decimal("10.00")
    assert line(bobs).pk == bob_line and line(bobs).amount == Decimal("80.00")


def test_a_rate_missing_from_the_table_pays_nothing_and_says_so(reps):
    CommissionRate.objects.filter(
        title="account_executive", segment="wholesale", customer_status="new"
    ).delete()
    so = order(customer(), date(2026, 1, 3))
    commission_calculate(month="2026-01")
    assert (line(so).reason, line(so).amount, line(so).attributed) == ("no_rate", 0, True)


def _world(orders: int) -> None:
    people = ["jane", "bob", "gone", "", "admin", "stranger"]
    for i in range(orders):
        c = customer(account_type=["wholesale", "distributor", "retail", "unknown"][i % 4])
        order(c, date(2025, 3, 1 + i % 28), sales_person=people[(i + 1) % 6])
        so = order(
            c if i % 5 else None,
            date(2026, 1, 1 + i % 28),
            sales_person=people[i % 6],
            lines=[("sale", 1, "100", "KIT"), ("shipping", 1, "5")],
        )
        if i % 7 == 0 and so.customer_id:
            CommissionOverride.objects.create(order=so, amount=Decimal("1"), reason="r")
            CustomerStatusPin.objects.create(customer=c, status="new", reason="r")


def test_the_number_of_queries_does_not_grow_with_the_number_of_orders(reps):
    Spiff.objects.create(product_number="KIT", kind="flat", value=Decimal("1"), start_date=date(2025, 1, 1))
    SalesRep.objects.create(fishbowl_username="gone", name="Gone", is_active=False)
    _world(3)
    with CaptureQueriesContext(connection) as few:
        small = commission_calculate(month="2026-01")
    CommissionLine.objects.all().delete()
    _world(40)
    with CaptureQueriesContext(connection) as many:
        large = commission_calculate(month="2026-01")
    assert (small.orders, large.orders) == (3, 43)
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
