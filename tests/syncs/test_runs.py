"""The life cycle of a sync run: queued before the task, one per kind, cancellable, failures recorded."""

import pytest

from syncs.models import SyncRun
from syncs.progress import Progress
from syncs.services.runs import SyncRunAlreadyActive, sync_run_cancel, sync_run_execute, sync_run_start
from tests.syncs.helpers import install_runner

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_runner(monkeypatch):
    calls = []

    def runner(*, run, progress):
        calls.append(run.pk)
        progress.step("Counting", total=3)
        progress.add(processed=3, created=2, unchanged=1)

    install_runner(monkeypatch, kind=SyncRun.Kind.COPPER_PULL, runner=runner)
    return calls



def test_a_started_run_exists_as_queued_before_any_worker_picks_it_up(
    staff_user, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: queued.append((a, k["run_id"])) or "task-1")
    with django_capture_on_commit_callbacks(execute=True):
        run = sync_run_start(kind=SyncRun.Kind.COPPER_PULL, user=staff_user)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.QUEUED
    assert run.started_by == staff_user
    assert queued == [((sync_run_execute,), run.pk)]
    assert run.task_id == "task-1"


def test_a_second_run_of_the_same_kind_is_refused_while_one_is_active(monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    first = sync_run_start(kind=SyncRun.Kind.COPPER_PULL)
    with pytest.raises(SyncRunAlreadyActive, match=f"run #{first.pk}"):
        sync_run_start(kind=SyncRun.Kind.COPPER_PULL)
    # Another kind may run alongside.
    sync_run_start(kind=SyncRun.Kind.CUSTOMER_SYNC)


def test_executing_a_run_records_its_counts_and_success(fake_runner, monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    run = sync_run_start(kind=SyncRun.Kind.COPPER_PULL)
    sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.step, run.total, run.processed, run.created, run.unchanged) == ("Counting", 3, 3, 2, 1)
    assert run.finished_at is not None
    # Delivered twice by the broker: the second delivery does nothing.
    assert sync_run_execute(run_id=run.pk) is None
    assert fake_runner == [run.pk]


def test_a_failing_runner_ends_the_run_as_failed_with_its_message(monkeypatch):
    def boom(*, run, progress):
        raise RuntimeError("Copper said no")

    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    install_runner(monkeypatch, kind=SyncRun.Kind.COPPER_PULL, runner=boom)
    run = sync_run_start(kind=SyncRun.Kind.COPPER_PULL)
    sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert "Copper said no" in run.message


def test_cancelling_a_queued_run_stops_it_before_it_starts(staff_user, monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    run = sync_run_start(kind=SyncRun.Kind.COPPER_PULL)
    sync_run_cancel(run=run, user=staff_user)
    assert run.status == SyncRun.Status.CANCELLED
    assert sync_run_execute(run_id=run.pk) is None


def test_cancelling_a_running_run_stops_it_between_batches(monkeypatch):
    def long_job(*, run, progress):
        progress.step("Working", total=10)
        for _ in range(10):
            progress.add(processed=1)
            SyncRun.objects.filter(pk=run.pk).update(cancel_requested=True)
            progress._last_cancel_check = 0  # the check is rate-limited; force it for the test
            progress.check_cancelled()

    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    install_runner(monkeypatch, kind=SyncRun.Kind.COPPER_PULL, runner=long_job)
    run = sync_run_start(kind=SyncRun.Kind.COPPER_PULL)
    sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.CANCELLED
    assert run.processed == 1


def test_the_run_log_is_bounded(settings, monkeypatch):
    settings.SYNC_RUN_LOG_LIMIT = 5
    run = SyncRun.objects.create(kind=SyncRun.Kind.CUSTOMER_SYNC, status=SyncRun.Status.RUNNING)
    progress = Progress(run)
    for i in range(8):
        progress.log(level="error", message=f"row {i} is bad", record=str(i))
    progress.flush()
    assert run.log_entries.count() == 5
    run.refresh_from_db()
    assert run.counts["log_entries_dropped"] == 3
