"""Dry run → change set → approval by a second person → apply → rollback, against an in-memory Copper."""

import datetime as dt
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from copper.errors import CopperRateLimited
from copper.models import CustomFieldDefinition
from metrics.models import Change, ChangeSet, FieldMapping
from metrics.services import changesets
from metrics.services.changesets import (
    CHANGE_SET_DEFINITIONS_CHANGED,
    CHANGE_SET_NOT_APPROVED,
    CHANGE_SET_NOT_AWAITING,
    CHANGE_SET_REASON_REQUIRED,
    CHANGE_SET_SELF_APPROVAL,
    CHANGE_SET_TOO_OLD,
    ChangeSetError,
    ChangeSetPermissionDenied,
    ChangeSetStateConflict,
    change_set_apply,
    change_set_approve,
    change_set_build,
    change_set_reject,
    change_set_rollback_build,
)
from metrics.values import date_to_unix
from syncs.models import SyncRun
from tests.metrics.metrics_world import (
    AS_OF,
    DEFINITIONS,
    MAPPINGS,
    FakeCopper,
    mappings_create,
    rollback_approved_and_applied,
    world_create,
)

pytestmark = pytest.mark.django_db
Metric = FieldMapping.Metric
Outcome = Change.Outcome


@pytest.fixture
def world():
    companies = world_create()
    mappings_create()
    return companies


@pytest.fixture
def fake(world):
    return FakeCopper(list(world.values()))


def _build(fake, user):
    return change_set_build(client=fake, user=user, as_of=AS_OF)


def _approved(fake, builder, approver):
    change_set = _build(fake, builder)
    return change_set_approve(change_set=change_set, user=approver)


def _changes(change_set):
    return {(c.company_id, c.field_name): c for c in change_set.changes.all()}


# --- dry run -------------------------------------------------------------------------------------------------
def test_a_dry_run_lists_only_the_fields_that_actually_change(fake, staff_user):
    change_set = _build(fake, staff_user)
    assert set(_changes(change_set)) == {
        (101, "Total Orders"),
        (101, "Total Spent"),
        (101, "First Order Date"),
        (101, "Last Order Date"),
        (101, "Top Products"),
        (101, "Sample Kit Sent"),
        # Birch already holds Total Orders 2 and Last Order Date 2026-05-01: not in the set.
        (102, "Total Spent"),
        (102, "First Order Date"),
        (102, "Top Products"),
        (102, "Sample Kit Sent"),
        # Cedar has no orders: its empty dates and products stay empty.
        (103, "Total Orders"),
        (103, "Total Spent"),
        (103, "Sample Kit Sent"),
    }
    assert change_set.status == ChangeSet.Status.BUILT
    assert change_set.counts["changes"] == 13
    assert fake.puts == [], "a dry run writes nothing to Copper"


def test_a_change_keeps_raw_values_and_shows_them_as_people_read_them(fake, staff_user):
    changes = _changes(_build(fake, staff_user))
    spent = changes[(102, "Total Spent")]
    assert (spent.old_value, spent.new_value) == (500.0, 600.0)
    assert (spent.old_display, spent.new_display) == ("500.00", "600.00")
    kit = changes[(101, "Sample Kit Sent")]
    assert (kit.new_value, kit.new_display) == (31, "Yes")
    first = changes[(101, "First Order Date")]
    assert (first.new_value, first.new_display) == (date_to_unix(dt.date(2025, 3, 1)), "2025-03-01")
    assert changes[(101, "Top Products")].new_value == "OIL-1 (12), OIL-2 (4), SAMPLE-KIT (1)"
    assert spent.rule == "Total Spent (overwrite)"


def test_suspicious_changes_are_flagged(world, fake, staff_user):
    fake.edit(102, "Total Spent", 100.0)  # 100 → 600 is a 6× jump
    fake.edit(102, "Last Order Date", date_to_unix(dt.date(2026, 6, 15)))  # would move back to 05-01
    fake.edit(103, "Top Products", "OLD (3)")  # Cedar has no products now: the value would be cleared
    changes = _changes(_build(fake, staff_user))
    assert changes[(102, "Total Spent")].flags == ["big_jump"]
    assert changes[(102, "Last Order Date")].flags == ["date_backwards"]
    assert changes[(103, "Top Products")].flags == ["clears_value"]
    assert changes[(103, "Total Spent")].flags == ["went_down"]  # 75 → 0
    assert changes[(101, "Total Spent")].flags == []
    assert all(c.flagged == bool(c.flags) for c in changes.values())


