"""People working in the admin: locking hand edits, choosing owners, previewing and applying the sync."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from copper.models import CopperCompany
from customers.models import AccountNumberOwner, FishbowlCustomer
from customers.services.sync import customer_sync
from syncs.models import SyncRun
from syncs.progress import Progress
from syncs.services.runs import sync_run_execute

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """Tasks handed to the broker, instead of a real broker."""
    tasks = []
    monkeypatch.setattr("syncs.queue.async_task", lambda *args, **kwargs: tasks.append(args) or "task")
    return tasks


def company(copper_id, number, name, **fields):
    return CopperCompany.objects.create(
        copper_id=copper_id,
        name=name,
        account_order_id=number,
        account_number=number,
        is_active_customer=True,
        account_type=fields.pop("account_type", "Retail"),
        **fields,
    )


def change_form_data(customer, **changes):
    data = {
        "account_number": customer.account_number,
        "fishbowl_id": "",
        "name": customer.name,
        "account_type": customer.account_type,
        "sales_rep": customer.sales_rep,
        "is_active": "on",
        "copper_company": customer.copper_company_id or "",
        "region": customer.region,
        "billing_address": customer.billing_address,
        "shipping_address": customer.shipping_address,
        "source": customer.source,
    }
    data.update(changes)
    return data


def test_a_field_changed_by_hand_is_locked_and_the_next_sync_keeps_it(client, staff_user):
    acme = company(10, "2001", "Acme From Copper", region="West")
    customer = FishbowlCustomer.objects.create(account_number="2001", name="Acme", copper_company=acme)
    client.force_login(staff_user)
    url = reverse("admin:customers_fishbowlcustomer_change", args=[customer.pk])
    response = client.post(url, change_form_data(customer, name="Acme (billing name)"))
    assert response.status_code == 302, response.content
    customer.refresh_from_db()
    assert customer.locked_fields == ["name"]

    progress = Progress.null()
    customer_sync(apply=True, progress=progress)
    customer.refresh_from_db()
    assert customer.name == "Acme (billing name)"
    assert customer.region == "West"
    assert [e.code for e in progress.entries if e.code == "locked_field_differs"] == ["locked_field_differs"]


def test_letting_the_sync_manage_the_fields_again_unlocks_them(client, staff_user):
    acme = company(11, "2002", "Acme From Copper")
    customer = FishbowlCustomer.objects.create(
        account_number="2002", name="Hand name", copper_company=acme, locked_fields=["name"]
    )
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:customers_fishbowlcustomer_changelist"),
        {"action": "unlock_fields", "_selected_action": [customer.pk]},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.locked_fields == []
    customer_sync(apply=True)
    customer.refresh_from_db()
    assert customer.name == "Acme From Copper"


def test_a_person_chooses_the_owner_of_a_duplicated_number_and_the_sync_remembers(client, staff_user):
    company(20, "3001", "Acme East")
    west = company(21, "3001", "Acme West")
    client.force_login(staff_user)
    url = reverse("admin:customers_account_number_conflicts")
    page = client.get(url)
    assert b"Acme East" in page.content and b"Acme West" in page.content

    response = client.post(url, {"account_number": "3001", "company": west.pk, "note": "West is the buyer"})
    assert response.status_code == 302
    owner = AccountNumberOwner.objects.get(account_number="3001")
    assert (owner.company, owner.chosen_by, owner.note) == (west, staff_user, "West is the buyer")

    for _ in range(2):
        progress = Progress.null()
        customer_sync(apply=True, progress=progress)
        assert "duplicate_account_number" not in [e.code for e in progress.entries]
    assert FishbowlCustomer.objects.get(account_number="3001").copper_company == west


def test_an_owner_must_be_one_of_the_companies_claiming_the_number(client, staff_user):
    company(22, "3002", "Acme East")
    company(23, "3002", "Acme West")
    other = company(24, "9999", "Someone Else")
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:customers_account_number_conflicts"),
        {"account_number": "3002", "company": other.pk},
        follow=True,
    )
    assert not AccountNumberOwner.objects.exists()
    assert b"not an active company with account number 3002" in response.content


def test_the_preview_starts_a_dry_run_lists_before_and_after_and_confirm_applies(client, staff_user, queued):
    acme = company(30, "4001", "Acme New")
    company(31, "4002", "Fresh Co")
    FishbowlCustomer.objects.create(account_number="4001", name="Acme Old", copper_company=acme)
    client.force_login(staff_user)

    response = client.post(reverse("admin:customers_customer_sync"))
    dry = SyncRun.objects.get(kind=SyncRun.Kind.CUSTOMER_SYNC)
    assert dry.options == {"apply": False}
    preview_url = reverse("admin:customers_customer_sync_preview", args=[dry.pk])
    assert response.url == preview_url
    assert b"refreshes until the run ends" in client.get(preview_url).content

    sync_run_execute(run_id=dry.pk)
    assert FishbowlCustomer.objects.count() == 1  # the dry run wrote nothing
    page = client.get(preview_url).content.decode()
    assert "Would create" in page and "Fresh Co" in page
    assert "Acme Old" in page and "Acme New" in page
    assert "Confirm and apply" in page

    # Confirming is a page of its own: what will be created, updated and flagged, then "Yes" or "No".
    confirm_url = reverse("admin:customers_customer_sync_confirm", args=[dry.pk])
    assert f'href="{confirm_url}"' in page
    confirm = client.get(confirm_url).content.decode()
    assert "Customers to create</th><td>1<" in confirm and "Customers to update</th><td>1<" in confirm
    assert "Yes, apply the customer sync" in confirm and "No, take me back" in confirm
    assert SyncRun.objects.count() == 1, "opening the confirmation starts nothing"

    response = client.post(confirm_url)
    applied = SyncRun.objects.exclude(pk=dry.pk).get()
    assert applied.options == {"apply": True} and applied.parent == dry
    assert response.status_code == 302
    sync_run_execute(run_id=applied.pk)
    start_page = client.get(reverse("admin:customers_customer_sync")).content.decode()
    assert f"run #{dry.pk}</a>" in start_page  # the latest dry run, not the applying run
    assert FishbowlCustomer.objects.get(account_number="4001").name == "Acme New"
    assert FishbowlCustomer.objects.filter(account_number="4002").exists()
    assert (
        "Confirm and apply"
        not in client.get(
            reverse("admin:customers_customer_sync_preview", args=[applied.pk])
        ).content.decode()
    )


def test_a_person_without_the_start_permission_cannot_start_a_sync(client, queued):
    viewer = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_fishbowlcustomer"))
    client.force_login(viewer)
    assert client.get(reverse("admin:customers_customer_sync")).status_code == 200
    assert client.post(reverse("admin:customers_customer_sync")).status_code == 403
    assert not SyncRun.objects.exists()


def test_the_customer_list_links_to_the_sync_preview_and_the_conflicts(client, staff_user):
    client.force_login(staff_user)
    page = client.get(reverse("admin:customers_fishbowlcustomer_changelist")).content.decode()
    assert reverse("admin:customers_customer_sync") in page
    assert reverse("admin:customers_account_number_conflicts") in page


def _dry_run_from_the_dashboard(client):
    """Press the dashboard's customer-sync button and run what it started; returns (response, run)."""
    buttons = client.get(reverse("admin:syncs_syncrun_dashboard")).content.decode()
    assert 'value="customer_sync_apply"' not in buttons, "no dashboard button applies a customer sync blind"
    assert "Customer sync (preview, then apply)" in buttons
    response = client.post(reverse("admin:syncs_syncrun_start"), {"button": "customer_sync_dry_run"})
    run = SyncRun.objects.get(kind=SyncRun.Kind.CUSTOMER_SYNC)
    return response, sync_run_execute(run_id=run.pk)


