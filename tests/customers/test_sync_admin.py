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

    response = client.post(preview_url)
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