def test_only_if_empty_fills_empty_fields_and_never_writes_nothing(fake, staff_user):
    FieldMapping.objects.filter(metric=Metric.TOTAL_SPENT).update(policy=FieldMapping.Policy.ONLY_IF_EMPTY)
    FieldMapping.objects.filter(metric=Metric.SAMPLE_KIT_SENT).update(policy=FieldMapping.Policy.NEVER)
    changes = _changes(_build(fake, staff_user))
    assert (101, "Total Spent") in changes  # empty in Copper: filled
    assert (102, "Total Spent") not in changes and (103, "Total Spent") not in changes
    assert not [key for key in changes if key[1] == "Sample Kit Sent"]


def test_copper_is_read_in_pages_not_one_request_per_company(fake, staff_user, settings):
    settings.METRICS_BATCH_SIZE = 2
    change_set = _build(fake, staff_user)
    assert fake.reads == [[101, 102], [103]]
    assert change_set.counts["copper_reads"] == 2


def test_a_company_no_longer_in_copper_is_reported_not_changed(fake, staff_user):
    del fake.companies[103]
    change_set = _build(fake, staff_user)
    assert not change_set.changes.filter(company_id=103).exists()
    assert change_set.counts["missing_in_copper"] == 1


def test_the_build_runner_records_the_set_on_its_run(fake, staff_user, monkeypatch):
    from syncs.services.runs import sync_run_execute, sync_run_start

    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    monkeypatch.setattr(changesets, "_client", lambda: fake)
    run = sync_run_start(kind=SyncRun.Kind.METRICS_DRY_RUN, user=staff_user)
    run = sync_run_execute(run_id=run.pk)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    change_set = ChangeSet.objects.get(source_run=run)
    assert change_set.built_by == staff_user
    assert run.counts["change_set_id"] == change_set.pk
    assert f"change set #{change_set.pk}" in run.message


# --- approval ----------------------------------------------------------------------------------------------
def test_the_builder_cannot_approve_their_own_set(fake, staff_user):
    change_set = _build(fake, staff_user)
    with pytest.raises(ChangeSetPermissionDenied) as refused:
        change_set_approve(change_set=change_set, user=staff_user)
    assert refused.value.user_message == CHANGE_SET_SELF_APPROVAL.format(pk=change_set.pk, user="alice")
    change_set.refresh_from_db()
    assert change_set.status == ChangeSet.Status.BUILT


def test_self_approval_is_allowed_when_the_setting_relaxes_it(fake, staff_user, settings):
    settings.METRICS_ALLOW_SELF_APPROVAL = True
    change_set = change_set_approve(change_set=_build(fake, staff_user), user=staff_user)
    assert change_set.status == ChangeSet.Status.APPROVED


def test_approval_needs_the_approve_permission(fake, staff_user):
    clerk = get_user_model().objects.create_user("carol", is_staff=True)
    change_set = _build(fake, staff_user)
    with pytest.raises(ChangeSetPermissionDenied, match="carol lacks the permission to approve"):
        change_set_approve(change_set=change_set, user=clerk)
    clerk.user_permissions.add(Permission.objects.get(codename="approve_changeset"))
    clerk = get_user_model().objects.get(pk=clerk.pk)
    assert change_set_approve(change_set=change_set, user=clerk).approved_by == clerk


def test_a_second_person_approves_and_the_history_records_who_and_when(fake, staff_user, second_staff_user):
    change_set = _approved(fake, staff_user, second_staff_user)
    assert (change_set.status, change_set.approved_by) == (ChangeSet.Status.APPROVED, second_staff_user)
    history = list(change_set.history.order_by("history_date"))
    assert [(h.status, h.history_user) for h in history] == [
        ("built", staff_user),
        ("approved", second_staff_user),
    ]
    assert history[-1].history_change_reason == "approved by bob"


def test_approving_an_applied_set_is_a_state_conflict(fake, staff_user, second_staff_user):
    change_set = _approved(fake, staff_user, second_staff_user)
    change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    with pytest.raises(ChangeSetStateConflict) as conflict:
        change_set_approve(change_set=change_set, user=second_staff_user)
    assert conflict.value.http_status == 409
    assert conflict.value.user_message == CHANGE_SET_NOT_AWAITING.format(
        pk=change_set.pk, status="applied", action="approved"
    )


