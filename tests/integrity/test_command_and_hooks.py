"""``integrity_check`` for cron, the report after every sync, the INTEGRITY run and the hourly schedule."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from integrity.models import IntegrityReport, State
from syncs.models import SyncRun
from syncs.services.runs import sync_run_execute, sync_run_start
from tests.integrity.conftest import company, customer
from tests.syncs.helpers import install_runner

pytestmark = pytest.mark.django_db


@pytest.fixture
def gap_world(settings, fresh_syncs, rep):
    settings.INTEGRITY_THRESHOLDS = {"customer_gap": {"warning": 1, "critical": 2}}
    return company("Alpha", "1"), company("Beta", "2")


def _run(*args):
    out = StringIO()
    try:
        call_command("integrity_check", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_integrity_check_prints_each_state_and_fails_on_critical(gap_world):
    code, output = _run("--fail-on", "critical")
    assert code == 2
    assert "CRITICAL          2  customer_gap" in output
    assert "Chain: 0 Fishbowl customers, 2 active Copper companies with an id, 0 matched" in output
    assert IntegrityReport.objects.count() == 1


def test_integrity_check_exits_zero_once_the_gap_is_closed(gap_world):
    alpha, beta = gap_world
    customer("1", linked_to=alpha)
    customer("2", linked_to=beta)
    code, output = _run("--fail-on", "critical")
    assert code == 0
    assert "OK                0  customer_gap" in output


def test_fail_on_warning_also_fails_on_warnings(gap_world):
    customer("1", linked_to=gap_world[0])
    assert _run("--fail-on", "critical")[0] == 0
    assert _run("--fail-on", "warning")[0] == 2
    assert _run()[0] == 0  # without --fail-on, cron gets success


def test_a_report_is_stored_after_a_successful_pull_and_linked_to_it(monkeypatch, fresh_syncs):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    install_runner(monkeypatch, kind=SyncRun.Kind.COPPER_PULL, runner=noop)
    run = sync_run_start(kind=SyncRun.Kind.COPPER_PULL)
    sync_run_execute(run_id=run.pk)
    report = IntegrityReport.objects.get()
    assert report.run_id == run.pk
    assert report.trigger == IntegrityReport.Trigger.AFTER_RUN


def noop(*, run, progress):
    progress.add(processed=1)


def fail(*, run, progress):
    raise RuntimeError("Copper said no")


def test_no_report_after_a_failed_run_or_a_run_of_another_kind(monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    install_runner(monkeypatch, kind=SyncRun.Kind.COPPER_PULL, runner=fail)
    install_runner(monkeypatch, kind=SyncRun.Kind.COMMISSIONS, runner=noop)
    sync_run_execute(run_id=sync_run_start(kind=SyncRun.Kind.COPPER_PULL).pk)
    sync_run_execute(run_id=sync_run_start(kind=SyncRun.Kind.COMMISSIONS).pk)
    assert not IntegrityReport.objects.exists()


def test_an_integrity_failure_never_breaks_the_sync_that_triggered_it(monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    install_runner(monkeypatch, kind=SyncRun.Kind.CUSTOMER_SYNC, runner=noop)

    def broken(**kwargs):
        raise RuntimeError("integrity exploded")

    monkeypatch.setattr("integrity.services.integrity_report_create", broken)
    run = sync_run_execute(run_id=sync_run_start(kind=SyncRun.Kind.CUSTOMER_SYNC).pk)
    assert run.status == SyncRun.Status.SUCCEEDED


def test_the_integrity_run_stores_a_report_linked_to_it(monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    run = sync_run_start(kind=SyncRun.Kind.INTEGRITY, options={"trigger": "on_demand"})
    run = sync_run_execute(run_id=run.pk)
    assert run.status == SyncRun.Status.SUCCEEDED
    report = IntegrityReport.objects.get(run=run)
    assert report.trigger == IntegrityReport.Trigger.ON_DEMAND
    assert run.processed == report.results.count()
    assert report.state in State.values


def test_the_hourly_schedule_is_created_by_a_migration():
    schedule = Schedule.objects.get(name="integrity-checks-hourly")
    assert schedule.func == "integrity.tasks.integrity_report_scheduled"
    assert schedule.schedule_type == Schedule.HOURLY


def test_the_scheduled_task_stores_a_scheduled_report():
    from integrity.tasks import integrity_report_scheduled

    report = IntegrityReport.objects.get(pk=integrity_report_scheduled())
    assert report.trigger == IntegrityReport.Trigger.SCHEDULE


def test_only_the_newest_reports_are_kept(settings):
    from integrity.services import integrity_report_create

    settings.INTEGRITY_REPORTS_KEEP = 2
    reports = [integrity_report_create() for _ in range(4)]
    assert list(IntegrityReport.objects.order_by("id").values_list("pk", flat=True)) == [
        r.pk for r in reports[-2:]
    ]
