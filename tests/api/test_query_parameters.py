"""The API refuses what its schema refuses: a bad query value is a 400 naming it, never silently ignored."""

import pytest

from tests.api.conftest import make_token
from tests.api.test_schema import _schema_dict

pytestmark = pytest.mark.django_db


@pytest.fixture
def reading(api, reporter, world):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    return api


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page_size=null", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=1001", "page_size"),
        ("page_size=10.0", "page_size"),
        ("page_size=5&page_size=6", "page_size"),
        ("is_active_customer=null", "is_active_customer"),
        ("is_active_customer=yes", "is_active_customer"),
        ("has_fishbowl_customer=", "has_fishbowl_customer"),
        ("assignee_id=1.0", "assignee_id"),
        ("assignee_id=99999999999999999999", "assignee_id"),
        ("ordering=nonsense", "ordering"),
        ("ordering=", "ordering"),
        ("modified_since=yesterday", "modified_since"),
    ],
)
def test_a_value_the_schema_does_not_allow_is_a_400_naming_the_parameter(reading, query, parameter):
    response = reading.get(f"/api/v1/copper-companies/?{query}")
    assert response.status_code == 400, response.content
    assert parameter in response.json()["error"]["fields"]


def test_an_empty_choice_and_a_wrong_date_are_refused_too(reading):
    assert "source" in reading.get("/api/v1/fishbowl-customers/?source=").json()["error"]["fields"]
    assert "issued_from" in reading.get("/api/v1/sales-orders/?issued_from=").json()["error"]["fields"]
    assert "issued_from" in reading.get("/api/v1/sales-orders/?issued_from=2026-02-30").json()["error"]["fields"]
    assert "month" in reading.get("/api/v1/commission-report/?month=2026-13").json()["error"]["fields"]


def test_documented_values_still_work(reading):
    response = reading.get("/api/v1/copper-companies/?page_size=3&ordering=-name,copper_id&is_active_customer=true")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Company 24", "Company 23", "Company 22"]
    assert reading.get("/api/v1/copper-companies/?name=").status_code == 200  # an empty text filter filters nothing


def test_an_unknown_cursor_names_no_page(reading):
    response = reading.get("/api/v1/copper-companies/?cursor=not-a-cursor")
    assert response.status_code == 404
    assert "cursor" in response.json()["error"]["message"]


def test_a_caller_without_permission_learns_nothing_about_its_parameters(api, nobody, world):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(nobody, read_only=True)}")
    assert api.get("/api/v1/copper-companies/?page_size=null").status_code == 403


def test_the_schema_says_null_where_the_api_answers_null():
    components = _schema_dict()["components"]["schemas"]
    assert components["CommissionLineOutput"]["properties"]["rep_name"]["nullable"] is True
    assert components["CopperCompanyOutput"]["properties"]["assignee_name"]["nullable"] is True


def test_the_schema_documents_the_page_size_bounds_and_the_orderings():
    parameters = {p["name"]: p for p in _schema_dict()["paths"]["/api/v1/sales-orders/"]["get"]["parameters"]}
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert parameters["ordering"]["schema"]["pattern"] == (
        "^-?(?:id|number|date_issued)(?:,-?(?:id|number|date_issued))*$"
    )
    assert parameters["customer_id"]["schema"]["type"] == "integer"