def test_the_dashboards_customer_sync_button_leads_to_a_preview_before_anything_is_written(
    client, staff_user, queued
):
    company(40, "5001", "Fresh Co")
    client.force_login(staff_user)
    response, run = _dry_run_from_the_dashboard(client)
    assert run.options == {"apply": False} and run.status == SyncRun.Status.SUCCEEDED
    assert not FishbowlCustomer.objects.exists(), "the button wrote nothing"
    preview = client.get(reverse("admin:customers_customer_sync_preview", args=[run.pk])).content.decode()
    assert "Fresh Co" in preview and "Confirm and apply" in preview
    confirm_url = reverse("admin:customers_customer_sync_confirm", args=[run.pk])
    assert "Customers to create</th><td>1<" in client.get(confirm_url).content.decode()
    client.post(confirm_url)
    applied = SyncRun.objects.get(kind=SyncRun.Kind.CUSTOMER_SYNC, options={"apply": True})
    assert applied.parent == run
    sync_run_execute(run_id=applied.pk)
    assert FishbowlCustomer.objects.get(account_number="5001").copper_company_id == 40


def test_a_preview_with_nothing_to_create_or_update_offers_no_confirm(client, staff_user, queued):
    acme = company(41, "5002", "Acme")
    customer_sync(apply=True)  # already in step: the next dry run finds nothing to do
    assert FishbowlCustomer.objects.get(copper_company=acme)
    client.force_login(staff_user)
    _response, run = _dry_run_from_the_dashboard(client)
    assert (run.created, run.updated) == (0, 0)
    page = client.get(reverse("admin:customers_customer_sync_preview", args=[run.pk])).content.decode()
    assert "Nothing to apply" in page and "Confirm and apply" not in page
    confirm_url = reverse("admin:customers_customer_sync_confirm", args=[run.pk])
    response = client.post(confirm_url, follow=True)
    assert "Nothing to apply" in response.content.decode()
    assert SyncRun.objects.count() == 1, "nothing was started"


def test_the_confirmation_counts_what_the_dry_run_flagged_in_plain_words(client, staff_user, queued):
    company(42, "5003", "Acme East")
    company(43, "5003", "Acme West")
    company(44, "5004", "Fresh Co")
    client.force_login(staff_user)
    _response, run = _dry_run_from_the_dashboard(client)
    page = client.get(reverse("admin:customers_customer_sync_confirm", args=[run.pk])).content.decode()
    assert "Account number held by several active Copper companies (not linked)</th><td>1<" in page
    assert "duplicate_account_number" not in page