def test_an_old_set_cannot_be_approved(fake, staff_user, second_staff_user, settings):
    settings.METRICS_CHANGESET_MAX_AGE_HOURS = 2
    change_set = _build(fake, staff_user)
    ChangeSet.objects.filter(pk=change_set.pk).update(built_at=change_set.built_at - timedelta(hours=3))
    with pytest.raises(ChangeSetError) as refused:
        change_set_approve(change_set=change_set, user=second_staff_user)
    assert refused.value.user_message == CHANGE_SET_TOO_OLD.format(pk=change_set.pk, hours=3.0, limit=2)


def test_a_set_built_before_a_definition_changed_cannot_be_approved(fake, staff_user, second_staff_user):
    change_set = _build(fake, staff_user)
    CustomFieldDefinition.objects.filter(name="Total Spent").update(data_type="Float")
    with pytest.raises(ChangeSetError) as refused:
        change_set_approve(change_set=change_set, user=second_staff_user)
    assert refused.value.user_message == CHANGE_SET_DEFINITIONS_CHANGED.format(pk=change_set.pk)


def test_a_definition_the_set_does_not_use_may_change(fake, staff_user, second_staff_user):
    change_set = _build(fake, staff_user)
    CustomFieldDefinition.objects.filter(name="Notes").update(name="Remarks")
    assert change_set_approve(change_set=change_set, user=second_staff_user).status == "approved"


def test_a_rejected_set_is_kept_with_its_reason_and_cannot_be_approved(fake, staff_user, second_staff_user):
    change_set = _build(fake, staff_user)
    with pytest.raises(ChangeSetError, match=CHANGE_SET_REASON_REQUIRED.format(pk=change_set.pk)):
        change_set_reject(change_set=change_set, user=second_staff_user, reason="  ")
    change_set = change_set_reject(change_set=change_set, user=second_staff_user, reason="Totals look wrong")
    assert (change_set.status, change_set.rejection_reason) == ("rejected", "Totals look wrong")
    assert change_set.changes.count() == 13
    with pytest.raises(ChangeSetStateConflict):
        change_set_approve(change_set=change_set, user=second_staff_user)
    assert change_set.history.latest().history_user == second_staff_user


# --- apply -----------------------------------------------------------------------------------------------
def test_an_unapproved_set_cannot_be_applied(fake, staff_user):
    change_set = _build(fake, staff_user)
    with pytest.raises(ChangeSetStateConflict) as refused:
        change_set_apply(change_set=change_set, client=fake, user=staff_user)
    assert refused.value.user_message == CHANGE_SET_NOT_APPROVED.format(
        pk=change_set.pk, status="built (awaiting approval)"
    )
    assert fake.puts == []


def test_apply_writes_exactly_the_previewed_fields_with_one_put_per_changed_company(
    fake, staff_user, second_staff_user
):
    before = {
        cid: {e["custom_field_definition_id"]: e["value"] for e in c["custom_fields"]}
        for cid, c in fake.companies.items()
    }
    change_set = _approved(fake, staff_user, second_staff_user)
    previewed = {(c.company_id, c.definition_id): c.new_value for c in change_set.changes.all()}
    fake.reads.clear()
    change_set = change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    assert change_set.status == ChangeSet.Status.APPLIED
    assert sorted(cid for cid, _body in fake.puts) == [101, 102, 103]
    assert len(fake.reads) == 1, "one re-read per page of companies"
    after = {
        cid: {e["custom_field_definition_id"]: e["value"] for e in c["custom_fields"]}
        for cid, c in fake.companies.items()
    }
    for company_id, fields in after.items():
        for definition_id, value in fields.items():
            expected = previewed.get((company_id, definition_id), before[company_id][definition_id])
            assert value == expected, (company_id, definition_id)
    assert set(change_set.changes.values_list("outcome", flat=True)) == {Outcome.APPLIED}
    assert change_set.counts["outcome_applied"] == 13


