"""A Copper company's page shows its custom fields as a labelled table of typed values, not raw JSON."""

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from copper.models import CopperCompany, CustomFieldDefinition

FIXTURES = Path(__file__).parent / "fixtures" / "copper"
pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    for definition in json.loads((FIXTURES / "custom_field_definitions.json").read_text()):
        CustomFieldDefinition.objects.create(
            copper_id=definition["id"],
            name=definition["name"],
            data_type=definition["data_type"],
            options=definition.get("options") or [],
            available_on=definition.get("available_on") or [],
            currency=definition.get("currency") or "",
        )
    record = json.loads((FIXTURES / "companies_search_page.json").read_text())[0]
    fields = [*record["custom_fields"], {"custom_field_definition_id": 999001, "value": "left over"}]
    return CopperCompany.objects.create(copper_id=record["id"], name=record["name"], custom_fields=fields)


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("alice", "alice@example.com", "x")
    client.force_login(user)
    return client


def field_rows(html: str) -> dict[str, str]:
    import re

    found = re.findall(r'<tr class="custom-field"><th scope="row">(.*?)</th><td>(.*?)</td></tr>', html)
    return dict(found)


def test_the_company_page_shows_each_custom_field_by_name_with_its_typed_value(
    admin_client, company, settings
):
    settings.COPPER_TIMEZONE = "America/Los_Angeles"
    html = admin_client.get(reverse("admin:copper_coppercompany_change", args=[company.pk])).content.decode()
    rows = field_rows(html)
    assert rows["Fruits"] == "Banana"  # a Dropdown's option name, not its id
    assert rows["Many"] == "Option 1, Option 2"  # MultiSelect
    assert rows["Birthday"] == "Aug. 1, 2025"  # unix seconds at midnight in the account's zone → that day
    assert rows["IsBouillonSoup"] == "Yes"  # Checkbox
    assert rows["Hryvnia"] == "2.00 UAH"  # Currency with its currency
    assert rows["FavNum"] == "3"
    assert rows["Progression"] == "95 %"
    assert rows["MyWebsite"] == '<a href="https://test.com" rel="noopener noreferrer">https://test.com</a>'
    assert rows["Parent of"] == "—"  # an empty Connect
    assert rows["Unknown field (definition 999001, not pulled)"] == "left over"
    assert "custom_field_definition_id" not in html
    assert "1754031600" not in html


def test_the_company_page_reads_the_definitions_once(admin_client, company):
    url = reverse("admin:copper_coppercompany_change", args=[company.pk])
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(url).status_code == 200
    definition_reads = [q for q in queries.captured_queries if "customfielddefinition" in q["sql"]]
    assert len(definition_reads) == 1
