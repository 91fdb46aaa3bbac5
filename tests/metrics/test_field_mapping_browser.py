"""In a real browser (Debian's Chromium through Playwright): a first day's mapping. The empty list offers the
helper, the ticked proposals are created and checked, and a metric left out is mapped by hand from a select that
shows only the fields whose type can hold it."""

import pytest
from django.urls import reverse

from metrics.models import FieldMapping
from tests.browser import SCREENSHOTS, browser_page_open, chromium_required
from tests.metrics.test_field_mapping_admin import demo_definitions_create
from tests.metrics.test_metrics_browser import sign_in

chromium_required()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Metric = FieldMapping.Metric
VISIBLE_FIELDS = (
    "[...document.querySelectorAll('#id_copper_field option')]"
    ".filter(o => o.value && !o.hidden).map(o => o.textContent.trim())"
)


@pytest.fixture
def browser_page(monkeypatch):
    with browser_page_open(monkeypatch, width=1400) as page:
        yield page


def test_the_helper_then_a_hand_made_mapping_from_a_select_of_fitting_fields(live_server, staff_user, browser_page):
    page, base = browser_page, live_server.url
    demo_definitions_create()

    # The empty list offers the helper; every usual field is proposed, one is left out.
    sign_in(page, base, "alice", reverse("admin:metrics_fieldmapping_changelist"))
    page.click("#first-run a.button")
    page.wait_for_selector("#proposals")
    assert page.locator("#proposals tbody tr").count() == 10
    page.screenshot(path=str(SCREENSHOTS / "metrics-mapping-propose.png"), full_page=True)
    page.uncheck(f"#propose-{Metric.AVERAGE_ORDER_VALUE}")
    page.click("text=Create the ticked mappings")

    # The created mappings are checked at once (the check page is the next step).
    page.wait_for_selector(".messagelist .success")
    assert "Created 9 mapping(s)" in page.inner_text(".messagelist")
    assert FieldMapping.objects.count() == 9
    page.screenshot(path=str(SCREENSHOTS / "metrics-mapping-proposed-check.png"), full_page=True)

    # By hand: choosing the metric leaves only the fields that can hold it (protected ones cannot be picked).
    page.goto(f"{base}{reverse('admin:metrics_fieldmapping_add')}")
    every = page.evaluate(VISIBLE_FIELDS)
    assert "Birthday — Date" in every and "Story — Text" in every
    page.select_option("#id_metric", Metric.AVERAGE_ORDER_VALUE)
    fitting = page.evaluate(VISIBLE_FIELDS)
    assert "Average Order Value — Currency" in fitting and "FavNum — Float" in fitting
    assert not any(label.endswith(("— Date", "— Text", "— String", "— Checkbox")) for label in fitting)
    page.screenshot(path=str(SCREENSHOTS / "metrics-mapping-add.png"), full_page=True)
    page.select_option("#id_copper_field", "Average Order Value")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert FieldMapping.objects.get(metric=Metric.AVERAGE_ORDER_VALUE).copper_field == "Average Order Value"
    page.screenshot(path=str(SCREENSHOTS / "metrics-mapping-list.png"), full_page=True)
    # The list edits each field in place with its select: the rows still fit the page's column.
    assert page.evaluate("document.querySelector('#changelist').scrollWidth <= document.querySelector('#changelist').clientWidth + 1")