def test_active_customer_and_other_unmapped_fields_are_never_changed(fake, staff_user, second_staff_user):
    fake.edit(102, "Active Customer", False)
    change_set = _approved(fake, staff_user, second_staff_user)
    change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    assert [fake.value(c, "Active Customer") for c in (101, 102, 103)] == [True, False, True]
    assert fake.value(102, "Region") == 2 and fake.value(102, "Notes") == "keep me"
    assert not change_set.changes.filter(field_name__in=["Active Customer", "Region", "Notes"]).exists()
    mapped = {ident for ident, name, _t, _o in DEFINITIONS if name in MAPPINGS.values()}
    for _company_id, body in fake.puts:
        assert set(body) == {"custom_fields"}, "no top-level key but custom_fields is sent"
        sent = {e["custom_field_definition_id"] for e in body["custom_fields"]}
        assert sent <= mapped, "no field that no mapping names is ever sent"


def test_put_bodies_carry_only_the_entries_the_set_changes(fake, staff_user, second_staff_user):
    change_set = _approved(fake, staff_user, second_staff_user)
    change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    sent = [
        (company_id, e["custom_field_definition_id"]) for company_id, body in fake.puts for e in body["custom_fields"]
    ]
    assert sorted(sent) == sorted(change_set.changes.values_list("company_id", "definition_id"))
    assert fake.value(101, "Active Customer") is True


def test_a_copper_users_edit_of_an_unmapped_field_during_the_apply_survives(
    fake, staff_user, second_staff_user, settings
):
    settings.METRICS_BATCH_SIZE = 3  # one re-read for the whole page, then one PUT per company
    change_set = _approved(fake, staff_user, second_staff_user)
    real_update = fake.company_update

    def a_rep_edits_birch_right_after_the_page_was_re_read(company_id, body):
        if company_id == 101:  # Acme's PUT: Birch was re-read already, its PUT comes next
            fake.edit(102, "Notes", "called them today")
            fake.edit(102, "Region", 1)
        return real_update(company_id, body)

    fake.company_update = a_rep_edits_birch_right_after_the_page_was_re_read
    change_set = change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    assert change_set.status == ChangeSet.Status.APPLIED
    assert fake.value(102, "Notes") == "called them today"
    assert fake.value(102, "Region") == 1
    assert fake.value(102, "Total Spent") == 600.0


def test_a_value_edited_in_copper_after_the_preview_is_stale_and_kept(fake, staff_user, second_staff_user):
    change_set = _approved(fake, staff_user, second_staff_user)
    fake.edit(102, "Total Spent", 555.0)  # a person edits Birch in Copper
    change_set = change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    assert fake.value(102, "Total Spent") == 555.0
    stale = change_set.changes.get(company_id=102, field_name="Total Spent")
    assert stale.outcome == Outcome.STALE
    assert "555" in stale.message and "500.00" in stale.message
    # Birch's other fields still went through.
    assert change_set.changes.get(company_id=102, field_name="Top Products").outcome == Outcome.APPLIED
    assert change_set.status == ChangeSet.Status.PARTIALLY_APPLIED
    assert change_set.counts["outcome_stale"] == 1


def test_a_write_copper_refuses_is_failed_with_coppers_message(fake, staff_user, second_staff_user):
    fake.reject[103] = "Invalid input: Validation errors: Total Orders: is invalid"
    change_set = _approved(fake, staff_user, second_staff_user)
    change_set = change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    failed = change_set.changes.filter(outcome=Outcome.FAILED)
    assert {c.company_id for c in failed} == {103}
    assert failed.first().message == "Invalid input: Validation errors: Total Orders: is invalid"
    assert change_set.status == ChangeSet.Status.PARTIALLY_APPLIED


def test_a_second_apply_writes_nothing(fake, staff_user, second_staff_user):
    change_set = _approved(fake, staff_user, second_staff_user)
    change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    fake.puts.clear()
    fake.reads.clear()
    again = change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    assert again.status == ChangeSet.Status.APPLIED
    assert (fake.puts, fake.reads) == ([], [])


def test_an_apply_that_dies_half_way_resumes_with_the_pending_changes_only(
    fake, staff_user, second_staff_user, settings
):
    settings.METRICS_BATCH_SIZE = 1
    change_set = _approved(fake, staff_user, second_staff_user)
    real_update = fake.company_update

    def flaky(company_id, body):
        if company_id == 102:
            raise CopperRateLimited("429 after every retry", status=429)
        return real_update(company_id, body)

    fake.company_update = flaky
    with pytest.raises(CopperRateLimited):
        change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    change_set.refresh_from_db()
    assert change_set.status == ChangeSet.Status.APPLYING
    assert set(change_set.changes.filter(outcome=Outcome.PENDING).values_list("company_id", flat=True)) == {
        102,
        103,
    }

    fake.company_update = real_update
    fake.puts.clear()
    change_set = change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    assert change_set.status == ChangeSet.Status.APPLIED
    assert [cid for cid, _ in fake.puts] == [102, 103], "Acme is not written twice"


