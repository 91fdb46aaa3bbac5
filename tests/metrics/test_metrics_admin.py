"""The admin pages of the metrics push: check mapping, the sync button, the change-set page and its buttons."""

import csv
import io

import pytest
from django.urls import reverse

from metrics.admin import SYNC_BUTTON_LABEL
from metrics.admin_confirm import BUILT_BY_YOU
from metrics.models import ChangeSet, FieldMapping
from metrics.services.changesets import change_set_apply, change_set_approve, change_set_build
from syncs.models import SyncRun
from tests.metrics.metrics_world import AS_OF, FakeCopper, mappings_create, world_create

pytestmark = pytest.mark.django_db
Metric = FieldMapping.Metric


@pytest.fixture
def world():
    companies = world_create()
    mappings_create()
    return companies


@pytest.fixture
def fake(world):
    return FakeCopper(list(world.values()))


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: calls.append(a) or "task")
    return calls


def test_the_check_page_shows_a_sample_and_the_sync_button(client, staff_user, world):
    client.force_login(staff_user)
    page = client.get(reverse("admin:metrics_fieldmapping_check")).content.decode()
    assert f'value="{SYNC_BUTTON_LABEL}"' in page and "disabled" not in page
    assert "Acme Farms" in page and "OIL-1 (12), OIL-2 (4), SAMPLE-KIT (1)" in page


def test_the_check_page_lists_each_problem_and_blocks_the_button(client, staff_user, world):
    FieldMapping.objects.filter(metric=Metric.TOTAL_ORDERS).update(copper_field="Notes")
    client.force_login(staff_user)
    page = client.get(reverse("admin:metrics_fieldmapping_check")).content.decode()
    assert "Copper field &quot;Notes&quot; is a Text field" in page
    assert "disabled" in page


