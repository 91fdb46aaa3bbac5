"""The Setup status: each line green, or saying exactly what to do; the live checks only on "Check now"."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule, Task

from copper.errors import CopperAuthError
from copper.models import CustomFieldDefinition
from copperhub.models import SetupCheck
from customers.fishbowl_api import FishbowlAuthError
from metrics.models import FieldMapping
from syncs.models import SyncRun

pytestmark = pytest.mark.django_db


class FakeCopper:
    """The Copper client's one call the Setup page makes."""

    def __init__(self, answer=None, error=None):
        self.answer, self.error, self.calls = answer, error, 0

    def account(self):
        self.calls += 1
        if self.error:
            raise self.error
        return self.answer


class FakeFishbowl:
    base_url, username = "https://fishbowl.example:2456", "ops"

    def __init__(self, error=None):
        self.error, self.logins = error, 0

    def __enter__(self):
        self.logins += 1
        if self.error:
            raise self.error
        return self

    def __exit__(self, *exc):
        return None


@pytest.fixture
def copper_settings(settings):
    settings.COPPER_API_KEY = "key"
    settings.COPPER_USER_EMAIL = "ops@example.com"
    settings.COPPER_BASE_URL = "https://api.copper.example/developer_api/v1"
    return settings


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def lines(client, url=None) -> dict[str, tuple[str, str]]:
    """Each setup line's key → (state, its row's text) on the Setup page."""
    html = client.get(url or reverse("admin:copperhub_setup")).content.decode()
    rows = re.findall(r'<tr data-setup="([a-z]+)" data-state="([a-z]+)">(.*?)</tr>', html, flags=re.S)
    return {key: (state, re.sub(r"<[^>]+>", " ", row)) for key, state, row in rows}


def use_fake_copper(monkeypatch, fake):
    monkeypatch.setattr("copperhub.services.copper_client_from_settings", lambda **_: fake)


def test_the_setup_page_lists_every_line_in_the_readme_order(admin_client):
    assert list(lines(admin_client)) == [
        "copper", "definitions", "mappings", "timezone", "fishbowl", "worker", "schedules",
    ]  # fmt: skip


def test_missing_copper_settings_name_the_settings_to_set(admin_client, copper_settings):
    copper_settings.COPPER_API_KEY = ""
    state, text = lines(admin_client)["copper"]
    assert state == "todo"
    assert "COPPER_API_KEY not set." in text and "Settings → Integrations → API Keys" in text


def test_the_index_never_calls_copper_and_says_not_checked_yet(admin_client, copper_settings, monkeypatch):
    fake = FakeCopper(answer={"id": 1, "name": "Acme"})
    use_fake_copper(monkeypatch, fake)
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert fake.calls == 0
    assert "Copper credentials: <span class=\"setup-message\">Not checked yet.</span>" in index
    assert reverse("admin:copperhub_setup") in index
    state, text = lines(admin_client)["copper"]
    assert fake.calls == 0 and state == "todo" and "Check now" in text


def test_check_now_shows_the_copper_account_name_on_the_setup_page_and_the_index(
    admin_client, copper_settings, monkeypatch
):
    fake = FakeCopper(answer={"id": 42, "name": "Acme Supplies"})
    use_fake_copper(monkeypatch, fake)
    response = admin_client.post(reverse("admin:copperhub_setup"), follow=True)
    assert fake.calls == 1
    assert "Connected to Copper account “Acme Supplies” (id 42)" in response.content.decode()
    state, text = lines(admin_client)["copper"]
    assert state == "ok" and "Acme Supplies" in text and "checked 0" in text
    check = SetupCheck.objects.get(name="copper")
    assert check.checked_by.username == "alice"


def test_a_refused_key_is_red_with_what_to_check(admin_client, copper_settings, monkeypatch):
    use_fake_copper(monkeypatch, FakeCopper(error=CopperAuthError("Copper says the key is invalid", status=401)))
    admin_client.post(reverse("admin:copperhub_setup"))
    state, text = lines(admin_client)["copper"]
    assert state == "todo"
    assert "Copper refused: Copper says the key is invalid" in text
    assert "Check COPPER_API_KEY, COPPER_USER_EMAIL" in text


def test_a_result_for_other_settings_is_not_shown_as_green(admin_client, copper_settings, monkeypatch):
    use_fake_copper(monkeypatch, FakeCopper(answer={"id": 1, "name": "Acme"}))
    admin_client.post(reverse("admin:copperhub_setup"))
    copper_settings.COPPER_USER_EMAIL = "someone-else@example.com"
    state, text = lines(admin_client)["copper"]
    assert state == "todo" and "Not checked since the settings changed" in text


def test_check_now_against_the_copper_sandbox_shows_its_account(admin_client, copper_sandbox_settings):
    response = admin_client.post(reverse("admin:copperhub_setup"), follow=True)
    name = json.loads(copper_sandbox_settings.store.account_json())["name"]
    assert f"Connected to Copper account “{name}”" in response.content.decode()


def test_definitions_and_mappings_lines_turn_green_once_pulled_and_mapped(admin_client):
    found = lines(admin_client)
    assert found["definitions"][0] == "todo" and "manage.py copper_pull" in found["definitions"][1]
    assert found["mappings"][0] == "todo" and "tick Enabled" in found["mappings"][1]

    CustomFieldDefinition.objects.create(copper_id=1, name="Total Spent", data_type="Currency", pulled_at=timezone.now())
    FieldMapping.objects.create(metric="total_spent", copper_field="Total Spent", enabled=True)
    FieldMapping.objects.create(metric="total_orders", copper_field="Total Orders", enabled=False)
    found = lines(admin_client)
    assert found["definitions"][0] == "ok" and "1 definitions, last pulled 0" in found["definitions"][1]
    assert found["mappings"][0] == "ok" and "1 enabled mapping." in found["mappings"][1]