def test_a_put_that_landed_before_a_crash_is_recognised_not_repeated(fake, staff_user, second_staff_user):
    change_set = _approved(fake, staff_user, second_staff_user)
    ChangeSet.objects.filter(pk=change_set.pk).update(status=ChangeSet.Status.APPLYING)
    for change in change_set.changes.filter(company_id=101):  # Copper got Acme's PUT, the outcome was lost
        fake.edit(101, change.field_name, change.new_value)
    change_set = change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    assert 101 not in [cid for cid, _ in fake.puts]
    assert set(change_set.changes.values_list("outcome", flat=True)) == {Outcome.APPLIED}


def test_apply_refuses_when_coppers_definitions_changed_since_the_preview(
    fake, staff_user, second_staff_user
):
    change_set = _approved(fake, staff_user, second_staff_user)
    live = fake.custom_field_definitions()
    fake.custom_field_definitions = lambda: [
        {**d, "data_type": "Float"} if d["name"] == "Total Spent" else d for d in live
    ]
    with pytest.raises(ChangeSetError, match="definitions changed"):
        change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    assert fake.puts == []


def test_the_apply_runner_applies_the_set_named_in_its_options(
    fake, staff_user, second_staff_user, monkeypatch
):
    from syncs.services.runs import sync_run_execute, sync_run_start

    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    monkeypatch.setattr(changesets, "_client", lambda: fake)
    change_set = _approved(fake, staff_user, second_staff_user)
    run = sync_run_start(
        kind=SyncRun.Kind.METRICS_APPLY, user=second_staff_user, options={"change_set_id": change_set.pk}
    )
    run = sync_run_execute(run_id=run.pk)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert (run.processed, run.updated, run.counts["copper_puts"]) == (3, 3, 3)
    change_set.refresh_from_db()
    assert (change_set.status, change_set.apply_run, change_set.applied_by) == (
        "applied",
        run,
        second_staff_user,
    )
    assert "13 applied, 0 stale (kept), 0 failed" in run.message


# --- rollback ----------------------------------------------------------------------------------------------
def _applied(fake, staff_user, second_staff_user):
    change_set = _approved(fake, staff_user, second_staff_user)
    return change_set_apply(change_set=change_set, client=fake, user=second_staff_user)


def test_asking_for_a_rollback_builds_a_set_awaiting_approval_and_writes_nothing(
    fake, staff_user, second_staff_user
):
    change_set = _applied(fake, staff_user, second_staff_user)
    fake.puts.clear()
    rollback = change_set_rollback_build(change_set=change_set, user=staff_user)
    assert (rollback.status, rollback.built_by, rollback.rollback_of) == (
        ChangeSet.Status.BUILT,
        staff_user,
        change_set,
    )
    assert rollback.approved_by is None and rollback.changes.count() == 13
    assert fake.puts == [], "nothing reaches Copper before a second person approves"
    assert fake.value(102, "Total Spent") == 600.0
    assert rollback.history.latest().history_change_reason == f"rollback of {change_set} asked for by alice"
    change_set.refresh_from_db()
    assert change_set.status == ChangeSet.Status.APPLIED


def test_the_person_who_asked_for_a_rollback_cannot_approve_it(fake, staff_user, second_staff_user):
    change_set = _applied(fake, staff_user, second_staff_user)
    rollback = change_set_rollback_build(change_set=change_set, user=second_staff_user)
    with pytest.raises(ChangeSetPermissionDenied, match="a different person must approve it"):
        change_set_approve(change_set=rollback, user=second_staff_user)
    assert change_set_approve(change_set=rollback, user=staff_user).approved_by == staff_user


def test_a_one_person_shop_may_approve_its_own_rollback(fake, staff_user, second_staff_user, settings):
    settings.METRICS_ALLOW_SELF_APPROVAL = True
    change_set = _applied(fake, staff_user, second_staff_user)
    rollback = change_set_rollback_build(change_set=change_set, user=staff_user)
    assert change_set_approve(change_set=rollback, user=staff_user).status == ChangeSet.Status.APPROVED


