"""The admin's sync pages: a run's progress page and its JSON, the dashboard's start buttons, cancel."""

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from syncs.models import SyncRun, SyncRunLog
from syncs.services.runs import sync_run_execute

pytestmark = pytest.mark.django_db

Kind = SyncRun.Kind
Status = SyncRun.Status


def progress_url(run):
    return reverse("admin:syncs_syncrun_progress", args=[run.pk])


def json_url(run):
    return reverse("admin:syncs_syncrun_progress_json", args=[run.pk])


def staff_with(*codenames):
    """A staff user (not a superuser) holding only the named syncs permissions."""
    user = get_user_model().objects.create_user("carol", "carol@example.com", "carol-password", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="syncs", codename__in=codenames)
    )
    return user


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def queued_tasks(monkeypatch):
    """Tasks handed to the broker, each with the status its run had at that moment."""
    queued = []

    def async_task(func, *args, **kwargs):
        run_id = kwargs["run_id"]
        queued.append((func, run_id, SyncRun.objects.get(pk=run_id).status))
        return f"task-{run_id}"

    monkeypatch.setattr("syncs.queue.async_task", async_task)
    return queued


def running_run(**fields):
    started = timezone.now() - timedelta(seconds=10)
    values = {
        "kind": Kind.COPPER_PULL,
        "status": Status.RUNNING,
        "step": "Companies",
        "total": 1000,
        "processed": 250,
        "created": 200,
        "updated": 40,
        "unchanged": 10,
        "counts": {"requests": 3, "rate_limited": 1},
        "started_at": started,
        "step_started_at": started,
        "heartbeat_at": timezone.now(),
    }
    values.update(fields)
    return SyncRun.objects.create(**values)


