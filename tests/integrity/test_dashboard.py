"""The health board (its own page, summed up on the admin index), the per-check page and "Run checks now"."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from integrity.services import integrity_report_create
from syncs.models import SyncRun
from tests.integrity.conftest import company, customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def health(client) -> str:
    response = client.get(reverse("admin:copperhub_health"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_health_page_shows_each_check_with_its_state_count_and_a_trend_chart(
    admin_client, settings, fresh_syncs, rep
):
    settings.INTEGRITY_THRESHOLDS = {"customer_gap": {"warning": 1, "critical": 2}}
    alpha = company("Alpha", "1")
    company("Beta", "2")
    integrity_report_create()
    customer("1", linked_to=alpha)
    integrity_report_create()

    html = health(admin_client)
    assert 'data-check="customer_gap" data-state="warning"' in html
    assert "Active Copper companies with no linked Fishbowl customer" in html
    # One server-drawn SVG trend per check (counts 2 then 1 for this one), no script, no chart library.
    board = html.split('id="integrity-dashboard"')[1]
    rows = board.count('<tr class="integrity-check"')
    assert rows >= 8
    assert board.count('<svg class="integrity-sparkline"') == rows
    assert board.count("<polyline") == rows
    assert "Counts over the last reports: 2, 1" in html
    assert "Trend over the last 2 reports" in html
    assert "<script" not in board
    # The chain as a strip of three stages, each with the part that matters and its share.
    assert '<ol class="integrity-chain">' in html
    assert html.count('<li class="stage"') == 3
    assert "1 linked to a Fishbowl customer (50 %)" in html
    # The last run of each sync kind, and the board's actions.
    assert f"/admin/syncs/syncrun/{fresh_syncs[0].pk}/" in html
    assert "Run checks now" in html
    assert reverse("admin:integrity_audit") in html


def test_the_board_says_when_checks_last_ran_once_and_never_says_never(admin_client):
    integrity_report_create()
    html = health(admin_client)
    text = re.sub(r"<[^>]+>", "", html)
    assert text.count("Checks last ran 0\xa0minutes ago") == 1
    assert text.count("minutes ago") == 1
    # Reports written after syncs or by the schedule have no integrity run: no "Integrity check: never" row.
    assert "never" not in html.split('id="integrity-dashboard"')[1].lower()
    assert ">Integrity check<" not in html
    assert "not run yet" in html


def test_the_board_has_its_own_full_width_page_and_the_index_links_to_it(admin_client):
    integrity_report_create()
    index = admin_client.get(reverse("admin:index")).content.decode()
    # The index's 600 px column keeps the Today panel with the health summary; the board's wide tables
    # live on their own page, out of the stock dashboard (whose CSS wraps table headers letter by letter).
    assert 'id="integrity-dashboard"' not in index
    assert f'href="{reverse("admin:copperhub_health")}">Health</a>' in index
    html = health(admin_client)
    assert 'class="dashboard' not in html
    assert '<div class="breadcrumbs"><a href="/admin/">Home</a> › Ecosystem health</div>' in html


def test_the_check_page_lists_findings_with_links_to_the_objects_and_the_fix(admin_client):
    alpha = company("Alpha", "1")
    integrity_report_create()
    response = admin_client.get(reverse("admin:integrity_check_detail", args=["customer_gap"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/admin/copper/coppercompany/{alpha.pk}/change/">Alpha (Account Order ID 1)</a>' in html
    assert "No Fishbowl customer has account number 1." in html
    assert "Run the customer sync</a>" in html


def test_an_unknown_check_page_is_not_found(admin_client):
    integrity_report_create()
    assert admin_client.get(reverse("admin:integrity_check_detail", args=["nope"])).status_code == 404


def test_run_checks_now_starts_an_integrity_run(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: queued.append(k["run_id"]) or "t")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:integrity_run_now"))
    run = SyncRun.objects.get(kind=SyncRun.Kind.INTEGRITY)
    assert response.status_code == 302
    assert run.started_by.username == "alice"
    assert queued == [run.pk]
    # A second click while it is queued is refused with a message, not an error page.
    response = admin_client.post(reverse("admin:integrity_run_now"), follow=True)
    assert "already queued" in response.content.decode()


def test_run_checks_now_needs_a_post(admin_client):
    assert admin_client.get(reverse("admin:integrity_run_now")).status_code == 405


def test_staff_without_the_view_permission_see_no_health_counts(client, db):
    integrity_report_create()
    clerk = get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'data-line="health"' not in page
    assert client.get(reverse("admin:copperhub_health")).status_code == 403
