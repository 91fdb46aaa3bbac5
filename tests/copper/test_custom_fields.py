"""Copper custom fields read by name, every data type decoded as the recorded payloads say."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from copper.custom_fields import CustomFieldCatalog, CustomFieldValueError, custom_fields_decode, label_of

FIXTURES = Path(__file__).parent / "fixtures" / "copper"


@pytest.fixture
def definitions():
    return json.loads((FIXTURES / "custom_field_definitions.json").read_text())


@pytest.fixture
def company():
    return json.loads((FIXTURES / "companies_search_page.json").read_text())[0]


def test_every_recorded_data_type_decodes_as_the_fixture_readme_says(company, definitions):
    decoded = custom_fields_decode(company["custom_fields"], definitions)
    assert decoded == {
        "Fruits": "Banana",  # Dropdown: option id 2082340 → its name
        "Hryvnia": Decimal("2.0"),  # Currency
        "Birthday": datetime(2025, 8, 1, 7, 0, tzinfo=UTC),  # Date: unix seconds 1754031600
        "Many": ["Option 1", "Option 2"],  # MultiSelect: list of option ids → names
        "FavNum": Decimal("3.0"),  # Float
        "Story": "The lore of the company creation.",  # Text
        "MyWebsite": "https://test.com",  # URL
        "IsBouillonSoup": True,  # Checkbox
        "TextEntry": "Cake",  # String
        "Progression": Decimal("95"),  # Percentage
        "Parent of": [],  # Connect
        "Child of": [],  # Connect
    }
    assert decoded["Birthday"].tzinfo is not None


def test_unset_values_decode_to_the_empty_value_of_their_type(definitions):
    raw = [{"custom_field_definition_id": d["id"], "value": None} for d in definitions]
    decoded = custom_fields_decode(raw, definitions)
    assert decoded["Fruits"] is None
    assert decoded["Many"] == []
    assert decoded["IsBouillonSoup"] is False
    assert decoded["TextEntry"] is None
    assert decoded["Birthday"] is None
    assert decoded["FavNum"] is None
    assert decoded["Parent of"] == []


def test_an_option_id_the_definition_does_not_list_is_kept_visibly(definitions):
    raw = [
        {"custom_field_definition_id": 705303, "value": 123},
        {"custom_field_definition_id": 705401, "value": [2082481, 999]},
    ]
    decoded = custom_fields_decode(raw, definitions)
    assert decoded["Fruits"] == "<unknown option 123>"
    assert decoded["Many"] == ["Option 2", "<unknown option 999>"]


def test_entries_of_unknown_definitions_are_ignored(definitions):
    raw = [
        {"custom_field_definition_id": 1, "value": "x"},
        {"custom_field_definition_id": 705452, "value": "Pie"},
    ]
    assert custom_fields_decode(raw, definitions) == {"TextEntry": "Pie"}


def test_definitions_not_available_on_companies_are_not_read_for_companies(definitions):
    definitions.append({"id": 9, "name": "Lead score", "data_type": "Float", "available_on": ["lead"]})
    catalog = CustomFieldCatalog(definitions)
    assert "Lead score" not in catalog.by_name
    assert "Fruits" in catalog.by_name


def test_a_value_of_the_wrong_type_names_the_field(definitions):
    with pytest.raises(CustomFieldValueError, match='"FavNum".*not a number'):
        custom_fields_decode([{"custom_field_definition_id": 705402, "value": "lots"}], definitions)


def test_reading_chosen_fields_reports_bad_values_instead_of_raising(definitions):
    catalog = CustomFieldCatalog(definitions)
    raw = [
        {"custom_field_definition_id": 705402, "value": "lots"},
        {"custom_field_definition_id": 705452, "value": "Cake"},
    ]
    values, problems = catalog.values(raw, ["FavNum", "TextEntry", "No such field"])
    assert values == {"TextEntry": "Cake"}
    assert "not a number" in problems["FavNum"]


def test_a_field_name_shared_by_two_definitions_is_flagged_ambiguous(definitions):
    definitions.append({"id": 999999, "name": "Fruits", "data_type": "String", "available_on": ["company"]})
    catalog = CustomFieldCatalog(definitions)
    assert catalog.ambiguous_names == {"Fruits"}
    assert catalog.by_name["Fruits"].id == 705303


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (None, ""),
        ("  Wholesale ", "Wholesale"),
        (["Retail", "Wholesale"], "Retail"),
        ([], ""),
        (Decimal("1160.0"), "1160"),
    ],
)
def test_a_value_reads_as_one_label(value, label):
    assert label_of(value) == label


def test_a_date_decodes_at_local_midnight_of_the_account_timezone(company, definitions):
    from zoneinfo import ZoneInfo

    pacific = ZoneInfo("America/Los_Angeles")
    birthday = custom_fields_decode(company["custom_fields"], definitions, tz=pacific)["Birthday"]
    assert (birthday.date().isoformat(), birthday.hour, birthday.minute) == ("2025-08-01", 0, 0)
    assert birthday.utcoffset() is not None and birthday.tzinfo == pacific
