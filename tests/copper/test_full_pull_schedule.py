"""The scheduled full reconciliation: a normal recorded run, daily by default, the one that finds deletions."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from copper.models import CopperCompany
from copper.tasks import copper_full_pull_scheduled
from syncs.models import SyncRun
from syncs.services.runs import sync_run_execute

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "task")


def succeeded_full_pull(*, hours_ago):
    started = timezone.now() - timedelta(hours=hours_ago)
    return SyncRun.objects.create(
        kind=SyncRun.Kind.COPPER_PULL, status=SyncRun.Status.SUCCEEDED, started_at=started,
        finished_at=started + timedelta(minutes=5), options={"full": True},
    )  # fmt: skip


def test_a_migration_creates_the_hourly_schedule_that_asks_whether_a_full_pull_is_due():
    schedule = Schedule.objects.get(name="copper-full-pull")
    assert schedule.func == "copper.tasks.copper_full_pull_scheduled"
    assert schedule.schedule_type == Schedule.HOURLY
    assert schedule.repeats == -1


def test_the_scheduled_task_queues_a_recorded_full_pull_marked_as_scheduled():
    run_id = copper_full_pull_scheduled()
    run = SyncRun.objects.get(pk=run_id)
    assert (run.kind, run.status) == (SyncRun.Kind.COPPER_PULL, SyncRun.Status.QUEUED)
    assert run.options == {"full": True, "trigger": "schedule"}
    assert run.started_by is None


def test_a_full_pull_is_started_once_a_day_by_default_and_at_the_interval_the_setting_names(settings):
    succeeded_full_pull(hours_ago=2)
    assert copper_full_pull_scheduled() is None
    settings.COPPER_FULL_PULL_EVERY_HOURS = 2
    assert copper_full_pull_scheduled() is not None


def test_a_day_old_full_pull_makes_the_next_one_due_and_zero_turns_the_schedule_off(settings):
    succeeded_full_pull(hours_ago=23.6)
    settings.COPPER_FULL_PULL_EVERY_HOURS = 0
    assert copper_full_pull_scheduled() is None
    settings.COPPER_FULL_PULL_EVERY_HOURS = 24
    assert copper_full_pull_scheduled() is not None


def test_while_another_pull_is_active_the_schedule_waits_for_the_next_hour():
    SyncRun.objects.create(kind=SyncRun.Kind.COPPER_PULL, status=SyncRun.Status.RUNNING)
    assert copper_full_pull_scheduled() is None
    assert SyncRun.objects.filter(kind=SyncRun.Kind.COPPER_PULL).count() == 1


def test_the_scheduled_pull_finds_a_company_deleted_in_copper_and_keeps_its_row(
    copper_sandbox_settings, settings
):
    settings.COPPER_RATE_LIMIT_PER_MINUTE = 0
    first = sync_run_execute(run_id=copper_full_pull_scheduled())
    assert first.status == SyncRun.Status.SUCCEEDED, first.message
    gone = copper_sandbox_settings.company_ids()[0]
    copper_sandbox_settings.company_delete(gone)
    SyncRun.objects.filter(pk=first.pk).update(started_at=first.started_at - timedelta(hours=24))
    run = sync_run_execute(run_id=copper_full_pull_scheduled())
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert run.counts["marked_missing"] == 1
    assert "1 newly missing from Copper" in run.message
    assert CopperCompany.objects.get(pk=gone).missing_from_copper_since is not None
