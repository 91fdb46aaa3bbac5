"""``/api/v1/metrics/?as_of=`` answers as of that day: later orders left out, days counted to that day."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db


def _metrics(api, user, query=""):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(user, read_only=True)}")
    rows = api.get(f"/api/v1/metrics/{query}").json()["results"]
    return {row["account_number"]: row for row in rows}


def test_metrics_as_of_a_day_count_only_the_orders_issued_by_then(api, reporter, world):
    # Customer 1001's orders: SO-001, 011, 021 (Jan 2, 12, 22), $100 each; SO-011 is issued after Jan 11.
    as_of = _metrics(api, reporter, "?as_of=2026-01-11")["1001"]
    assert as_of["total_orders"] == 1
    assert Decimal(as_of["total_spent"]) == Decimal("100.00")
    assert as_of["last_order_date"] == "2026-01-02"
    assert (
        as_of["days_since_last_order"] == 9
    )  # never negative: counted to Jan 11 from the last order by then
    assert Decimal(as_of["spent_last_12_months"]) == Decimal("100.00")

    later = _metrics(api, reporter, "?as_of=2026-06-30")["1001"]
    assert later["total_orders"] == 3
    assert later["last_order_date"] == "2026-01-22"
    assert later["days_since_last_order"] == (dt.date(2026, 6, 30) - dt.date(2026, 1, 22)).days


def test_metrics_before_any_order_are_empty_not_negative(api, reporter, world):
    row = _metrics(api, reporter, "?as_of=2025-12-31")["1001"]
    assert row["total_orders"] == 0
    assert row["days_since_last_order"] is None
    assert Decimal(row["total_spent"]) == Decimal("0")


def test_metrics_list_only_customers_of_active_companies_the_push_writes_to(api, reporter, world):
    # Company 00 and 05 are inactive in Copper: the push never writes them, so the API does not list them.
    assert set(_metrics(api, reporter)) == {str(1000 + i) for i in range(10) if i % 5}
