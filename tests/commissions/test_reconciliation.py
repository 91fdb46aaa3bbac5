"""Every order of a month ends somewhere a person can see: on one line, or listed with its reason; the month's
revenue reconciles to the cent; recalculating one rep never loses an order another rep now has."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from commissions.models import CommissionLine, SalesRep, Title
from commissions.reconciliation import commission_reconciliation
from commissions.services import commission_calculate
from customers.models import SalesOrder
from tests.api.conftest import make_token

from .conftest import customer, order

pytestmark = pytest.mark.django_db
MARCH = "2026-03"


@pytest.fixture
def march(db):
    """Two reps' March: AdaL sells M01–M03 (M03: 732.50 of revenue), BenO sells M04 to another customer, plus
    orders that fall out (unknown customer, house account, void)."""
    for username in ("AdaL", "BenO"):
        SalesRep.objects.create(fishbowl_username=username, name=username, title=Title.ACCOUNT_EXECUTIVE)
    acme, globex, initech = customer("A1"), customer("B1"), customer("C1")
    return {
        "M01": order(acme, date(2026, 3, 2), "AdaL", [("sale", 2, "1000.00")], number="M01"),
        "M02": order(
            acme, date(2026, 3, 9), "AdaL", [("sale", 1, "250.10"), ("shipping", 1, "9.90")], number="M02"
        ),
        "M03": order(globex, date(2026, 3, 12), "AdaL", [("sale", 5, "732.50")], number="M03"),
        "M04": order(initech, date(2026, 3, 20), "BenO", [("sale", 1, "400.00")], number="M04"),
        "M05": order(None, date(2026, 3, 21), "AdaL", [("sale", 1, "99.99")], number="M05", account="GONE"),
        "M06": order(acme, date(2026, 3, 22), "admin", [("sale", 1, "10.01")], number="M06"),
        "M07": order(
            acme,
            date(2026, 3, 23),
            "AdaL",
            [("sale", 1, "55.55")],
            number="M07",
            status=SalesOrder.Status.VOID,
        ),
    }


def lines() -> dict[str, tuple[str, Decimal, str]]:
    return {
        number: (person, amount + spiff, reason)
        for number, person, amount, spiff, reason in CommissionLine.objects.filter(
            month=date(2026, 3, 1)
        ).values_list("order_number", "sales_person", "amount", "spiff_amount", "reason")
    }


def fishbowl_moves_m03_to_beno(march) -> None:
    """What a re-import does when Fishbowl reassigns the order (saved like the import saves it)."""
    m03 = march["M03"]
    m03.sales_person = "BenO"
    m03.save()


def test_recalculating_the_rep_who_lost_an_order_puts_it_on_the_new_reps_line(march):
    commission_calculate(month=MARCH)
    total_before = sum(amount for _, amount, _ in lines().values())
    fishbowl_moves_m03_to_beno(march)

    call_command("commissions_calculate", "--month", MARCH, "--sales-person", "AdaL")

    after_one_rep = lines()
    assert after_one_rep["M03"][0] == "BenO"  # on exactly one line (one per order and month), BenO's
    commission_calculate(month=MARCH)
    assert after_one_rep == lines()  # the same as recalculating everything
    # Same customer status and rates here, so moving the order moves its commission, it does not vanish.
    assert sum(amount for _, amount, _ in after_one_rep.values()) == total_before


def test_recalculating_the_rep_who_gained_an_order_replaces_the_old_reps_line(march):
    commission_calculate(month=MARCH)
    fishbowl_moves_m03_to_beno(march)
    commission_calculate(month=MARCH, sales_person="beno")
    assert (
        CommissionLine.objects.filter(order=march["M03"]).values_list("sales_person", flat=True).get()
        == "BenO"
    )


def test_a_reps_recalculation_drops_lines_of_orders_that_left_the_month(march):
    commission_calculate(month=MARCH)
    m01 = march["M01"]
    m01.date_issued = date(2026, 4, 1)
    m01.save()
    commission_calculate(month=MARCH, sales_person="AdaL")
    assert "M01" not in lines()


def test_every_order_of_the_month_is_paid_or_listed_with_its_reason_and_the_revenue_reconciles(march):
    commission_calculate(month=MARCH)
    report = commission_reconciliation(month=MARCH)

    # 1000.00 + 260.00 + 732.50 + 400.00 + 99.99 + 10.01 + 55.55, worked out by hand.
    assert report["total"] == {"orders": 7, "revenue": Decimal("2558.05")}
    assert report["paid"]["orders"] == 4
    assert report["paid"]["revenue"] == Decimal("2392.50")
    assert report["unattributed"] == {"orders": 1, "revenue": Decimal("99.99")}
    assert report["excluded"] == {"orders": 2, "revenue": Decimal("65.56")}  # house account + void
    assert report["reconciles"]
    assert report["paid"]["commission"] == sum(amount for _, amount, _ in lines().values())
    steps = {step["key"]: step for step in report["steps"]}
    assert [steps[k]["orders"] for k in ("imported", "linked", "attributed", "paid")] == [7, 5, 5, 4]
    linked_out = {g["reason"]: (g["orders"], g["examples"]) for g in steps["linked"]["dropped"]}
    assert linked_out == {"status_not_counted": (1, ["M07"]), "unknown_customer": (1, ["M05"])}
    assert [(g["reason"], g["examples"]) for g in steps["paid"]["dropped"]] == [("house_account", ["M06"])]


def test_a_duplicate_import_is_listed_by_number_and_reconciled_as_excluded(march):
    again = order(
        customer("C9"), date(2026, 3, 25), "BenO", [("sale", 1, "10.00")], number="M08-OLD", fishbowl_id=8
    )
    newer = order(
        again.customer, date(2026, 3, 25), "BenO", [("sale", 1, "10.00")], number="M08", fishbowl_id=8
    )
    result = commission_calculate(month=MARCH)
    assert [(d.number, d.duplicate_of) for d in result.duplicates] == [("M08-OLD", "M08")]
    assert "M08-OLD (imported again as M08)" in result.summary()
    assert result.paid_revenue + result.unattributed_revenue + result.excluded_revenue == result.revenue
    report = commission_reconciliation(month=MARCH)
    assert report["duplicates"] == [{"number": "M08-OLD", "duplicate_of": "M08"}]
    assert report["reconciles"] and report["total"]["orders"] == 9
    assert CommissionLine.objects.filter(order=newer).exists()
    assert not CommissionLine.objects.filter(order=again).exists()


def test_orders_changed_since_the_calculation_show_as_not_calculated_and_stale_lines(march):
    commission_calculate(month=MARCH)
    order(customer("N1"), date(2026, 3, 30), "AdaL", number="M09")  # imported after the calculation
    march["M04"].status = SalesOrder.Status.VOID
    march["M04"].save()
    report = commission_reconciliation(month=MARCH)
    linked_out = {g["reason"]: g["examples"] for g in report["steps"][1]["dropped"]}
    assert linked_out["not_calculated"] == ["M09"]
    assert "M04" in linked_out["status_not_counted"]
    assert report["stale_lines"]["lines"] == 1  # M04's line still pays until the month is recalculated
    assert report["reconciles"]


def test_the_report_page_shows_where_the_revenue_went(march, admin_client, settings):
    commission_calculate(month=MARCH)
    html = admin_client.get(
        reverse("admin:commissions_commissionline_report") + f"?month={MARCH}"
    ).content.decode()
    assert "Where the revenue went" in html
    assert "2558.05" in html and "Reconciles to the cent" in html
    assert "M05" in html  # the unattributed order, by number


def test_the_api_answers_the_same_reconciliation_with_money_as_text(march):
    commission_calculate(month=MARCH)
    user = get_user_model().objects.create_user("reporter", password="pw-reporter")
    user.groups.add(Group.objects.get(name="Reporting"))  # reads need view permissions
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(user, read_only=True)}")
    body = api.get(f"/api/v1/commission-reconciliation/?month={MARCH}").json()
    assert body["total"] == {"orders": 7, "revenue": "2558.05"}
    assert body["reconciles"] is True
    assert [step["orders"] for step in body["steps"]] == [7, 5, 5, 4]
    assert api.get("/api/v1/commission-reconciliation/?month=March").status_code == 400
