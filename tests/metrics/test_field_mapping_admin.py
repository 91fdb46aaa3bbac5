"""The field-mapping form and its first-run helper: a mapping is chosen from the pulled Copper fields, refused on
save for the check's reasons, and the usual mappings are proposed by name and created once ticked."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from copper.models import CustomFieldDefinition
from copper.sandbox.world import demo_definitions
from metrics.models import FieldMapping
from metrics.services.field_mapping import (
    MAPPING_DUPLICATE_TARGET,
    MAPPING_FIELD_MISSING,
    MAPPING_PROTECTED_FIELD,
    MAPPING_WRONG_TYPE,
    field_mapping_validate,
)
from metrics.services.mapping_proposals import PROPOSAL_CHANGE_REASON, field_mapping_proposals
from tests.metrics.metrics_world import definitions_create, mappings_create

pytestmark = pytest.mark.django_db
Metric = FieldMapping.Metric
ADD = "admin:metrics_fieldmapping_add"
PROPOSE = "admin:metrics_fieldmapping_propose"


class _Options(HTMLParser):
    """The options of each Copper-field select: {select name: [{value, label, disabled, type}]}."""

    def __init__(self) -> None:
        super().__init__()
        self.select = ""
        self.selects: dict[str, list[dict]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            name = attrs.get("name") or ""
            self.select = name if name.endswith("copper_field") else ""
            if self.select:
                self.selects[name] = []
        elif tag == "option" and self.select:
            option = {"value": attrs.get("value"), "label": "", "disabled": "disabled" in attrs}
            self.selects[self.select].append(option | {"type": attrs.get("data-type")})

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = ""

    def handle_data(self, data):
        options = self.selects.get(self.select)
        if options and not options[-1]["label"]:
            options[-1]["label"] = data.strip()


def selects(page: str) -> dict[str, list[dict]]:
    parser = _Options()
    parser.feed(page)
    return {name: [o for o in options if o["value"]] for name, options in parser.selects.items()}


def field_options(page: str) -> list[dict]:
    return selects(page)["copper_field"]


def labels(page: str) -> list[str]:
    return [o["label"] for o in field_options(page)]


def change_page(client, metric: str) -> str:
    mapping = FieldMapping.objects.get(metric=metric)
    return client.get(reverse("admin:metrics_fieldmapping_change", args=[mapping.pk])).content.decode()


def add(client, metric: str, field: str, **extra):
    data = {"metric": metric, "copper_field": field, "policy": "overwrite", "enabled": "on", **extra}
    return client.post(reverse(ADD), data)


@pytest.fixture
def signed_in(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def world(signed_in):
    definitions_create()
    mappings_create()
    return signed_in


def demo_definitions_create() -> None:
    """The definitions a demo Copper account has (as a pull stores them)."""
    CustomFieldDefinition.objects.bulk_create(
        CustomFieldDefinition(
            copper_id=row["id"],
            name=row["name"],
            data_type=row["data_type"],
            options=row.get("options") or [],
            available_on=row.get("available_on") or [],
            currency=row.get("currency") or "",
        )
        for row in demo_definitions(7)
    )


# --- the select -------------------------------------------------------------------------------------------------


def test_a_mappings_select_lists_only_the_pulled_fields_whose_type_fits_its_metric(world):
    assert labels(change_page(world, Metric.TOTAL_SPENT)) == ["Total Orders — Float", "Total Spent — Currency"]
    assert labels(change_page(world, Metric.LAST_ORDER_DATE)) == ["First Order Date — Date", "Last Order Date — Date"]


def test_the_list_edits_each_rows_field_with_a_select_of_the_fields_fitting_its_metric(world):
    page = world.get(reverse("admin:metrics_fieldmapping_changelist")).content.decode()
    rows = selects(page)
    for i, mapping in enumerate(FieldMapping.objects.order_by("metric")):
        assert [o["label"] for o in rows[f"form-{i}-copper_field"]] == labels(change_page(world, mapping.metric))
    top_products = list(FieldMapping.objects.order_by("metric")).index(
        FieldMapping.objects.get(metric=Metric.TOP_PRODUCTS)
    )
    assert [o["label"] for o in rows[f"form-{top_products}-copper_field"]] == [
        "Account Order ID — String (protected: never written)",
        "Notes — Text",
        "Top Products — String",
    ]


def test_the_add_page_lists_every_company_field_with_its_type_for_the_chosen_metric_to_filter(world):
    page = world.get(reverse(ADD)).content.decode()
    options = {o["label"]: o["type"] for o in field_options(page)}
    assert options["Total Spent — Currency"] == "Currency" and options["Notes — Text"] == "Text"
    assert "data-allowed=" in page and html.escape('"total_spent": ["Currency", "Float", "Percentage"]') in page


def test_a_protected_field_is_shown_but_cannot_be_chosen(world):
    options = {o["label"]: o["disabled"] for o in field_options(change_page(world, Metric.SAMPLE_KIT_SENT))}
    assert options == {
        "Active Customer — Checkbox (protected: never written)": True,
        "Region — Dropdown (protected: never written)": True,
        "Sample Kit Sent — Dropdown": False,
    }


def test_a_saved_mapping_that_does_not_fit_shows_its_field_marked_rather_than_silently_changing_it(world):
    FieldMapping.objects.filter(metric=Metric.TOTAL_ORDERS).update(copper_field="Notes")
    FieldMapping.objects.filter(metric=Metric.TOTAL_SPENT).update(copper_field="Total Spnt")
    assert "Notes — Text (cannot hold Total Orders)" in labels(change_page(world, Metric.TOTAL_ORDERS))
    assert "Total Spnt — not among the pulled Copper fields" in labels(change_page(world, Metric.TOTAL_SPENT))
    FieldMapping.objects.filter(metric=Metric.SAMPLE_KIT_SENT).update(copper_field="Active Customer")
    options = {o["label"]: o["disabled"] for o in field_options(change_page(world, Metric.SAMPLE_KIT_SENT))}
    assert options["Active Customer — Checkbox (protected: never written)"] is False
    assert options["Region — Dropdown (protected: never written)"] is True


def test_without_pulled_fields_the_form_says_so_and_links_to_the_sync_dashboard(signed_in):
    page = signed_in.get(reverse(ADD)).content.decode()
    assert "No Copper fields have been pulled yet" in page
    assert f'href="{reverse("admin:syncs_syncrun_dashboard")}"' in page
    listing = signed_in.get(reverse("admin:metrics_fieldmapping_changelist")).content.decode()
    assert 'id="no-definitions"' in listing and reverse("admin:syncs_syncrun_dashboard") in listing


# --- validated on save ----------------------------------------------------------------------------------------


def test_saving_a_typo_is_refused_with_a_message_naming_the_field(world):
    response = add(world, Metric.AVERAGE_ORDER_VALUE, "Totl Spent")
    assert response.status_code == 200
    expected = MAPPING_FIELD_MISSING.format(field="Totl Spent", metric="Average Order Value")
    assert html.escape(expected) in response.content.decode()
    assert not FieldMapping.objects.filter(metric=Metric.AVERAGE_ORDER_VALUE).exists()


def test_saving_a_date_field_into_a_currency_metric_is_refused_naming_both_types(world):
    response = add(world, Metric.AVERAGE_ORDER_VALUE, "First Order Date")
    expected = MAPPING_WRONG_TYPE.format(
        field="First Order Date",
        actual="Date",
        metric="Average Order Value",
        expected="a Currency or Float or Percentage field",
    )
    assert html.escape(expected) in response.content.decode()
    assert not FieldMapping.objects.filter(metric=Metric.AVERAGE_ORDER_VALUE).exists()


def test_changing_a_mapping_to_a_field_of_the_wrong_type_is_refused_and_keeps_the_old_field(world):
    mapping = FieldMapping.objects.get(metric=Metric.TOTAL_SPENT)
    url = reverse("admin:metrics_fieldmapping_change", args=[mapping.pk])
    response = world.post(url, {"copper_field": "Last Order Date", "policy": "overwrite", "enabled": "on"})
    assert "Copper field &quot;Last Order Date&quot; is a Date field" in response.content.decode()
    mapping.refresh_from_db()
    assert mapping.copper_field == "Total Spent"


def test_a_protected_field_posted_anyway_is_refused(world):
    response = add(world, Metric.SAMPLE_KIT_DATE, "Active Customer")
    expected = MAPPING_PROTECTED_FIELD.format(field="Active Customer", metric="Sample Kit Date")
    assert html.escape(expected) in response.content.decode()
    assert not FieldMapping.objects.filter(metric=Metric.SAMPLE_KIT_DATE).exists()


def test_a_field_another_metric_already_writes_is_refused(world):
    response = add(world, Metric.AVERAGE_ORDER_VALUE, "Total Spent")
    expected = MAPPING_DUPLICATE_TARGET.format(field="Total Spent", metrics="Average Order Value, Total Spent")
    assert html.escape(expected) in response.content.decode()


def test_a_fitting_field_is_saved_with_the_user_in_its_history(world, staff_user):
    CustomFieldDefinition.objects.create(
        copper_id=9020, name="Average Order Value", data_type="Currency", available_on=["company"]
    )
    response = add(world, Metric.AVERAGE_ORDER_VALUE, "Average Order Value")
    assert response.status_code == 302
    mapping = FieldMapping.objects.get(metric=Metric.AVERAGE_ORDER_VALUE)
    assert mapping.history.get().history_user == staff_user
    assert field_mapping_validate() == []


def test_a_date_mapping_saves_but_warns_while_the_accounts_timezone_is_unset(world, settings):
    settings.COPPER_TIMEZONE = ""
    FieldMapping.objects.filter(metric=Metric.FIRST_ORDER_DATE).delete()
    response = add(world, Metric.FIRST_ORDER_DATE, "First Order Date")
    assert response.status_code == 302 and FieldMapping.objects.filter(metric=Metric.FIRST_ORDER_DATE).exists()
    page = world.get(response.url).content.decode()
    assert "the metrics push stays blocked" in page and "COPPER_TIMEZONE" in page


# --- the check page -------------------------------------------------------------------------------------------


def test_each_problem_on_the_check_page_links_to_the_mapping_to_fix(world):
    FieldMapping.objects.filter(metric=Metric.TOTAL_ORDERS).update(copper_field="Notes")
    mapping = FieldMapping.objects.get(metric=Metric.TOTAL_ORDERS)
    page = world.get(reverse("admin:metrics_fieldmapping_check")).content.decode()
    problems = page[page.index('id="mapping-problems"') :]
    problems = problems[: problems.index("</ul>")]
    assert "Copper field &quot;Notes&quot; is a Text field" in problems
    assert f'href="{reverse("admin:metrics_fieldmapping_change", args=[mapping.pk])}"' in problems


# --- the first-run helper -------------------------------------------------------------------------------------


def test_the_helper_proposes_each_metric_its_usual_field_of_a_demo_account(signed_in):
    demo_definitions_create()
    proposed = {p.metric: (p.field, p.data_type) for p in field_mapping_proposals()}
    assert proposed == {
        Metric.TOTAL_ORDERS: ("Total Orders", "Float"),
        Metric.TOTAL_SPENT: ("Total Spent", "Currency"),
        Metric.AVERAGE_ORDER_VALUE: ("Average Order Value", "Currency"),
        Metric.FIRST_ORDER_DATE: ("First Order Date", "Date"),
        Metric.LAST_ORDER_DATE: ("Last Order Date", "Date"),
        Metric.DAYS_SINCE_LAST_ORDER: ("Days Since Last Order", "Float"),
        Metric.TOP_PRODUCTS: ("Top Products", "String"),
        Metric.SAMPLE_KIT_SENT: ("Sample Kit Sent", "Checkbox"),
        Metric.SAMPLE_KIT_DATE: ("Sample Kit Date", "Date"),
        Metric.SPENT_LAST_12_MONTHS: ("Spent Last 12 Months", "Currency"),
    }
    page = signed_in.get(reverse(PROPOSE)).content.decode()
    assert page.count('type="checkbox" name="metric"') == 10 and "Total Spent — Currency" in page


def test_the_helper_matches_usual_names_without_case_or_spaces_and_only_with_a_fitting_type(signed_in):
    for ident, name, data_type in [
        (1, "total  SALES", "Currency"),
        (2, "order count", "Float"),
        (3, "Last Order Date", "String"),  # a text field cannot hold a date
        (4, "Active Customer", "Checkbox"),  # protected: never proposed for Sample Kit Sent
    ]:
        CustomFieldDefinition.objects.create(
            copper_id=ident, name=name, data_type=data_type, available_on=["company"]
        )
    proposed = {p.metric: p.field for p in field_mapping_proposals()}
    assert proposed == {Metric.TOTAL_SPENT: "total  SALES", Metric.TOTAL_ORDERS: "order count"}


def test_the_helper_creates_only_the_ticked_proposals_once_with_the_user_in_their_history(
    signed_in, staff_user
):
    demo_definitions_create()
    ticked = [Metric.TOTAL_SPENT, Metric.LAST_ORDER_DATE]
    response = signed_in.post(reverse(PROPOSE), {"metric": ticked})
    assert response.url == reverse("admin:metrics_fieldmapping_check")
    created = {m.metric: m.copper_field for m in FieldMapping.objects.all()}
    assert created == {Metric.TOTAL_SPENT: "Total Spent", Metric.LAST_ORDER_DATE: "Last Order Date"}
    for mapping in FieldMapping.objects.all():
        record = mapping.history.get()
        assert (record.history_user, record.history_change_reason) == (staff_user, PROPOSAL_CHANGE_REASON)

    again = signed_in.post(reverse(PROPOSE), {"metric": ticked}, follow=True)
    assert FieldMapping.objects.count() == 2
    assert "No mapping was created" in again.content.decode()
    assert Metric.TOTAL_SPENT not in {p.metric for p in field_mapping_proposals()}


def test_the_helper_never_proposes_a_field_an_existing_mapping_writes(signed_in):
    demo_definitions_create()
    FieldMapping.objects.create(metric=Metric.SPENT_LAST_12_MONTHS, copper_field="Total Spent")
    proposed = {p.metric: p.field for p in field_mapping_proposals()}
    assert Metric.SPENT_LAST_12_MONTHS not in proposed and Metric.TOTAL_SPENT not in proposed


def test_the_list_offers_the_helper_when_no_mapping_exists_yet(signed_in):
    demo_definitions_create()
    page = signed_in.get(reverse("admin:metrics_fieldmapping_changelist")).content.decode()
    assert 'id="first-run"' in page and f'href="{reverse(PROPOSE)}"' in page
    FieldMapping.objects.create(metric=Metric.TOTAL_SPENT, copper_field="Total Spent")
    page = signed_in.get(reverse("admin:metrics_fieldmapping_changelist")).content.decode()
    assert 'id="first-run"' not in page and 'id="propose-mappings"' in page


def test_without_pulled_fields_the_helper_links_to_the_sync_dashboard(signed_in):
    page = signed_in.get(reverse(PROPOSE)).content.decode()
    assert 'id="no-definitions"' in page and reverse("admin:syncs_syncrun_dashboard") in page
