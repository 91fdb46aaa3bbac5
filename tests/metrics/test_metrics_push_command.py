"""``manage.py metrics_push``: a dry run from the command line, and ``--apply-approved ID``."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from metrics.models import ChangeSet, FieldMapping
from metrics.services import changesets
from metrics.services.changesets import change_set_approve, change_set_rollback_build
from tests.metrics.metrics_world import FakeCopper, date_to_unix, mappings_create, world_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake(monkeypatch):
    companies = world_create()
    mappings_create()
    fake = FakeCopper(list(companies.values()))
    monkeypatch.setattr(changesets, "_client", lambda: fake)
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    return fake


def test_the_command_builds_a_dry_run_and_prints_counts_and_flagged_changes(fake, staff_user):
    import datetime as dt

    fake.edit(102, "Last Order Date", date_to_unix(dt.date(2026, 12, 1)))
    out = StringIO()
    call_command("metrics_push", "--user", "alice", stdout=out)
    change_set = ChangeSet.objects.get()
    text = out.getvalue()
    assert f"Built change set #{change_set.pk}" in text
    assert f"  changes: {change_set.counts['changes']}" in text
    assert "Birch Market (102) Last Order Date: 2026-12-01 → 2026-05-01 [date_backwards]" in text
    assert change_set.built_by == staff_user
    assert fake.puts == []


def test_the_command_refuses_an_invalid_mapping_with_its_message(fake, staff_user):
    FieldMapping.objects.filter(metric="total_orders").update(copper_field="Active Customer")
    with pytest.raises(CommandError, match='Copper field "Active Customer" is protected'):
        call_command("metrics_push", "--user", "alice", stdout=StringIO())
    assert not ChangeSet.objects.exists()


def test_apply_approved_applies_in_process_and_refuses_an_unapproved_set(fake, staff_user, second_staff_user):
    call_command("metrics_push", "--user", "alice", stdout=StringIO())
    change_set = ChangeSet.objects.get()
    with pytest.raises(CommandError, match="only an approved set can be applied"):
        call_command("metrics_push", "--apply-approved", str(change_set.pk), "--user", "bob", stdout=StringIO())
    change_set_approve(change_set=change_set, user=second_staff_user)
    out = StringIO()
    call_command("metrics_push", "--apply-approved", str(change_set.pk), "--user", "bob", stdout=out)
    change_set.refresh_from_db()
    assert change_set.status == ChangeSet.Status.APPLIED
    assert "13 applied, 0 stale (kept), 0 failed" in out.getvalue()
    assert len(fake.puts) == 3


def test_apply_approved_exits_non_zero_when_copper_refuses_changes(fake, staff_user, second_staff_user):
    call_command("metrics_push", "--user", "alice", stdout=StringIO())
    change_set = ChangeSet.objects.get()
    change_set_approve(change_set=change_set, user=second_staff_user)
    fake.reject[101] = "Invalid input: Validation errors: Total Spent: is invalid"
    with pytest.raises(CommandError, match="Copper refused 6 change"):
        call_command("metrics_push", "--apply-approved", str(change_set.pk), "--user", "bob", stdout=StringIO())


def test_the_command_needs_a_named_builder_so_nobody_approves_their_own_set_unseen(fake, staff_user):
    with pytest.raises(CommandError, match="--user"):
        call_command("metrics_push", stdout=StringIO())
    with pytest.raises(CommandError, match="no active user named 'nobody'"):
        call_command("metrics_push", "--user", "nobody", stdout=StringIO())
    assert not ChangeSet.objects.exists()


def test_apply_approved_applies_a_rollback_set_only_once_a_second_person_approved_it(
    fake, staff_user, second_staff_user
):
    call_command("metrics_push", "--user", "alice", stdout=StringIO())
    original = change_set_approve(change_set=ChangeSet.objects.get(), user=second_staff_user)
    call_command("metrics_push", "--apply-approved", str(original.pk), "--user", "bob", stdout=StringIO())
    rollback = change_set_rollback_build(change_set=original, user=staff_user)
    with pytest.raises(CommandError, match="only an approved set can be applied"):
        call_command("metrics_push", "--apply-approved", str(rollback.pk), "--user", "alice", stdout=StringIO())
    assert fake.value(102, "Total Spent") == 600.0
    change_set_approve(change_set=rollback, user=second_staff_user)
    out = StringIO()
    call_command("metrics_push", "--apply-approved", str(rollback.pk), "--user", "bob", stdout=out)
    assert f"Rollback change set #{rollback.pk} applied: 13 applied" in out.getvalue()
    assert fake.value(102, "Total Spent") == 500.0
    original.refresh_from_db()
    assert original.status == ChangeSet.Status.ROLLED_BACK
