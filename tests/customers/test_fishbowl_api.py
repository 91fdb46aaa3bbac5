"""The Fishbowl REST client and the ``--from-api`` import, against ``responses`` (no network)."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from customers.fishbowl_api import (
    FishbowlAppNotApproved,
    FishbowlAuthError,
    FishbowlClient,
    FishbowlMfaRequired,
    FishbowlRequestError,
    fishbowl_client_from_settings,
)
from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from customers.services.imports import fishbowl_import

BASE = "http://fishbowl.lan:2456"
LOGIN = f"{BASE}/api/login"
QUERY = f"{BASE}/api/data-query"
LOGOUT = f"{BASE}/api/logout"

CUSTOMER_ROWS = [
    {
        "fishbowl_id": 1,
        "account_key": "1160",
        "name": "Acme",
        "account_type": "Wholesale",
        "sales_rep": "jsmith",
        "active": True,
    },
    {
        "fishbowl_id": 2,
        "account_key": "200",
        "name": "Beta",
        "account_type": None,
        "sales_rep": None,
        "active": 0,
    },
]
LINE = {
    "number": "SO100",
    "so_id": 10,
    "date_issued": "2025-01-15 00:00:00.0",
    "status": 60,
    "customer_id": 1,
    "account_number": "1160",
    "customer_name": "Acme",
    "sales_person": "admin",
    "default_sales_rep": "jsmith",
    "so_item_id": 1,
    "product_number": "W-1",
    "description": "Widget",
    "item_type": "Sale",
    "quantity": 2.0,
    "unit_price": 10.5,
    "total_price": 21.0,
    "total_cost": 7.25,
}
LINE_ROWS = [
    LINE,
    {
        **LINE,
        "so_item_id": 2,
        "product_number": "SHIPPING",
        "description": "Shipping",
        "item_type": "Shipping",
        "unit_price": 0,
        "total_price": 0,
        "total_cost": 0,
    },
]


@pytest.fixture
def fishbowl_settings(settings):
    settings.FISHBOWL_URL = BASE
    settings.FISHBOWL_USERNAME = "copperhub"
    settings.FISHBOWL_PASSWORD = "secret"
    settings.FISHBOWL_APP_ID = "4242"
    settings.FISHBOWL_TIMEOUT_SECONDS = 7
    settings.FISHBOWL_ACCOUNT_KEY = "number"  # these rows key customers by customer.number
    return settings


def client():
    return FishbowlClient(base_url=BASE, username="copperhub", password="secret", app_id="4242", timeout=5)


def query_sql(request) -> str:
    return parse_qs(urlsplit(request.url).query)["query"][0]


def answer_queries(request):
    assert request.body is None  # the SQL travels as the query parameter, never as a GET body
    sql = query_sql(request)
    rows = CUSTOMER_ROWS if "FROM customer c" in sql and "JOIN soitem" not in sql else LINE_ROWS
    return 200, {}, json.dumps(rows)


@responses.activate
def test_login_sends_the_app_credentials_and_queries_carry_the_token():
    responses.post(LOGIN, json={"token": "tok-1", "user": {"id": 1}})
    responses.get(QUERY, json=[{"n": 1}])
    responses.post(LOGOUT, status=200)

    with client() as fishbowl:
        rows = fishbowl.data_query("SELECT 1 AS n")

    assert rows == [{"n": 1}]
    login, query, logout = responses.calls
    assert json.loads(login.request.body) == {
        "appName": "copperhub",
        "appDescription": fishbowl.app_description,
        "appId": 4242,
        "username": "copperhub",
        "password": "secret",
    }
    assert query.request.headers["Authorization"] == "Bearer tok-1"
    assert query.request.body is None
    assert query_sql(query.request) == "SELECT 1 AS n"
    assert logout.request.headers["Authorization"] == "Bearer tok-1"


@responses.activate
def test_data_query_pages_until_a_short_page():
    responses.get(QUERY, json=[{"n": 1}, {"n": 2}])
    responses.get(QUERY, json=[{"n": 3}])
    fishbowl = client()
    fishbowl.token = "t"

    rows = list(fishbowl.data_query_pages("SELECT n FROM t ORDER BY n", page_size=2))

    assert [row["n"] for row in rows] == [1, 2, 3]
    assert query_sql(responses.calls[1].request).endswith("LIMIT 2 OFFSET 2")


@responses.activate
def test_bad_credentials_give_a_clear_error():
    responses.post(LOGIN, status=401, json={"status": 401, "message": "Invalid username or password."})

    with pytest.raises(FishbowlAuthError, match="refused the username or password of user 'copperhub'"):
        client().login()


@responses.activate
def test_mfa_required_is_named():
    responses.post(LOGIN, status=401, headers={"MFA": "Required"}, json={"message": "MFA code required"})

    with pytest.raises(FishbowlMfaRequired, match="multi-factor authentication"):
        client().login()


@pytest.mark.parametrize("status", [401, 403])
@responses.activate
def test_an_unapproved_integration_is_named(status):
    responses.post(
        LOGIN, status=status, json={"message": "The integration has not been approved by an administrator."}
    )

    with pytest.raises(
        FishbowlAppNotApproved, match="has not approved the integration 'copperhub' \\(app id 4242\\)"
    ):
        client().login()


@responses.activate
def test_a_timeout_is_reported_with_the_address():
    responses.post(LOGIN, body=requests.ConnectTimeout("slow"))

    with pytest.raises(FishbowlRequestError, match=f"Fishbowl at {BASE} did not answer within 5 s"):
        client().login()


@responses.activate
def test_logout_happens_even_when_a_query_fails():
    responses.post(LOGIN, json={"token": "tok"})
    responses.get(QUERY, status=500, json={"message": "Unknown column 'x'"})
    responses.post(LOGOUT, status=200)

    with pytest.raises(FishbowlRequestError, match="Unknown column 'x'"), client() as fishbowl:
        fishbowl.data_query("SELECT x")

    assert responses.calls[-1].request.url == LOGOUT


def test_a_missing_setting_is_named(settings):
    settings.FISHBOWL_URL = BASE
    settings.FISHBOWL_USERNAME = "copperhub"
    settings.FISHBOWL_PASSWORD = ""
    settings.FISHBOWL_APP_ID = "1"

    with pytest.raises(ImproperlyConfigured, match="FISHBOWL_PASSWORD is not set"):
        fishbowl_client_from_settings()


@pytest.mark.django_db
@responses.activate
def test_an_import_from_the_api_fills_the_mirror_like_the_csv_and_logs_out(fishbowl_settings):
    responses.post(LOGIN, json={"token": "tok"})
    responses.add_callback(responses.GET, QUERY, callback=answer_queries)
    responses.post(LOGOUT, status=200)

    result = fishbowl_import(from_api=True)
    again = fishbowl_import(from_api=True)

    assert result.written and not result.errors
    assert FishbowlCustomer.objects.get(account_number="1160").account_type == "wholesale"
    assert FishbowlCustomer.objects.get(account_number="200").is_active is False
    order = SalesOrder.objects.get(number="SO100")
    assert (order.customer.account_number, order.status, str(order.date_issued)) == ("1160", 60, "2025-01-15")
    assert sorted(SalesOrderLine.objects.values_list("line_type", flat=True)) == ["sale", "shipping"]
    assert (again.orders.unchanged, again.lines.unchanged, again.lines.created) == (1, 2, 0)
    assert [call.request.url for call in responses.calls].count(LOGOUT) == 2
    assert responses.calls[-1].request.url == LOGOUT


@pytest.mark.django_db
@responses.activate
def test_bad_api_rows_are_reported_like_bad_csv_rows(fishbowl_settings):
    responses.post(LOGIN, json={"token": "tok"})
    bad = [{**LINE, "status": 33}]
    responses.get(QUERY, json=CUSTOMER_ROWS)
    responses.get(QUERY, json=bad)
    responses.post(LOGOUT, status=200)

    result = fishbowl_import(from_api=True)

    assert [str(p) for p in result.errors] == [
        "Fishbowl API sales-order lines line 1, column 'Sales Order Status': '33' is not a sales order status "
        "(Estimate, Issued, In Progress, Fulfilled, Closed Short, Void, Cancelled, Expired, Historical)"
    ]
    assert SalesOrder.objects.count() == 0 and FishbowlCustomer.objects.count() == 0


@pytest.mark.django_db
@responses.activate
def test_the_command_reports_an_unapproved_app_and_exits_non_zero(fishbowl_settings):
    responses.post(LOGIN, status=403, json={"message": "Integration app must be approved in Fishbowl"})

    with pytest.raises(CommandError, match="has not approved the integration"):
        call_command("fishbowl_import", "--from-api")