def visible_text(page: str) -> str:
    """What a person reads: the page without scripts, styles, tags and attributes."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the progress page and its JSON ------------------------------------------------------------------------


def test_the_progress_page_of_a_queued_run_shows_it_waiting_and_polls_its_json(staff_client):
    run = SyncRun.objects.create(kind=Kind.COPPER_PULL, step="Waiting for a worker")
    response = staff_client.get(progress_url(run))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Waiting for a worker" in page
    assert 'class="sync-badge sync-badge-queued">Queued<' in page
    assert 'role="progressbar"' in page
    embedded = page.split('<script id="sync-progress-data" type="application/json">')[1].split("</script>")[0]
    data = json.loads(embedded)
    assert data["json_url"] == json_url(run)
    assert data["snapshot"]["is_active"] is True
    # Just queued: no "is a worker running?" hint yet.
    assert 'id="sp-hint" class="sync-warning" hidden' in page
    # Nothing on the page loads from the network.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_a_run_queued_for_long_tells_the_user_to_check_the_worker(staff_client):
    run = SyncRun.objects.create(kind=Kind.COPPER_PULL, step="Waiting for a worker")
    SyncRun.objects.filter(pk=run.pk).update(queued_at=timezone.now() - timedelta(seconds=30))
    page = staff_client.get(progress_url(run)).content.decode()
    assert "No worker has picked this up yet" in page
    assert 'id="sp-hint" class="sync-warning" hidden' not in page
    assert staff_client.get(json_url(run)).json()["waiting_seconds"] >= 30


def test_the_json_gives_percent_eta_and_counts_of_a_running_run_and_is_never_cached(staff_client):
    run = running_run()
    SyncRunLog.objects.create(run=run, level="error", code="bad_row", record="Acme", message="No name")
    response = staff_client.get(json_url(run))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert (data["status"], data["step"], data["processed"], data["total"]) == (
        "running",
        "Companies",
        250,
        1000,
    )
    assert data["percent"] == 25.0
    # 250 records in 10 s: 25/s, so the 750 left take about 30 s.
    assert 20 <= data["rate_per_second"] <= 26
    assert 28 <= data["eta_seconds"] <= 38
    assert (data["created"], data["updated"], data["unchanged"]) == (200, 40, 10)
    assert data["counts"] == {"requests": 3, "rate_limited": 1}
    assert data["is_active"] is True
    assert [(e["level"], e["record"], e["message"]) for e in data["log"]] == [("error", "Acme", "No name")]
    # Polls ask only for entries they have not seen.
    assert staff_client.get(json_url(run), {"after": data["log"][0]["id"]}).json()["log"] == []


def test_the_progress_page_lists_the_runs_log_and_kind_specific_counts(staff_client):
    run = running_run()
    SyncRunLog.objects.create(
        run=run, level="conflict", code="owner", record="Acme Ltd", message="Two owners"
    )
    page = staff_client.get(progress_url(run)).content.decode()
    assert "Acme Ltd" in page and "Two owners" in page
    assert "Times Copper asked to slow down" in page and "Requests to Copper" in page
    assert "rate_limited" not in visible_text(page)
    assert "250 / 1000" in page


def test_people_who_are_not_staff_get_neither_the_page_nor_the_json(client):
    run = running_run()
    user = get_user_model().objects.create_user("dave", "dave@example.com", "dave-password")
    client.force_login(user)
    page = client.get(progress_url(run))
    assert page.status_code == 302 and reverse("admin:login") in page["Location"]
    response = client.get(json_url(run))
    assert response.status_code == 403
    assert "no-store" in response["Cache-Control"]
    assert "processed" not in response.json()
    client.logout()
    assert client.get(json_url(run)).status_code == 403


def test_a_finished_run_shows_its_summary_and_no_cancel_button(staff_client):
    run = running_run(
        status=Status.SUCCEEDED,
        processed=1000,
        finished_at=timezone.now(),
        message="Pulled 1000 companies: 900 created, 100 updated.",
    )
    page = staff_client.get(progress_url(run)).content.decode()
    assert 'id="sp-summary" class="sync-summary sync-summary-succeeded" aria-live="polite" >' in page
    assert "Succeeded after 10 s." in page
    assert "Pulled 1000 companies: 900 created, 100 updated." in page
    assert 'id="sp-actions" hidden' in page


def test_a_pull_without_copper_settings_fails_with_a_message_the_page_shows(staff_client, queued_tasks):
    with override_settings(COPPER_API_KEY="", COPPER_USER_EMAIL=""):
        dashboard = staff_client.get(reverse("admin:syncs_syncrun_dashboard")).content.decode()
        assert "Copper is not configured (COPPER_API_KEY, COPPER_USER_EMAIL not set)" in dashboard
        run = SyncRun.objects.create(kind=Kind.COPPER_PULL)
        sync_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == Status.FAILED
    page = staff_client.get(progress_url(run)).content.decode()
    assert "COPPER_API_KEY" in page
    assert "Traceback" not in page


def test_the_change_view_of_a_run_opens_its_progress_page(staff_client):
    run = running_run()
    response = staff_client.get(reverse("admin:syncs_syncrun_change", args=[run.pk]))
    assert response.status_code == 302 and response["Location"] == progress_url(run)


def test_the_run_list_shows_status_percent_and_links_to_progress(staff_client):
    run = running_run()
    page = staff_client.get(reverse("admin:syncs_syncrun_changelist")).content.decode()
    assert progress_url(run) in page
    assert "sync-badge-running" in page
    assert "25%" in page and "250 / 1,000" in page and "Copper pull #" in page
    assert reverse("admin:syncs_syncrun_dashboard") in page


# --- starting runs -----------------------------------------------------------------------------------------


def start(client, button, **fields):
    return client.post(reverse("admin:syncs_syncrun_start"), {"button": button, **fields})


def test_the_start_button_queues_a_run_before_any_task_and_opens_its_progress_page(
    staff_client, staff_user, queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = start(staff_client, "copper_pull")
    run = SyncRun.objects.get()
    assert response.status_code == 302 and response["Location"] == progress_url(run)
    assert (run.kind, run.status, run.options, run.started_by) == (
        Kind.COPPER_PULL,
        "queued",
        {"full": False},
        staff_user,
    )
    # The row existed, queued, when the task was handed over.
    assert queued_tasks == [(sync_run_execute, run.pk, "queued")]
    page = staff_client.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in page


@pytest.mark.parametrize(
    ("button", "fields", "kind", "options"),
    [
        ("copper_pull_full", {}, Kind.COPPER_PULL, {"full": True}),
        ("customer_sync_dry_run", {}, Kind.CUSTOMER_SYNC, {"apply": False}),
        ("commissions", {"month": "2026-03"}, Kind.COMMISSIONS, {"month": "2026-03"}),
        ("integrity", {}, Kind.INTEGRITY, {"trigger": "on_demand"}),
    ],
)
def test_each_dashboard_button_starts_its_kind_with_its_options(
    staff_client, queued_tasks, button, fields, kind, options
):
    response = start(staff_client, button, **fields)
    run = SyncRun.objects.get()
    assert (run.kind, run.options) == (kind, options)
    assert response["Location"] == progress_url(run)


def test_a_bad_month_starts_nothing_and_says_why(staff_client, queued_tasks):
    response = start(staff_client, "commissions", month="March")
    assert response["Location"] == reverse("admin:syncs_syncrun_dashboard")
    assert not SyncRun.objects.exists()
    assert any("YYYY-MM" in text for text in message_texts(response))


def test_starting_while_a_run_is_active_opens_the_active_run_with_a_message(staff_client, queued_tasks):
    active = running_run()
    response = start(staff_client, "copper_pull")
    assert response["Location"] == progress_url(active)
    assert SyncRun.objects.count() == 1
    assert any(f"already running (run #{active.pk})" in text for text in message_texts(response))
    page = staff_client.get(response["Location"]).content.decode()
    assert "already running" in page


def test_people_without_the_start_permission_cannot_start_and_see_no_buttons(client, queued_tasks):
    client.force_login(staff_with("view_syncrun", "cancel_syncrun"))
    dashboard = client.get(reverse("admin:syncs_syncrun_dashboard"))
    assert dashboard.status_code == 200
    assert 'value="copper_pull"' not in dashboard.content.decode()
    assert start(client, "copper_pull").status_code == 403
    assert not SyncRun.objects.exists()


def test_a_user_with_only_the_start_and_view_permissions_can_start(client, queued_tasks):
    client.force_login(staff_with("view_syncrun", "start_syncrun"))
    dashboard = client.get(reverse("admin:syncs_syncrun_dashboard")).content.decode()
    assert 'value="copper_pull"' in dashboard and "Copper pull (full)" in dashboard
    assert start(client, "copper_pull").status_code == 302
    assert SyncRun.objects.get().kind == Kind.COPPER_PULL


def test_the_start_view_refuses_get(staff_client, queued_tasks):
    assert staff_client.get(reverse("admin:syncs_syncrun_start")).status_code == 405
    assert not SyncRun.objects.exists()


def test_the_run_list_leads_to_the_dashboard_instead_of_a_start_action_needing_a_selection(staff_client):
    page = staff_client.get(reverse("admin:syncs_syncrun_changelist")).content.decode()
    assert reverse("admin:syncs_syncrun_dashboard") in page
    assert "start_copper_pull" not in page


def test_the_dashboard_shows_each_kinds_last_run(staff_client):
    finished = running_run(status=Status.SUCCEEDED, finished_at=timezone.now(), message="Pulled 1000.")
    page = staff_client.get(reverse("admin:syncs_syncrun_dashboard")).content.decode()
    card = page.split('id="sync-card-copper_pull"')[1].split("</section>")[0]
    assert progress_url(finished) in card and "Succeeded" in card and "Pulled 1000." in card
    # The last run's counts in its kind's words, the zeros left out.
    assert "Companies added: 200 · Companies updated: 40" in card and "Skipped" not in card
    assert "rate_limited" not in card and "Times Copper asked to slow down: 1" in card
    assert "Never run." in page.split('id="sync-card-customer_sync"')[1].split("</section>")[0]


# --- cancelling ----------------------------------------------------------------------------------------------


def cancel(client, run):
    return client.post(reverse("admin:syncs_syncrun_cancel", args=[run.pk]))


def test_cancelling_a_queued_run_cancels_it_at_once(staff_client):
    run = SyncRun.objects.create(kind=Kind.COPPER_PULL)
    response = cancel(staff_client, run)
    assert response["Location"] == progress_url(run)
    run.refresh_from_db()
    assert run.status == Status.CANCELLED and "before it started" in run.message


def test_cancelling_a_running_run_asks_it_to_stop_between_batches(staff_client):
    run = running_run()
    response = cancel(staff_client, run)
    run.refresh_from_db()
    assert (run.status, run.cancel_requested) == (Status.RUNNING, True)
    assert any("stops after the batch" in text for text in message_texts(response))
    page = staff_client.get(progress_url(run)).content.decode()
    assert 'id="sp-cancel-note" class="sync-warning" >' in page


def test_people_without_the_cancel_permission_cannot_cancel(client):
    run = running_run()
    client.force_login(staff_with("view_syncrun", "start_syncrun"))
    assert 'id="sp-cancel"' not in client.get(progress_url(run)).content.decode()
    assert cancel(client, run).status_code == 403
    run.refresh_from_db()
    assert run.cancel_requested is False


def test_no_run_can_be_deleted_from_the_admin_an_active_one_is_cancelled(staff_client):
    run = running_run()
    finished = running_run(kind=Kind.CUSTOMER_SYNC, status=Status.FAILED, finished_at=timezone.now())
    for target in (run, finished):
        response = staff_client.post(reverse("admin:syncs_syncrun_delete", args=[target.pk]), {"post": "yes"})
        assert response.status_code == 403
    assert SyncRun.objects.filter(pk__in=[run.pk, finished.pk]).count() == 2
    changelist = staff_client.get(reverse("admin:syncs_syncrun_changelist")).content.decode()
    assert "delete_selected" not in changelist


def test_a_poll_costs_a_few_queries_however_long_the_log(staff_client, django_assert_max_num_queries):
    run = running_run()
    SyncRunLog.objects.bulk_create(
        SyncRunLog(run=run, level="warning", record=f"company {n}", message="odd value") for n in range(300)
    )
    # Session, user, run, log page: four queries, the log capped per poll.
    with django_assert_max_num_queries(4):
        data = staff_client.get(json_url(run)).json()
    assert len(data["log"]) == 200
    with django_assert_max_num_queries(4):
        assert len(staff_client.get(json_url(run), {"after": data["log"][-1]["id"]}).json()["log"]) == 100
