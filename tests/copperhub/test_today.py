"""The "Today" panel on the admin index: each daily entry point one click away, counting what awaits the user."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from integrity.services import integrity_report_create
from metrics.models import ChangeSet
from syncs.models import SyncRun
from tests.integrity.conftest import company

pytestmark = pytest.mark.django_db


def today(client) -> dict[str, str]:
    """Each Today line's key → its row's HTML, as the index renders it."""
    html = client.get(reverse("admin:index")).content.decode()
    panel = html.split('id="today-panel"', 1)[1].split("</table>", 1)[0] if 'id="today-panel"' in html else ""
    return dict(re.findall(r'<tr data-line="([a-z_]+)">(.*?)</tr>', panel, flags=re.S))


def link(row: str) -> str:
    return re.search(r'href="([^"]+)"', row).group(1).replace("&amp;", "&")


def person(username, *perms):
    user = get_user_model().objects.create_user(username, password="pw", is_staff=True)
    for perm in perms:
        app, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    return get_user_model().objects.get(pk=user.pk)


def test_a_change_set_built_by_me_is_not_awaiting_my_approval_but_one_built_by_someone_else_is(
    client, staff_user, second_staff_user
):
    ChangeSet.objects.create(built_by=staff_user, definitions_fingerprint="f")
    client.force_login(staff_user)
    assert "none awaiting you" in today(client)["change_sets"]

    ChangeSet.objects.create(built_by=second_staff_user, definitions_fingerprint="f")
    # Sets no longer awaiting anyone (approved, rejected) are not counted either.
    ChangeSet.objects.create(built_by=second_staff_user, status=ChangeSet.Status.APPROVED)
    ChangeSet.objects.create(built_by=second_staff_user, status=ChangeSet.Status.REJECTED)
    row = today(client)["change_sets"]
    assert '<span class="today-count">1</span>' in row
    assert "1 built by someone else, awaiting your approval" in row

    # The builder of that set sees the other one as theirs to approve.
    client.force_login(second_staff_user)
    assert "1 built by someone else" in today(client)["change_sets"]


def test_a_change_set_too_old_to_approve_is_not_counted(client, staff_user, second_staff_user, settings):
    settings.METRICS_CHANGESET_MAX_AGE_HOURS = 24
    old = ChangeSet.objects.create(built_by=second_staff_user, definitions_fingerprint="f")
    ChangeSet.objects.filter(pk=old.pk).update(built_at=timezone.now() - timezone.timedelta(hours=25))
    client.force_login(staff_user)
    assert "none awaiting you" in today(client)["change_sets"]


def test_every_today_line_opens_its_page(client, staff_user, second_staff_user):
    ChangeSet.objects.create(built_by=second_staff_user, definitions_fingerprint="f")
    company("Alpha", "7")
    company("Beta", "7")
    integrity_report_create()
    client.force_login(staff_user)
    lines = today(client)
    assert list(lines) == [
        "sync_dashboard", "fishbowl_import", "metrics_push", "change_sets", "conflicts", "commissions", "health",
    ]  # fmt: skip
    for key, row in lines.items():
        assert client.get(link(row)).status_code == 200, key
    assert link(lines["metrics_push"]) == reverse("admin:metrics_fieldmapping_check")
    assert "Sync Sales Metrics to Copper" in lines["metrics_push"]
    # Two active companies share account number 7 and nobody chose the owner: one conflict to resolve.
    assert '<span class="today-count">1</span>' in lines["conflicts"]
    assert "1 account number on several companies" in lines["conflicts"]


def test_the_commission_line_opens_the_report_of_the_latest_calculated_month(client, staff_user):
    SyncRun.objects.create(
        kind=SyncRun.Kind.COMMISSIONS, status=SyncRun.Status.SUCCEEDED, options={"month": "2026-03"},
        finished_at=timezone.now(),
    )  # fmt: skip
    client.force_login(staff_user)
    row = today(client)["commissions"]
    assert "latest calculated: 2026-03" in row
    assert link(row) == reverse("admin:commissions_commissionline_report") + "?month=2026-03"
    assert "Commissions" in client.get(link(row)).content.decode()


def test_the_health_line_shows_the_worst_state_how_many_checks_fail_and_when(client, staff_user, settings):
    settings.INTEGRITY_THRESHOLDS = {"customer_gap": {"warning": 1, "critical": 5}}
    company("Alpha", "1")
    report = integrity_report_create()
    failing = report.results.exclude(state="ok")
    warnings = failing.filter(state="warning").count()
    assert warnings  # the one company without its Fishbowl customer
    client.force_login(staff_user)
    row = today(client)["health"]
    assert f">{report.get_state_display()}</span>" in row
    assert f"{failing.count()} check" in row and f"{warnings} warning" in row
    assert "(checked 0\xa0minutes ago)" in row
    assert link(row) == reverse("admin:copperhub_health")


def test_people_see_only_the_lines_they_may_use(client):
    client.force_login(person("clerk"))
    assert today(client) == {}

    client.force_login(person("watcher", "syncs.view_syncrun", "integrity.view_integrityreport"))
    assert list(today(client)) == ["sync_dashboard", "health"]

    # Viewing change sets without the right to approve them: nothing awaits this person.
    client.force_login(person("reader", "metrics.view_changeset", "commissions.view_commissionline"))
    assert list(today(client)) == ["commissions"]

    approver = person("approver", "metrics.view_changeset", "metrics.approve_changeset")
    client.force_login(approver)
    assert list(today(client)) == ["change_sets"]
    assert client.get(link(today(client)["change_sets"])).status_code == 200


def test_the_index_costs_a_handful_of_queries(client, staff_user, second_staff_user, django_assert_max_num_queries):
    ChangeSet.objects.create(built_by=second_staff_user, definitions_fingerprint="f")
    integrity_report_create()
    client.force_login(staff_user)
    client.get(reverse("admin:index"))
    # The stock index's own (session, user, the app list's commission settings twice, recent actions: 5),
    # Today (6 at most: change sets, conflicts, the commission month and its fallback, the health report and
    # its checks) and Setup (6: stored checks, definitions, mappings, worker's task and heartbeat, schedules).
    with django_assert_max_num_queries(17):
        response = client.get(reverse("admin:index"))
    assert response.status_code == 200
