"""Each finding names the one step that fixes it, and a check's page pages its findings and counts in their unit."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from integrity.checks.customer_fields import check_account_types
from integrity.checks.orders import check_orders_unattributed
from integrity.services import integrity_report_create
from tests.integrity.conftest import company, customer, order

pytestmark = pytest.mark.django_db


def test_orders_outside_commissions_are_told_the_step_that_brings_them_in():
    company("Claim one", "700")
    company("Claim two", "700")
    company("Synced next run", "800")
    order("SO-1", account_number="700")  # a shared number: only a person's choice resolves it
    order("SO-2", account_number="800")  # an active company has it: the sync creates the customer
    order("SO-3", account_number="900")  # nobody has it: Fishbowl's customer export lacks it
    lonely = customer("950")
    order("SO-4", customer=lonely)  # a customer no company carries: link it by hand
    company("Has the number", "960")
    order("SO-5", customer=customer("960"))  # the sync links it

    actions = {f["label"]: (f["action"], f["action_url"]) for f in check_orders_unattributed().findings}

    assert actions["Account 700"] == (
        "Choose the company that owns it",
        "/admin/customers/fishbowlcustomer/conflicts/",
    )
    assert actions["Account 800"] == ("Run the customer sync", "/admin/customers/fishbowlcustomer/sync/")
    assert actions["Account 900"][0] == "Import Fishbowl customers"
    assert actions["950 Customer 950"] == (
        "Link the customer to its Copper company",
        f"/admin/customers/fishbowlcustomer/{lonely.pk}/change/",
    )
    assert actions["960 Customer 960"][0] == "Run the customer sync"


def test_an_unknown_account_type_copper_knows_is_fixed_by_the_sync_unless_someone_locked_it():
    customer("1", account_type="unknown", linked_to=company("Retail in Copper", "1", account_type="Retail"))
    locked = customer("2", account_type="unknown", linked_to=company("Locked", "2", account_type="Retail"))
    locked.locked_fields = ["account_type"]
    locked.save()
    customer("3", account_type="unknown", linked_to=company("Blank", "3", account_type=""))
    actions = {f["label"]: f["action"] for f in check_account_types().findings}
    assert actions["1 Customer 1"] == "Run the customer sync (it takes Copper's type)"
    assert actions["2 Customer 2"].startswith("Choose the type here or in Copper")
    assert actions["3 Customer 3"].startswith("Set the account type")


def test_the_check_page_pages_findings_and_counts_groups_not_orders(admin_client, settings):
    settings.INTEGRITY_FINDINGS_LIMIT = 40
    for n in range(30):
        order(f"SO-{n}a", account_number=f"A{n:02d}")
        order(f"SO-{n}b", account_number=f"A{n:02d}")
    integrity_report_create(deliver=False)
    url = reverse("admin:integrity_check_detail", args=["orders_unattributed"])

    first = admin_client.get(url).content.decode()
    assert "Findings: 30 groups (60 counted)" in first
    assert "page 1 of 2" in first and first.count('class="integrity-finding"') == 25
    second = admin_client.get(url + "?page=2").content.decode()
    assert second.count('class="integrity-finding"') == 5
    assert "26–30 of 30" in second


def test_a_list_longer_than_the_report_keeps_says_so(admin_client, settings):
    settings.INTEGRITY_FINDINGS_LIMIT = 3
    for n in range(5):
        company(f"Company {n}", str(500 + n))
    integrity_report_create(deliver=False)
    html = admin_client.get(reverse("admin:integrity_check_detail", args=["customer_gap"])).content.decode()
    assert "Findings: 5 companies" in html
    assert "keeps the first 3 of the 5 companies" in html


@pytest.mark.django_db
def test_a_reports_page_reads_in_words_links_each_check_to_its_findings_and_cannot_be_deleted(admin_client):
    customer("8", account_type="unknown")
    report = integrity_report_create(deliver=False)
    html = admin_client.get(reverse("admin:integrity_integrityreport_change", args=[report.pk])).content.decode()
    record = report.results.get(check_name="account_types")
    findings = reverse("admin:integrity_check_detail", args=["account_types"]) + f"?report={report.pk}"
    assert f'href="{findings}">{escape(record.title)}</a>' in html
    assert '{"' not in html  # no figure or summary shown as raw JSON
    assert "account_types:" not in html  # rows are named by their check's title, not its slug
    assert escape(f"{record.title}: {record.get_state_display()}") in html
    delete = reverse("admin:integrity_integrityreport_delete", args=[report.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert report.__class__.objects.filter(pk=report.pk).exists()