def test_the_sync_button_starts_a_dry_run_and_opens_its_progress_page(
    client, staff_user, world, queued, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:metrics_fieldmapping_dry_run"))
    run = SyncRun.objects.get(kind=SyncRun.Kind.METRICS_DRY_RUN)
    assert response.status_code == 302
    assert response.url == reverse("admin:syncs_syncrun_progress", args=[run.pk])
    assert run.started_by == staff_user and len(queued) == 1


def test_the_sync_button_refuses_an_invalid_mapping(client, staff_user, world, queued):
    FieldMapping.objects.filter(metric=Metric.TOTAL_SPENT).update(copper_field="Active Customer")
    client.force_login(staff_user)
    response = client.post(reverse("admin:metrics_fieldmapping_dry_run"), follow=True)
    assert not SyncRun.objects.exists()
    assert "fix them before a dry run" in response.content.decode()


def test_the_mapping_form_refuses_a_protected_field(client, staff_user, world):
    client.force_login(staff_user)
    response = client.post(
        reverse("admin:metrics_fieldmapping_add"),
        {"metric": Metric.SPENT_LAST_12_MONTHS, "copper_field": "Active Customer", "policy": "overwrite"},
    )
    assert response.status_code == 200
    assert "is protected and may not be written" in response.content.decode()
    assert not FieldMapping.objects.filter(metric=Metric.SPENT_LAST_12_MONTHS).exists()


def test_the_change_set_page_links_to_its_changes_listed_flagged_first_and_filtered(client, staff_user, fake):
    fake.edit(103, "Top Products", "OLD (3)")
    change_set = change_set_build(client=fake, user=staff_user, as_of=AS_OF)
    client.force_login(staff_user)
    url = reverse("admin:metrics_changeset_review", args=[change_set.pk])
    assert client.get(reverse("admin:metrics_changeset_change", args=[change_set.pk])).url == url
    page = client.get(url).content.decode()
    assert BUILT_BY_YOU in page and 'id="approve-button"' not in page
    changes = f"{reverse('admin:metrics_change_changelist')}?change_set__id__exact={change_set.pk}"
    assert f'href="{changes}"' in page

    def rows(**filters):
        query = {"change_set__id__exact": change_set.pk, **filters}
        page = client.get(reverse("admin:metrics_change_changelist"), query).content.decode()
        return page.split('id="result_list"', 1)[1].split("</table>", 1)[0]

    assert rows().index("Clears the value") < rows().index("Acme Farms")
    only_spent = rows(field="Total Spent")
    assert "Top Products" not in only_spent and "180.00" in only_spent


def test_the_change_set_exports_as_csv(client, staff_user, fake):
    change_set = change_set_build(client=fake, user=staff_user, as_of=AS_OF)
    client.force_login(staff_user)
    response = client.get(reverse("admin:metrics_changeset_export", args=[change_set.pk]), {"q": "birch"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["field"] for r in rows} == {
        "Total Spent",
        "First Order Date",
        "Top Products",
        "Sample Kit Sent",
    }
    spent = next(r for r in rows if r["field"] == "Total Spent")
    assert (spent["old"], spent["new"], spent["old_raw"], spent["outcome"]) == (
        "500.00",
        "600.00",
        "500.0",
        "pending",
    )


def test_approval_from_the_page_is_refused_for_the_builder_and_works_for_a_second_person(
    client, staff_user, second_staff_user, fake
):
    change_set = change_set_build(client=fake, user=staff_user, as_of=AS_OF)
    client.force_login(staff_user)
    page = client.post(reverse("admin:metrics_changeset_approve", args=[change_set.pk]), follow=True)
    assert "a different person must approve it" in page.content.decode()
    change_set.refresh_from_db()
    assert change_set.status == ChangeSet.Status.BUILT
    client.force_login(second_staff_user)
    client.post(reverse("admin:metrics_changeset_approve", args=[change_set.pk]), _ticks(change_set))
    change_set.refresh_from_db()
    assert (change_set.status, change_set.approved_by) == ("approved", second_staff_user)


def test_approving_an_applied_set_from_the_page_is_an_error_message_not_a_crash(
    client, staff_user, second_staff_user, fake
):
    change_set = change_set_build(client=fake, user=staff_user, as_of=AS_OF)
    change_set_approve(change_set=change_set, user=second_staff_user)
    change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    client.force_login(second_staff_user)
    page = client.post(reverse("admin:metrics_changeset_approve", args=[change_set.pk]), follow=True)
    assert page.status_code == 200
    assert "is applied; only a built set awaiting approval can be approved" in page.content.decode()


def test_reject_and_apply_buttons(client, staff_user, second_staff_user, fake, queued):
    change_set = change_set_build(client=fake, user=staff_user, as_of=AS_OF)
    client.force_login(second_staff_user)
    client.post(reverse("admin:metrics_changeset_apply", args=[change_set.pk]))
    assert not SyncRun.objects.exists(), "an unapproved set is not applied"
    change_set_approve(change_set=change_set, user=second_staff_user)
    response = client.post(reverse("admin:metrics_changeset_apply", args=[change_set.pk]), _ticks(change_set))
    run = SyncRun.objects.get(kind=SyncRun.Kind.METRICS_APPLY)
    assert run.options == {"change_set_id": change_set.pk}
    assert response.url == reverse("admin:syncs_syncrun_progress", args=[run.pk])
    other = change_set_build(client=fake, user=staff_user, as_of=AS_OF)
    client.post(reverse("admin:metrics_changeset_reject", args=[other.pk]), {"reason": "Not this month"})
    other.refresh_from_db()
    assert (other.status, other.rejection_reason, other.rejected_by) == (
        "rejected",
        "Not this month",
        second_staff_user,
    )


def test_the_mapping_list_refuses_a_protected_field_edited_in_place(client, staff_user, world):
    client.force_login(staff_user)
    rows = list(FieldMapping.objects.order_by("metric"))
    data = {"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": len(rows), "_save": "Save"}
    for i, row in enumerate(rows):
        field = "Region" if row.metric == Metric.TOTAL_ORDERS else row.copper_field
        data |= {f"form-{i}-id": row.pk, f"form-{i}-copper_field": field, f"form-{i}-policy": row.policy}
        data |= {f"form-{i}-enabled": "on"}
    response = client.post(reverse("admin:metrics_fieldmapping_changelist"), data)
    page = response.content.decode()
    assert "Copper field &quot;Region&quot; is protected" in page and "(mapped from Total Orders)" in page
    assert FieldMapping.objects.get(metric=Metric.TOTAL_ORDERS).copper_field == "Total Orders"


def test_the_roll_back_button_builds_a_rollback_set_for_an_applied_set_only(
    client, staff_user, second_staff_user, fake, queued
):
    change_set = change_set_build(client=fake, user=staff_user, as_of=AS_OF)
    change_set_approve(change_set=change_set, user=second_staff_user)
    client.force_login(staff_user)
    client.post(reverse("admin:metrics_changeset_rollback", args=[change_set.pk]))
    assert not ChangeSet.objects.filter(rollback_of=change_set).exists(), "nothing applied to roll back"
    change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    page = client.get(reverse("admin:metrics_changeset_review", args=[change_set.pk])).content.decode()
    assert 'id="rollback-button"' in page and 'id="approve-button"' not in page
    response = client.post(reverse("admin:metrics_changeset_rollback", args=[change_set.pk]))
    rollback = ChangeSet.objects.get(rollback_of=change_set)
    assert (rollback.status, rollback.built_by) == (ChangeSet.Status.BUILT, staff_user)
    assert response.url == reverse("admin:metrics_changeset_review", args=[rollback.pk])
    assert not SyncRun.objects.exists(), "nothing runs before a second person approves the rollback"


def _ticks(change_set):
    """Every flag kind of the set ticked on its confirmation page."""
    kinds = change_set.changes.filter(flagged=True).values_list("flags", flat=True)
    return {f"ack_{flag}": "1" for flags in kinds for flag in flags}