def test_rollback_restores_the_previous_values_as_its_own_change_set(fake, staff_user, second_staff_user):
    original_values = {cid: [dict(e) for e in c["custom_fields"]] for cid, c in fake.companies.items()}
    change_set = _applied(fake, staff_user, second_staff_user)
    rollback = rollback_approved_and_applied(
        change_set, client=fake, asked_by=staff_user, approved_by=second_staff_user
    )
    for company_id, fields in original_values.items():
        got = {
            e["custom_field_definition_id"]: e["value"] for e in fake.companies[company_id]["custom_fields"]
        }
        assert got == {e["custom_field_definition_id"]: e["value"] for e in fields}
    assert rollback.rollback_of == change_set
    assert (rollback.status, rollback.changes.count()) == (ChangeSet.Status.APPLIED, 13)
    assert (rollback.built_by, rollback.approved_by) == (staff_user, second_staff_user)
    change_set.refresh_from_db()
    assert (change_set.status, change_set.rolled_back_by) == (ChangeSet.Status.ROLLED_BACK, second_staff_user)
    assert set(change_set.changes.values_list("outcome", flat=True)) == {Outcome.ROLLED_BACK}
    assert change_set.history.latest().history_change_reason.startswith("rolled back by bob")


def test_rollback_leaves_a_field_edited_since_and_reports_the_conflict(fake, staff_user, second_staff_user):
    change_set = _applied(fake, staff_user, second_staff_user)
    fake.edit(101, "Total Spent", 999.0)
    rollback = rollback_approved_and_applied(
        change_set, client=fake, asked_by=staff_user, approved_by=second_staff_user
    )
    assert fake.value(101, "Total Spent") == 999.0
    conflict = rollback.changes.get(company_id=101, field_name="Total Spent")
    assert conflict.outcome == Outcome.STALE and conflict.message.startswith("Conflict:")
    assert fake.value(101, "Total Orders") is None  # the rest of Acme went back
    assert rollback.status == ChangeSet.Status.PARTIALLY_APPLIED
    assert change_set.changes.get(company_id=101, field_name="Total Spent").outcome == Outcome.APPLIED


def test_rollback_needs_its_permission_and_an_applied_set(fake, staff_user, second_staff_user):
    clerk = get_user_model().objects.create_user("carol", is_staff=True)
    change_set = _approved(fake, staff_user, second_staff_user)
    with pytest.raises(ChangeSetStateConflict):
        change_set_rollback_build(change_set=change_set, user=staff_user)
    change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    with pytest.raises(ChangeSetPermissionDenied):
        change_set_rollback_build(change_set=change_set, user=clerk)
    first = change_set_rollback_build(change_set=change_set, user=staff_user)
    assert change_set_rollback_build(change_set=change_set, user=staff_user) == first, "asked twice: one set"
    change_set_approve(change_set=first, user=second_staff_user)
    change_set_apply(change_set=first, client=fake, user=second_staff_user)
    with pytest.raises(ChangeSetStateConflict):
        change_set_rollback_build(change_set=change_set, user=staff_user)
    with pytest.raises(ChangeSetStateConflict):
        change_set_rollback_build(change_set=first, user=staff_user)


def test_a_rejected_rollback_can_be_asked_for_again(
    fake, staff_user, second_staff_user
):
    change_set = _applied(fake, staff_user, second_staff_user)
    first = change_set_rollback_build(change_set=change_set, user=staff_user)
    change_set_reject(change_set=first, user=second_staff_user, reason="Not yet")
    second = change_set_rollback_build(change_set=change_set, user=staff_user)
    assert second != first and second.status == ChangeSet.Status.BUILT


def test_the_rollback_runner_only_builds_the_rollback_set(fake, staff_user, second_staff_user, monkeypatch):
    from syncs.services.runs import sync_run_execute, sync_run_start

    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    monkeypatch.setattr(changesets, "_client", lambda: fake)
    change_set = _applied(fake, staff_user, second_staff_user)
    fake.puts.clear()
    run = sync_run_start(
        kind=SyncRun.Kind.METRICS_ROLLBACK, user=staff_user, options={"change_set_id": change_set.pk}
    )
    run = sync_run_execute(run_id=run.pk)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    rollback = ChangeSet.objects.get(rollback_of=change_set)
    assert run.counts["change_set_id"] == rollback.pk
    assert rollback.status == ChangeSet.Status.BUILT and fake.puts == []
    assert fake.value(102, "Total Spent") == 600.0
    assert "awaits approval by a second person" in run.message
