"""Dates in the account's timezone, the mirror after an apply or a rollback, and a resumed apply's run."""

import datetime as dt

import pytest

from copper.errors import CopperRateLimited
from copper.models import CopperCompany
from integrity.models import CheckResultRecord, IntegrityReport
from metrics.models import Change, ChangeSet
from metrics.services import changesets
from metrics.services.changesets import (
    ChangeSetInvalidMapping,
    change_set_apply,
    change_set_approve,
    change_set_build,
    change_set_rollback_build,
)
from metrics.services.field_mapping import field_mapping_validate, field_mapping_warnings
from metrics.values import date_to_unix, unix_to_date
from syncs.models import SyncRun
from tests.metrics.metrics_world import AS_OF, FakeCopper, mappings_create, world_create

pytestmark = pytest.mark.django_db
Outcome = Change.Outcome
RECORDED_2025_08_01 = 1754031600  # the recorded real payload: 00:00 US Pacific


@pytest.fixture
def world():
    companies = world_create()
    mappings_create()
    return companies


@pytest.fixture
def fake(world):
    return FakeCopper(list(world.values()))


def _approved(fake, builder, approver):
    return change_set_approve(
        change_set=change_set_build(client=fake, user=builder, as_of=AS_OF), user=approver
    )


def _run(kind, user, change_set, monkeypatch, fake):
    from syncs.services.runs import sync_run_execute, sync_run_start

    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    monkeypatch.setattr(changesets, "_client", lambda: fake)
    run = sync_run_start(kind=kind, user=user, options={"change_set_id": change_set.pk})
    return sync_run_execute(run_id=run.pk)


# --- dates ----------------------------------------------------------------------------------------------
def test_a_date_is_written_at_local_midnight_of_copper_timezone_and_read_back_as_the_same_day():
    assert date_to_unix(dt.date(2025, 8, 1)) == RECORDED_2025_08_01
    assert unix_to_date(RECORDED_2025_08_01) == dt.date(2025, 8, 1)
    assert date_to_unix(dt.date(2025, 8, 1)) != 1754006400, "not UTC midnight (a day early in California)"


def test_the_apply_writes_dates_at_local_midnight(fake, staff_user, second_staff_user, settings):
    settings.COPPER_TIMEZONE = "America/New_York"
    change_set_apply(
        change_set=_approved(fake, staff_user, second_staff_user), client=fake, user=second_staff_user
    )
    written = fake.value(101, "First Order Date")
    local = dt.datetime.fromtimestamp(written, tz=dt.timezone(dt.timedelta(hours=-5)))
    assert (local.date(), local.time()) == (dt.date(2025, 3, 1), dt.time(0, 0))
    assert unix_to_date(written) == dt.date(2025, 3, 1)


def test_a_date_mapping_is_refused_until_copper_timezone_is_set(world, settings):
    settings.COPPER_TIMEZONE = ""
    problems = [p for p in field_mapping_validate() if p.code == "timezone_required"]
    assert {p.field for p in problems} == {"First Order Date", "Last Order Date"}
    assert all("COPPER_TIMEZONE" in p.message for p in problems)
    with pytest.raises(ChangeSetInvalidMapping, match="COPPER_TIMEZONE"):
        change_set_build(client=FakeCopper(list(world.values())), user=None)


def test_the_mapping_check_warns_when_dates_in_copper_are_not_at_local_midnight(world, settings):
    assert field_mapping_warnings() == []  # Birch's Last Order Date sits at Pacific midnight
    birch = CopperCompany.objects.get(pk=102)
    birch.custom_fields = [
        {**e, "value": 1754006400} if e["custom_field_definition_id"] == 9013 else e
        for e in birch.custom_fields
    ]
    birch.save()
    [warning] = field_mapping_warnings()
    assert (warning.code, warning.field) == ("date_not_at_midnight", "Last Order Date")
    assert "1 value" in warning.message and "Birch Market" in warning.message
    assert "America/Los_Angeles" in warning.message
    assert field_mapping_validate() == [], "a warning does not block the push"


# --- the mirror after writing ---------------------------------------------------------------------------
def test_the_mirror_holds_what_copper_answered_after_an_apply(fake, staff_user, second_staff_user):
    change_set = _approved(fake, staff_user, second_staff_user)
    change_set_apply(change_set=change_set, client=fake, user=second_staff_user)
    for company_id, record in fake.companies.items():
        row = CopperCompany.objects.get(pk=company_id)
        assert row.custom_fields == record["custom_fields"]
        assert row.history.first().history_change_reason.startswith(f"metrics apply of {change_set}")
        assert row.history.first().history_user == second_staff_user


def test_no_integrity_alarm_right_after_a_push_nor_after_its_rollback(
    fake, staff_user, second_staff_user, monkeypatch
):
    change_set = _approved(fake, staff_user, second_staff_user)
    applied = _run(SyncRun.Kind.METRICS_APPLY, second_staff_user, change_set, monkeypatch, fake)
    assert applied.status == SyncRun.Status.SUCCEEDED, applied.message
    after_apply = CheckResultRecord.objects.get(report__run=applied, check_name="copper_metrics")
    assert after_apply.numbers["values_disagreeing"] == 0, after_apply.findings

    # The rollback: alice asks for it, bob approves it, and it is applied like any set.
    rollback = change_set_approve(
        change_set=change_set_rollback_build(change_set=change_set, user=staff_user), user=second_staff_user
    )
    rolled = _run(SyncRun.Kind.METRICS_APPLY, second_staff_user, rollback, monkeypatch, fake)
    assert rolled.status == SyncRun.Status.SUCCEEDED, rolled.message
    assert IntegrityReport.objects.filter(run=rolled).exists(), "a rollback stores an integrity report too"
    for company_id, record in fake.companies.items():
        assert CopperCompany.objects.get(pk=company_id).custom_fields == record["custom_fields"]


# --- a resumed apply ------------------------------------------------------------------------------------
def test_a_resumed_apply_points_at_the_run_that_finished_it_with_true_counts(
    fake, staff_user, second_staff_user, monkeypatch, settings
):
    settings.METRICS_BATCH_SIZE = 1
    change_set = _approved(fake, staff_user, second_staff_user)
    real_update = fake.company_update

    def dies_at_birch(company_id, body):
        if company_id == 102:
            raise CopperRateLimited("429 after every retry", status=429)
        return real_update(company_id, body)

    fake.company_update = dies_at_birch
    first = _run(SyncRun.Kind.METRICS_APPLY, second_staff_user, change_set, monkeypatch, fake)
    assert first.status == SyncRun.Status.FAILED
    change_set.refresh_from_db()
    assert (change_set.status, change_set.apply_run) == (ChangeSet.Status.APPLYING, first)

    fake.company_update = real_update
    fake.puts.clear()
    second = _run(SyncRun.Kind.METRICS_APPLY, second_staff_user, change_set, monkeypatch, fake)
    assert second.status == SyncRun.Status.SUCCEEDED, second.message
    change_set.refresh_from_db()
    assert change_set.apply_run == second
    assert change_set.counts["apply_runs"] == [first.pk, second.pk]
    assert (
        change_set.counts["outcome_applied"]
        == 13
        == change_set.changes.filter(outcome=Outcome.APPLIED).count()
    )
    assert second.counts["copper_puts"] == len(fake.puts) == 2, "the finishing run counts what it sent"
    assert "13 applied" in second.message
    reasons = list(change_set.history.values_list("history_change_reason", flat=True))
    assert f"apply resumed by run #{second.pk} (run #{first.pk} stopped)" in reasons