@pytest.mark.parametrize(
    ("value", "state", "says"),
    [
        ("", "todo", "Not set: Date fields cannot be pushed. Set COPPER_TIMEZONE to the Copper account"),
        ("Pacific Time", "todo", "“Pacific Time” is not a timezone name"),
        ("America/Chicago", "ok", "America/Chicago."),
    ],
)
def test_the_timezone_line(admin_client, settings, value, state, says):
    settings.COPPER_TIMEZONE = value
    found_state, text = lines(admin_client)["timezone"]
    assert found_state == state and says in text


def test_fishbowl_is_not_asked_for_when_not_configured_and_named_when_half_configured(admin_client, settings):
    state, text = lines(admin_client)["fishbowl"]
    assert state == "skip" and "imported as files" in text
    settings.FISHBOWL_URL = "https://fishbowl.example:2456"
    state, text = lines(admin_client)["fishbowl"]
    assert state == "todo" and "FISHBOWL_USERNAME, FISHBOWL_PASSWORD, FISHBOWL_APP_ID not set" in text


def test_check_now_logs_in_to_fishbowl_when_configured(admin_client, settings, monkeypatch):
    settings.FISHBOWL_URL, settings.FISHBOWL_USERNAME = "https://fishbowl.example:2456", "ops"
    settings.FISHBOWL_PASSWORD, settings.FISHBOWL_APP_ID = "pw", "101"
    fake = FakeFishbowl()
    monkeypatch.setattr("copperhub.services.fishbowl_client_from_settings", lambda **_: fake)
    admin_client.post(reverse("admin:copperhub_setup"))
    assert fake.logins == 1
    state, text = lines(admin_client)["fishbowl"]
    assert state == "ok" and "Logged in to Fishbowl at https://fishbowl.example:2456 as ops" in text

    fake.error = FishbowlAuthError("the app is not approved in Fishbowl")
    admin_client.post(reverse("admin:copperhub_setup"))
    state, text = lines(admin_client)["fishbowl"]
    assert state == "todo" and "Fishbowl refused: the app is not approved" in text and "Integrated Apps" in text


def _task(*, minutes_ago: float):
    stopped = timezone.now() - timezone.timedelta(minutes=minutes_ago)
    Task.objects.create(
        id=f"t{minutes_ago}", name="reaper", func="syncs.tasks.sync_runs_reap_task", started=stopped,
        stopped=stopped, success=True,
    )  # fmt: skip


def test_the_worker_line_is_red_until_a_worker_finishes_a_task_or_holds_a_live_run(admin_client):
    state, text = lines(admin_client)["worker"]
    assert state == "todo" and "No worker has run a task yet" in text and "manage.py qcluster" in text

    _task(minutes_ago=30)
    state, text = lines(admin_client)["worker"]
    assert state == "todo" and "No worker seen for 30" in text

    # A worker busy with a long pull finishes nothing else, but renews its run's heartbeat.
    SyncRun.objects.create(kind=SyncRun.Kind.COPPER_PULL, status=SyncRun.Status.RUNNING, heartbeat_at=timezone.now())
    assert lines(admin_client)["worker"][0] == "ok"
    SyncRun.objects.all().delete()

    _task(minutes_ago=0.5)
    state, text = lines(admin_client)["worker"]
    assert state == "ok" and "A worker was last seen 0" in text


def test_the_schedules_the_migrations_create_are_green_and_a_missing_one_says_migrate(admin_client):
    state, text = lines(admin_client)["schedules"]
    assert state == "ok" and "the reaper, every minute" in text
    Schedule.objects.filter(name="integrity-checks-hourly").delete()
    state, text = lines(admin_client)["schedules"]
    assert state == "todo" and "Missing: the integrity checks, every hour" in text and "manage.py migrate" in text
    Schedule.objects.filter(name="sync-runs-reaper").update(repeats=0)
    Schedule.objects.create(name="integrity-checks-hourly", func="integrity.tasks.integrity_report_scheduled")
    state, text = lines(admin_client)["schedules"]
    assert state == "todo" and "Stopped (no repeats left): the reaper" in text and "Repeats to -1" in text


def test_the_index_shows_one_green_line_once_everything_is_set_up(admin_client, copper_settings, monkeypatch):
    use_fake_copper(monkeypatch, FakeCopper(answer={"id": 1, "name": "Acme"}))
    admin_client.post(reverse("admin:copperhub_setup"))
    CustomFieldDefinition.objects.create(copper_id=1, name="Total Spent", data_type="Currency")
    FieldMapping.objects.create(metric="total_spent", copper_field="Total Spent", enabled=True)
    _task(minutes_ago=0.2)
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "All 7 setup lines are green" in index


def test_people_who_start_no_jobs_see_no_setup(client):
    clerk = get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert 'id="setup-summary"' not in client.get(reverse("admin:index")).content.decode()
    assert client.get(reverse("admin:copperhub_setup")).status_code == 403
    assert client.post(reverse("admin:copperhub_setup")).status_code == 403
