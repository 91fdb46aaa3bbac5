"""The audit trail across tracked models (filters by run, user, model, date) and rolling back a run."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from copper.models import CopperCompany
from customers.models import FishbowlCustomer
from integrity.rollback import run_rollback_apply, run_rollback_preview
from metrics.models import ChangeSet
from tests.integrity.conftest import company, customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def edit(obj, reason="", user=None, **values):
    for name, value in values.items():
        setattr(obj, name, value)
    obj._change_reason = reason
    if user is not None:
        obj._history_user = user
    obj.save()
    return obj


def rows(response):
    return response.context["rows"]


def test_the_audit_page_shows_who_changed_which_field_from_what_to_what_and_why(admin_client, staff_user):
    ann = customer("1", rep="Ann")
    edit(ann, reason="customer sync run #5", sales_rep="Bob")
    response = admin_client.get(reverse("admin:integrity_audit"), {"model": "customers.fishbowlcustomer"})
    assert response.status_code == 200
    newest = rows(response)[0]
    assert newest.change_type == "changed"
    assert ("sales_rep", "Ann", "Bob") in newest.changes
    assert newest.reason == "customer sync run #5"
    assert newest.who == "customer sync run #5"  # no user: the run is who
    html = response.content.decode()
    assert "<strong>Sales rep</strong>: Ann → Bob" in html
    assert f"/admin/customers/fishbowlcustomer/{ann.pk}/history/" in html


def test_the_audit_page_filters_by_run_user_model_and_date(admin_client, staff_user, second_staff_user):
    one = customer("1")
    two = customer("2")
    acme = company("Acme", "1")
    edit(one, reason="customer sync run #5", name="One by run 5")
    edit(two, reason="customer sync run #50", name="Two by run 50")
    edit(acme, reason="copper pull run #5", name="Acme by run 5")
    edit(two, user=second_staff_user, name="Two by bob")
    url = reverse("admin:integrity_audit")

    by_run = rows(admin_client.get(url, {"run": "5"}))
    assert sorted(r.reason for r in by_run) == ["copper pull run #5", "customer sync run #5"]

    by_user = rows(admin_client.get(url, {"user": "bob"}))
    assert [(r.who, r.object_label) for r in by_user] == [("bob", "2 Two by bob")]

    by_model = rows(admin_client.get(url, {"model": "copper.coppercompany"}))
    assert {r.model_label for r in by_model} == {"copper.coppercompany"}
    assert len(by_model) == 2  # created, then renamed

    history = FishbowlCustomer.history.model
    old = timezone.now() - timedelta(days=10)
    history.objects.filter(account_number="1").update(history_date=old)
    day = old.date().isoformat()
    by_date = rows(admin_client.get(url, {"date_from": day, "date_to": day}))
    assert {r.object_label for r in by_date} == {"1 Customer 1", "1 One by run 5"}


def test_the_audit_page_pages_without_repeating_rows(admin_client, monkeypatch):
    monkeypatch.setattr("integrity.audit.PER_PAGE", 3)
    for n in range(7):
        customer(str(n))
    url = reverse("admin:integrity_audit")
    seen = []
    for page in (1, 2, 3):
        response = admin_client.get(url, {"model": "customers.fishbowlcustomer", "page": page})
        seen += [r.object_pk for r in rows(response)]
        assert response.context["has_next"] == (page < 3)
    assert len(seen) == len(set(seen)) == 7


@pytest.fixture
def run_seven(staff_user):
    """Run #7 changed two customers and created one; one of them was changed again by hand afterwards."""
    kept = customer("1", name="Kept", rep="Ann")
    later = customer("2", name="Later", rep="Ann")
    edit(kept, reason="customer sync run #7", name="Kept renamed", sales_rep="Bob")
    edit(kept, reason="customer sync run #7", account_type="wholesale")
    edit(later, reason="customer sync run #7", name="Later renamed")
    edit(later, user=staff_user, name="Later fixed by hand")
    created = FishbowlCustomer(account_number="3", name="New")
    created._change_reason = "customer sync run #7"
    created.save()
    return kept, later, created


def test_the_rollback_preview_lists_what_would_be_restored_and_what_is_skipped(run_seven):
    kept, later, created = run_seven
    plan = run_rollback_preview(run_id=7)
    assert [(i.label, i.fields) for i in plan.restorable] == [
        (
            "1 Kept renamed",
            [
                ("name", "Kept renamed", "Kept"),
                ("account_type", "wholesale", "retail"),
                ("sales_rep", "Bob", "Ann"),
            ],
        )
    ]
    skipped = {i.pk: i.skipped for i in plan.skipped}
    assert skipped[later.pk].startswith("Changed again after the run (by hand")
    assert skipped[created.pk].startswith("Created by the run")
    kept.refresh_from_db()
    assert kept.name == "Kept renamed"  # a preview writes nothing


