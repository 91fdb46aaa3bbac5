"""The field mapping is checked against Copper's definitions; each problem is refused with its own message."""

import pytest

from metrics.models import FieldMapping
from metrics.services.changesets import ChangeSetInvalidMapping, change_set_build
from metrics.services.field_mapping import (
    MAPPING_DUPLICATE_TARGET,
    MAPPING_FIELD_MISSING,
    MAPPING_FIELD_NOT_ON_COMPANIES,
    MAPPING_MISSING_OPTION,
    MAPPING_NONE_ENABLED,
    MAPPING_PROTECTED_FIELD,
    MAPPING_SETTING_CODES,
    MAPPING_WRONG_TYPE,
    field_mapping_sample,
    field_mapping_validate,
    field_mapping_validate_one,
)
from tests.metrics.metrics_world import FakeCopper, mappings_create, world_create

pytestmark = pytest.mark.django_db
Metric = FieldMapping.Metric


@pytest.fixture
def world():
    return world_create()


def _refused(world, **mapping):
    """Problems found for the standard mapping with ``mapping`` overriding it; a build is refused too."""
    mappings_create(**mapping)
    problems = field_mapping_validate()
    fake = FakeCopper(list(world.values()))
    with pytest.raises(ChangeSetInvalidMapping) as refused:
        change_set_build(client=fake, user=None)
    assert fake.reads == [], "nothing is read from Copper for an invalid mapping"
    for problem in problems:
        assert problem.message in refused.value.user_message
    return problems


def test_the_standard_mapping_has_no_problems(world):
    mappings_create()
    assert field_mapping_validate() == []


def test_a_field_of_the_wrong_type_is_refused_naming_expected_and_actual_types(world):
    (problem,) = _refused(world, **{Metric.TOTAL_ORDERS: "Notes"})
    assert problem.code == "wrong_type"
    assert (problem.field, problem.actual, problem.expected) == (
        "Notes",
        "Text",
        "Currency or Float or Percentage",
    )
    assert problem.message == MAPPING_WRONG_TYPE.format(
        field="Notes",
        actual="Text",
        metric="Total Orders",
        expected="a Currency or Float or Percentage field",
    )


def test_a_missing_field_is_refused(world):
    (problem,) = _refused(world, **{Metric.TOTAL_SPENT: "Total Spend"})
    assert problem.message == MAPPING_FIELD_MISSING.format(field="Total Spend", metric="Total Spent")


def test_two_metrics_targeting_one_field_are_refused(world):
    (problem,) = _refused(world, **{Metric.SPENT_LAST_12_MONTHS: "Total Spent"})
    assert problem.message == MAPPING_DUPLICATE_TARGET.format(
        field="Total Spent", metrics="Spent Last 12 Months, Total Spent"
    )


def test_a_protected_field_is_refused_even_when_its_type_would_fit(world):
    (problem,) = _refused(world, **{Metric.SAMPLE_KIT_SENT: "Active Customer"})
    assert problem.message == MAPPING_PROTECTED_FIELD.format(
        field="Active Customer", metric="Sample Kit Sent"
    )


def test_the_protected_list_is_a_setting(world, settings):
    settings.METRICS_PROTECTED_FIELDS = ["Total Spent"]
    (problem,) = _refused(world)
    assert problem.code == "protected_field" and problem.field == "Total Spent"


def test_a_field_not_available_on_companies_is_refused(world):
    from copper.models import CustomFieldDefinition

    CustomFieldDefinition.objects.filter(name="Top Products").update(available_on=["person"])
    (problem,) = _refused(world)
    assert problem.message == MAPPING_FIELD_NOT_ON_COMPANIES.format(
        field="Top Products", metric="Top Products"
    )


def test_a_yes_no_dropdown_without_a_no_option_is_refused(world):
    from copper.models import CustomFieldDefinition

    CustomFieldDefinition.objects.filter(name="Sample Kit Sent").update(options=[{"id": 31, "name": "Yes"}])
    (problem,) = _refused(world)
    assert problem.message == MAPPING_MISSING_OPTION.format(
        field="Sample Kit Sent", option="No", metric="Sample Kit Sent"
    )


def test_no_enabled_mapping_is_a_problem_and_disabled_mappings_are_not_checked(world):
    FieldMapping.objects.create(metric=Metric.TOTAL_ORDERS, copper_field="Nope", enabled=False)
    assert [p.message for p in field_mapping_validate()] == [MAPPING_NONE_ENABLED]


def test_each_problem_is_reported_at_once(world):
    problems = _refused(
        world,
        **{Metric.TOTAL_ORDERS: "Notes", Metric.TOTAL_SPENT: "Nope", Metric.SAMPLE_KIT_SENT: "Region"},
    )
    assert sorted(p.code for p in problems) == ["missing_field", "protected_field", "wrong_type"]


def test_the_sample_shows_three_real_companies_with_the_values_each_field_would_get(world):
    mappings_create()
    sample = field_mapping_sample(n=3)
    assert [s["company"] for s in sample] == ["Acme Farms", "Birch Market"]  # Cedar has no orders
    acme = {v["field"]: v["value"] for v in sample[0]["values"]}
    assert acme["Total Spent"] == "180.00"
    assert acme["Top Products"] == "OIL-1 (12), OIL-2 (4), SAMPLE-KIT (1)"
    assert acme["Sample Kit Sent"] == "Yes"
    assert acme["Last Order Date"] == "2026-06-02"


def test_one_unsaved_mapping_is_refused_for_the_reasons_the_check_gives(world):
    mappings_create()
    FieldMapping.objects.filter(metric=Metric.FIRST_ORDER_DATE).delete()

    def codes(metric, field, enabled=True):
        mapping = FieldMapping(metric=metric, copper_field=field, enabled=enabled)
        return [p.code for p in field_mapping_validate_one(mapping=mapping)]

    assert codes(Metric.AVERAGE_ORDER_VALUE, "Totl Spent") == ["missing_field"]
    assert codes(Metric.AVERAGE_ORDER_VALUE, "First Order Date") == ["wrong_type"]
    assert codes(Metric.SAMPLE_KIT_DATE, "Active Customer") == ["protected_field"]
    assert codes(Metric.AVERAGE_ORDER_VALUE, "Total Spent") == ["duplicate_target"]
    assert codes(Metric.AVERAGE_ORDER_VALUE, "Total Spent", enabled=False) == [], "a disabled one writes nothing"
    assert codes(Metric.TOTAL_SPENT, "Total Spent") == [], "a mapping does not clash with itself"


def test_an_unset_timezone_is_a_setting_problem_for_one_date_mapping(world, settings):
    settings.COPPER_TIMEZONE = ""
    mapping = FieldMapping(metric=Metric.LAST_ORDER_DATE, copper_field="Last Order Date")
    (problem,) = field_mapping_validate_one(mapping=mapping)
    assert problem.code == "timezone_required" and problem.code in MAPPING_SETTING_CODES
