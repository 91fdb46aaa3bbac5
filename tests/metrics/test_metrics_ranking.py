"""Top products are ranked in the database: sums across orders, ties by product number, the same either way."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.models import FishbowlCustomer
from metrics.selectors import metrics_for_customers
from tests.metrics.metrics_world import AS_OF, company_create, order_create, world_create

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 1)


@pytest.fixture
def world():
    world = world_create()
    company_create(601, "Dahlia Deli", "3001")
    # Z sells 7 in all (over two orders); a, B-1 and b-2 tie at 5; C is the fifth best.
    order_create(
        "SO-D1", "3001", DAY, [("b-2", "sale", 5, "50"), ("Z", "sale", 3, "30"), ("C", "sale", 2, "20")]
    )
    order_create(
        "SO-D2", "3001", DAY, [("a", "sale", 5, "50"), ("Z", "sale", 4, "40"), ("B-1", "sale", 5, "50")]
    )
    world["dahlia"] = FishbowlCustomer.objects.get(account_number="3001")
    return world


def test_ties_go_to_the_smaller_product_number_by_code_point(world):
    dahlia = metrics_for_customers(as_of=AS_OF)[world["dahlia"].pk]
    # Upper case sorts before lower case, as in Python, whatever the database's collation.
    assert dahlia.top_products == [("Z", Decimal("7")), ("B-1", Decimal("5")), ("a", Decimal("5"))]
    assert dahlia.total_spent == Decimal("240.00")


def test_metrics_for_some_customers_equal_those_computed_for_all(world):
    everyone = metrics_for_customers(as_of=AS_OF)
    some_ids = [world["dahlia"].pk, world["acme"].fishbowl_customer.pk]
    some = metrics_for_customers(customer_ids=some_ids, as_of=AS_OF)
    assert sorted(some) == sorted(some_ids)
    for pk in some_ids:
        assert some[pk] == everyone[pk]


def test_orders_of_customers_without_a_copper_company_are_left_out(world):
    FishbowlCustomer.objects.create(account_number="4000", name="Walk-in")
    order_create("SO-W1", "4000", DAY, [("OIL-1", "sale", 9, "90")])
    metrics = metrics_for_customers(as_of=AS_OF)
    assert FishbowlCustomer.objects.get(account_number="4000").pk not in metrics
    assert len(metrics) == 4
