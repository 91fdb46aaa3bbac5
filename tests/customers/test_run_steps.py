"""The customer sync and the Fishbowl import lead on from their progress pages; Fishbowl customers keep their
history and Fishbowl's keys in the admin."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import FishbowlCustomer
from syncs.models import SyncRun

pytestmark = pytest.mark.django_db

Kind = SyncRun.Kind


def next_step_links(page: str) -> dict[str, str]:
    box = page.split('id="sp-next"')[1].split("</div>")[0]
    return {
        label: url for url, label in re.findall(r'<a class="button[^"]*" href="([^"]+)">([^<]+)</a>', box)
    }


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def finished(kind, **fields):
    return SyncRun.objects.create(
        kind=kind, status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now(), **fields
    )


def test_a_finished_customer_sync_dry_run_offers_preview_and_confirm(staff_client):
    run = finished(
        Kind.CUSTOMER_SYNC, options={"apply": False}, created=5, counts={"conflicts": 2, "examined": 9}
    )
    page = staff_client.get(reverse("admin:syncs_syncrun_progress", args=[run.pk])).content.decode()
    links = next_step_links(page)
    preview = reverse("admin:customers_customer_sync_preview", args=[run.pk])
    assert links["Preview and confirm"] == preview
    assert links["Resolve the account-number conflicts (2)"] == reverse(
        "admin:customers_account_number_conflicts"
    )
    assert "Dry run: a preview, nothing is written" in page
    assert "Companies examined" in page and "New customers" in page
    assert staff_client.get(preview).status_code == 200


def test_a_failed_customer_sync_offers_no_preview(staff_client):
    run = SyncRun.objects.create(
        kind=Kind.CUSTOMER_SYNC,
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        options={"apply": False},
    )
    assert (
        staff_client.get(reverse("admin:syncs_syncrun_progress_json", args=[run.pk])).json()["next_steps"]
        == []
    )


def test_a_fishbowl_import_leads_to_the_imported_customers_and_orders(staff_client):
    run = finished(
        Kind.FISHBOWL_IMPORT,
        options={"customers_name": "customers.csv", "orders_name": "lines.csv"},
        counts={"customers_created": 4, "customers_updated": 1, "orders_created": 30, "orders_unchanged": 2},
    )
    page = staff_client.get(reverse("admin:syncs_syncrun_progress", args=[run.pk])).content.decode()
    links = next_step_links(page)
    assert links["See the imported customers (5 added or updated)"] == reverse(
        "admin:customers_fishbowlcustomer_changelist"
    )
    assert links["See the imported orders (30 added or updated)"] == reverse(
        "admin:customers_salesorder_changelist"
    )
    labels = re.findall(r'<span class="sync-label">([^<]*)</span>', page)
    assert "Customer list: customers.csv" in page and "Orders added" in labels
    assert not [label for label in labels if "_" in label]


def test_fishbowl_customers_cannot_be_deleted_from_the_admin_and_the_form_says_why(staff_client):
    customer = FishbowlCustomer.objects.create(account_number="3001", name="Acme", fishbowl_id=77)
    response = staff_client.post(
        reverse("admin:customers_fishbowlcustomer_delete", args=[customer.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert FishbowlCustomer.objects.filter(pk=customer.pk).exists()
    form = staff_client.get(
        reverse("admin:customers_fishbowlcustomer_change", args=[customer.pk])
    ).content.decode()
    assert "deletelink" not in form
    assert "would lose its history and its links to its orders and its Copper company" in form


def test_the_fishbowl_id_and_number_are_read_only_in_the_change_form(staff_client):
    customer = FishbowlCustomer.objects.create(account_number="3002", name="Acme", fishbowl_id=78)
    url = reverse("admin:customers_fishbowlcustomer_change", args=[customer.pk])
    form = staff_client.get(url).content.decode()
    assert 'name="fishbowl_id"' not in form and 'name="account_number"' not in form
    assert "3002" in form and "78" in form
    response = staff_client.post(
        url,
        {
            "fishbowl_id": "999",
            "account_number": "HACKED",
            "name": "Acme",
            "account_type": customer.account_type,
            "sales_rep": "",
            "is_active": "on",
            "source": customer.source,
        },
    )
    assert response.status_code == 302, response.content
    customer.refresh_from_db()
    assert (customer.fishbowl_id, customer.account_number) == (78, "3002")