def test_rolling_back_a_run_from_the_admin_restores_values_with_its_own_history(admin_client, run_seven):
    kept, later, _ = run_seven
    url = reverse("admin:integrity_rollback", args=[7])
    preview = admin_client.get(url)
    html = preview.content.decode()
    assert "Kept renamed" in html and "Later fixed by hand" in html and "Yes, roll back run #7" in html

    response = admin_client.post(url, {"confirm": "yes"})
    assert response.status_code == 302
    kept.refresh_from_db()
    later.refresh_from_db()
    assert (kept.name, kept.sales_rep, kept.account_type) == ("Kept", "Ann", "retail")
    assert later.name == "Later fixed by hand"
    last = kept.history.order_by("-history_id").first()
    assert last.history_change_reason == "rollback of run #7 by alice"
    assert last.history_user.username == "alice"
    # A second rollback finds the object changed since (by the rollback) and restores nothing.
    assert run_rollback_apply(run_id=7).restorable == []


def test_rolling_back_needs_the_permission(client, db):
    from django.contrib.auth import get_user_model

    viewer = get_user_model().objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)
    assert client.get(reverse("admin:integrity_rollback", args=[7])).status_code == 403


def test_a_single_record_rolls_back_from_its_history_page(admin_client):
    ann = customer("1", name="Original", rep="Ann")
    edit(ann, reason="customer sync run #9", name="Renamed")
    original = ann.history.order_by("history_id").first()
    url = reverse("admin:customers_fishbowlcustomer_simple_history", args=[ann.pk, original.history_id])
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields
    }
    data["is_active"] = "on" if form.initial.get("is_active") else ""
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    ann.refresh_from_db()
    assert ann.name == "Original"
    assert CopperCompany.objects.count() == 0


def test_the_audit_trail_names_people_fields_and_choices_and_shows_times_to_the_minute(
    admin_client, second_staff_user, settings
):
    settings.TIME_ZONE = "America/New_York"
    second_staff_user.first_name, second_staff_user.last_name = "Bob", "Approver"
    second_staff_user.save()
    change_set = ChangeSet.objects.create()
    approved_at = timezone.now().replace(microsecond=123456)
    edit(change_set, reason="approved by bob", approved_by=second_staff_user, approved_at=approved_at,
         status=ChangeSet.Status.APPROVED)  # fmt: skip
    response = admin_client.get(reverse("admin:integrity_audit"), {"model": "metrics.changeset"})
    html = response.content.decode()
    local = timezone.localtime(approved_at)
    assert "<strong>Approved by</strong>: — → Bob Approver" in html
    assert "<strong>Status</strong>: Built (awaiting approval) → Approved" in html
    assert f"<strong>Approved at</strong>: — → {local:%Y-%m-%d %H:%M}</li>" in html
    assert "approved by bob" in html  # the change reason as written
    assert "123456" not in html and "∅" not in html and "approved_by" not in html
    assert f"<td>{timezone.localtime(rows(response)[0].when):%Y-%m-%d %H:%M}</td>" in html


def test_the_audit_trail_reads_related_names_in_batches_not_per_row(admin_client, staff_user):
    from django.contrib.auth import get_user_model

    def approve(n):
        user = get_user_model().objects.create_user(f"user{n}", first_name=f"Person {n}")
        edit(ChangeSet.objects.create(), approved_by=user, built_by=staff_user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            admin_client.get(reverse("admin:integrity_audit"), {"model": "metrics.changeset"})
        return len(captured.captured_queries)

    approve(1)
    few = queries()
    for n in range(2, 12):
        approve(n)
    many = queries()
    html = admin_client.get(reverse("admin:integrity_audit"), {"model": "metrics.changeset"}).content.decode()
    assert "<strong>Approved by</strong>: — → Person 11" in html
    assert many == few


def test_the_rollback_preview_shows_field_names_and_values_in_plain_words(admin_client, run_seven):
    html = admin_client.get(reverse("admin:integrity_rollback", args=[7])).content.decode()
    assert "<td>Sales rep</td><td>Bob</td><td>Ann</td>" in html
    assert "<td>Account type</td><td>Wholesale</td><td>Retail</td>" in html
    assert "<code>" not in html and "∅" not in html


def test_the_rollback_preview_pages_long_lists_but_restores_everything(admin_client, monkeypatch):
    monkeypatch.setattr("integrity.admin.ROLLBACK_PER_PAGE", 2)
    for n in range(5):
        edit(customer(str(n), name=f"Before {n}"), reason="customer sync run #8", name=f"After {n}")
    url = reverse("admin:integrity_rollback", args=[8])
    first = admin_client.get(url).content.decode()
    assert "To restore (5)" in first and "objects 1–2 of 5" in first and "?page=2" in first
    assert first.count('class="rollback-field"') == 2
    last = admin_client.get(url, {"page": 3}).content.decode()
    assert last.count('class="rollback-field"') == 1
    admin_client.post(url, {"confirm": "yes"})
    assert sorted(FishbowlCustomer.objects.values_list("name", flat=True)) == [
        f"Before {n}" for n in range(5)
    ]
