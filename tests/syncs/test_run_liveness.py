"""Runs whose worker died are freed within minutes, live runs never are, starts never fail with a database
error, and a follow-up that meets a busy kind waits instead of being dropped."""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from customers.services.sync import customer_sync_after_pull
from syncs.models import SyncRun
from syncs.services import runs
from syncs.services.runs import (
    SyncRunAlreadyActive,
    SyncRunPermissionDenied,
    sync_run_cancel,
    sync_run_execute,
    sync_run_start,
    sync_runs_reap,
)
from syncs.tasks import sync_runs_reap_task
from tests.syncs.helpers import install_runner

Kind = SyncRun.Kind
Status = SyncRun.Status


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "task")


def dead_run(kind=Kind.COPPER_PULL, seconds_ago=600) -> SyncRun:
    """A run left 'running' by a worker killed ``seconds_ago`` (its heartbeat stopped then)."""
    beat = timezone.now() - timedelta(seconds=seconds_ago)
    return SyncRun.objects.create(kind=kind, status=Status.RUNNING, started_at=beat, heartbeat_at=beat)


@pytest.mark.django_db
def test_the_scheduled_reaper_fails_a_run_whose_worker_died_and_says_why(settings):
    settings.SYNC_RUN_STALE_AFTER_SECONDS = 120
    run = dead_run(seconds_ago=130)
    assert sync_runs_reap_task() == 1
    run.refresh_from_db()
    assert run.status == Status.FAILED and run.finished_at is not None
    assert "stopped renewing this run's heartbeat" in run.message


@pytest.mark.django_db
def test_a_start_frees_the_kind_of_a_dead_run_and_starts_at_once(settings):
    settings.SYNC_RUN_STALE_AFTER_SECONDS = 120
    dead = dead_run(seconds_ago=121)
    run = sync_run_start(kind=Kind.COPPER_PULL)
    assert run.status == Status.QUEUED
    dead.refresh_from_db()
    assert dead.status == Status.FAILED


@pytest.mark.django_db
def test_a_run_whose_heartbeat_is_recent_is_never_reaped(settings):
    settings.SYNC_RUN_STALE_AFTER_SECONDS = 120
    live = dead_run(seconds_ago=30)
    assert sync_runs_reap() == 0
    with pytest.raises(SyncRunAlreadyActive):
        sync_run_start(kind=Kind.COPPER_PULL)
    live.refresh_from_db()
    assert live.status == Status.RUNNING


@pytest.mark.django_db(transaction=True)
def test_a_run_that_waits_longer_than_the_stale_limit_on_a_slow_copper_stays_alive(settings, monkeypatch):
    """The worker's timer renews the heartbeat while the runner blocks (no progress flush for 3 s): the
    reaper, running meanwhile with a 1 s limit, never fails it."""
    settings.SYNC_RUN_HEARTBEAT_SECONDS = 0.2
    settings.SYNC_RUN_STALE_AFTER_SECONDS = 1
    reaped = []

    def waits_on_copper(*, run, progress):
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            time.sleep(0.5)
            reaped.append(sync_runs_reap())  # the scheduled reaper, while the run sits in a slow request

    install_runner(monkeypatch, kind=Kind.COPPER_PULL, runner=waits_on_copper)
    run = sync_run_execute(run_id=sync_run_start(kind=Kind.COPPER_PULL).pk)
    assert run.status == Status.SUCCEEDED
    assert reaped and not any(reaped)


@pytest.mark.django_db
def test_cancel_ends_a_run_whose_worker_is_gone_at_once(settings, staff_user):
    settings.SYNC_RUN_HEARTBEAT_SECONDS = 30
    run = dead_run(seconds_ago=90)
    run = sync_run_cancel(run=run, user=staff_user)
    assert run.status == Status.CANCELLED and run.finished_at is not None
    assert "ended at once" in run.message
    assert sync_run_start(kind=Kind.COPPER_PULL).status == Status.QUEUED


@pytest.mark.django_db
def test_cancel_of_a_live_running_run_asks_it_to_stop_between_batches(settings, staff_user):
    settings.SYNC_RUN_HEARTBEAT_SECONDS = 30
    run = sync_run_cancel(run=dead_run(seconds_ago=5), user=staff_user)
    assert run.status == Status.RUNNING and run.cancel_requested


