"""Sales metrics per linked Fishbowl customer, computed in the database in a constant number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.selectors import metrics_for_customers
from metrics.values import products_text
from tests.metrics.metrics_world import AS_OF, company_create, order_create, world_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return world_create()


def test_metrics_count_only_sales_statuses_and_leave_out_shipping_and_card_fees(world):
    acme = metrics_for_customers(as_of=AS_OF)[world["acme"].fishbowl_customer.pk]
    assert acme.total_orders == 3  # the estimate SO-4 does not count
    assert acme.total_spent == Decimal("180.00")
    assert acme.average_order_value == Decimal("60.00")
    assert (acme.first_order_date, acme.last_order_date) == (dt.date(2025, 3, 1), dt.date(2026, 6, 2))
    assert acme.days_since_last_order == 28
    assert acme.spent_last_12_months == Decimal("80.00")
    assert acme.sample_kit_sent is True
    assert acme.sample_kit_date == dt.date(2026, 6, 2)


def test_top_products_are_the_three_best_sellers_by_quantity_without_shipping(world):
    acme = metrics_for_customers(as_of=AS_OF)[world["acme"].fishbowl_customer.pk]
    # SHIP was fulfilled 50 times but is a shipping line.
    assert products_text(acme.top_products) == "OIL-1 (12), OIL-2 (4), SAMPLE-KIT (1)"


def test_shipping_and_card_fees_count_when_the_settings_say_so(world, settings):
    settings.METRICS_INCLUDE_SHIPPING = True
    assert metrics_for_customers(as_of=AS_OF)[world["acme"].fishbowl_customer.pk].total_spent == Decimal(
        "195.00"
    )
    settings.METRICS_INCLUDE_CARD_FEES = True
    assert metrics_for_customers(as_of=AS_OF)[world["acme"].fishbowl_customer.pk].total_spent == Decimal(
        "198.00"
    )


def test_the_counted_statuses_and_the_sample_kit_product_are_settings(world, settings):
    settings.METRICS_ORDER_STATUSES = [10]
    settings.METRICS_SAMPLE_KIT_PRODUCT = "OIL-9"
    acme = metrics_for_customers(as_of=AS_OF)[world["acme"].fishbowl_customer.pk]
    assert (acme.total_orders, acme.total_spent, acme.sample_kit_date) == (
        1,
        Decimal("999.00"),
        dt.date(2026, 6, 3),
    )


def test_a_customer_without_orders_has_zero_totals_and_no_dates(world):
    cedar = metrics_for_customers(as_of=AS_OF)[world["cedar"].fishbowl_customer.pk]
    assert (cedar.total_orders, cedar.total_spent, cedar.average_order_value) == (0, Decimal("0.00"), None)
    assert (cedar.first_order_date, cedar.days_since_last_order, cedar.top_products) == (None, None, [])
    assert cedar.sample_kit_sent is False


def test_only_customers_linked_to_a_copper_company_get_metrics(world):
    from customers.models import FishbowlCustomer

    FishbowlCustomer.objects.create(account_number="2000", name="Unlinked")
    metrics = metrics_for_customers(as_of=AS_OF)
    assert {m.copper_company_id for m in metrics.values()} == {101, 102, 103}
    only = metrics_for_customers(customer_ids=[world["birch"].fishbowl_customer.pk], as_of=AS_OF)
    assert [m.copper_company_id for m in only.values()] == [102]
    assert only[world["birch"].fishbowl_customer.pk].total_spent == Decimal("600.00")


def test_metrics_take_the_same_number_of_queries_for_three_or_thirty_customers(world):
    with CaptureQueriesContext(connection) as few:
        metrics_for_customers(as_of=AS_OF)
    for i in range(27):
        company_create(500 + i, f"More {i}", f"M{i}")
        order_create(f"SO-M{i}", f"M{i}", dt.date(2026, 1, 1), [("OIL-1", "sale", 1, "10.00")])
    with CaptureQueriesContext(connection) as many:
        metrics = metrics_for_customers(as_of=AS_OF)
    assert len(metrics) == 30
    assert len(many.captured_queries) == len(few.captured_queries) <= 5