@pytest.mark.django_db
def test_a_start_that_meets_a_run_just_ending_retries_instead_of_raising(monkeypatch):
    """The insert collides with a run that has ended by the time we look: the kind is free, so we insert again."""
    real_create = SyncRun.objects.create
    collisions = []

    def create(**fields):
        if not collisions:
            collisions.append(1)
            raise IntegrityError("UNIQUE constraint failed: syncs_syncrun.kind")
        return real_create(**fields)

    monkeypatch.setattr(SyncRun.objects, "create", create)
    run = sync_run_start(kind=Kind.INTEGRITY)
    assert collisions == [1] and run.status == Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_of_one_kind_give_one_run_and_clear_refusals_never_a_database_error():
    outcomes = []

    def start():
        try:
            outcomes.append(sync_run_start(kind=Kind.INTEGRITY).pk)
        except SyncRunAlreadyActive as exc:
            outcomes.append(("busy", exc.run.pk))
        except Exception as exc:  # what the issue saw: IntegrityError as a 500
            outcomes.append(("error", repr(exc)))
        finally:
            from django.db import connection  # this thread's own connection

            connection.close()

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not [o for o in outcomes if isinstance(o, tuple) and o[0] == "error"], outcomes
    assert SyncRun.objects.filter(kind=Kind.INTEGRITY).count() == 1


@pytest.mark.django_db
def test_a_pulls_customer_sync_waits_behind_a_queued_dry_run_and_starts_when_it_ends(settings, monkeypatch):
    settings.CUSTOMER_SYNC_AFTER_PULL = True
    install_runner(monkeypatch, kind=Kind.CUSTOMER_SYNC, runner=lambda *, run, progress: None)
    dry_run = sync_run_start(kind=Kind.CUSTOMER_SYNC, options={"apply": False})
    pull = SyncRun.objects.create(kind=Kind.COPPER_PULL, status=Status.SUCCEEDED)

    follow_up = customer_sync_after_pull(run=pull)
    assert follow_up.status == Status.WAITING and follow_up.options == {"apply": True}
    assert follow_up.parent == pull
    # A second pull finishing meanwhile joins the same waiting sync.
    assert customer_sync_after_pull(run=SyncRun.objects.create(kind=Kind.COPPER_PULL, status=Status.SUCCEEDED)) == follow_up

    sync_run_execute(run_id=dry_run.pk)
    follow_up.refresh_from_db()
    assert follow_up.status == Status.QUEUED
    assert sync_run_execute(run_id=follow_up.pk).status == Status.SUCCEEDED


@pytest.mark.django_db
def test_a_queued_applying_sync_takes_the_pulls_follow_up_instead_of_a_second_one(settings):
    settings.CUSTOMER_SYNC_AFTER_PULL = True
    queued = sync_run_start(kind=Kind.CUSTOMER_SYNC, options={"apply": True})
    pull = SyncRun.objects.create(kind=Kind.COPPER_PULL, status=Status.SUCCEEDED)
    assert customer_sync_after_pull(run=pull) == queued
    assert SyncRun.objects.filter(kind=Kind.CUSTOMER_SYNC).count() == 1
    pull.refresh_from_db()
    assert pull.counts["customer_sync_run"] == queued.pk


@pytest.mark.django_db
def test_a_successful_run_executes_its_declared_follow_ups_in_order(settings, monkeypatch):
    """The pull's follow-ups come from copperhub/apps.py: the customer sync, then the integrity report."""
    settings.CUSTOMER_SYNC_AFTER_PULL = True
    install_runner(monkeypatch, kind=Kind.COPPER_PULL, runner=lambda *, run, progress: None)
    pull = sync_run_execute(run_id=sync_run_start(kind=Kind.COPPER_PULL).pk)
    assert SyncRun.objects.get(kind=Kind.CUSTOMER_SYNC).parent_id == pull.pk
    assert pull.integrity_reports.exists()


@pytest.mark.django_db
def test_one_permission_per_kind_is_enforced_by_the_service_itself():
    clerk = get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="start_syncrun"))
    with pytest.raises(SyncRunPermissionDenied, match="commissions.calculate_commissions"):
        sync_run_start(kind=Kind.COMMISSIONS, user=clerk, options={"month": "2026-01"})
    assert sync_run_start(kind=Kind.COPPER_PULL, user=get_user_model().objects.get(pk=clerk.pk)).pk


@pytest.mark.django_db
def test_the_dashboards_commission_button_needs_the_commission_permission_like_the_report_and_api(client):
    clerk = get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["start_syncrun", "view_syncrun"]))
    client.force_login(clerk)
    dashboard = client.get(reverse("admin:syncs_syncrun_dashboard")).content.decode()
    card = dashboard.split('id="sync-card-commissions"')[1].split("</section>")[0]
    assert 'value="commissions"' not in card and "commissions.calculate_commissions" in card
    response = client.post(reverse("admin:syncs_syncrun_start"), {"button": "commissions", "month": "2026-01"})
    assert response.status_code == 403
    assert not SyncRun.objects.filter(kind=Kind.COMMISSIONS).exists()
    assert runs.sync_run_permission(kind=Kind.COMMISSIONS) == "commissions.calculate_commissions"
