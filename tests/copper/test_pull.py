"""The Copper pull: mirrors users, definitions and companies; incremental, idempotent, cancellable, honest."""

import json
import time

import pytest
import responses
from django.core.management import CommandError, call_command

from copper.client import CopperClient
from copper.custom_fields import CustomFieldCatalog
from copper.models import CopperCompany, CopperUser, CustomFieldDefinition
from copper.sandbox.server import RollingLimit
from copper.services.mirror_writes import MirrorWriter
from copper.services.pull import COMPANY_FIELDS, _CompanyExtractor, copper_pull, copper_pull_start
from syncs.models import SyncRun
from syncs.progress import Progress, RunCancelled
from syncs.services.runs import SyncRunAlreadyActive, sync_run_execute

pytestmark = pytest.mark.django_db

BASE = "https://copper.test/developer_api/v1"
T0 = 1_700_000_000
# Deliberately odd ids: the pull must find the fields by name.
ORDER_ID, ACTIVE, ACCOUNT_TYPE, REGION, REP, SCORE = 81, 82, 83, 84, 85, 86
DEFINITIONS = [
    {"id": ORDER_ID, "name": "Account Order ID", "data_type": "String", "available_on": ["company"]},
    {"id": ACTIVE, "name": "Active Customer", "data_type": "Checkbox", "available_on": ["company"]},
    {
        "id": ACCOUNT_TYPE,
        "name": "Account Type",
        "data_type": "Dropdown",
        "available_on": ["company"],
        "options": [{"id": 1, "name": "Retail", "rank": 0}, {"id": 2, "name": "Wholesale", "rank": 1}],
    },
    {
        "id": REGION,
        "name": "Region",
        "data_type": "MultiSelect",
        "available_on": ["company"],
        "options": [{"id": 7, "name": "North", "rank": 0}, {"id": 8, "name": "South", "rank": 1}],
    },
    {"id": REP, "name": "Fishbowl Assigned Sales Person", "data_type": "String", "available_on": ["company"]},
    {"id": SCORE, "name": "Score", "data_type": "Float", "available_on": ["company", "lead"]},
]


def company(copper_id, modified):
    return {
        "id": copper_id,
        "name": f"Company {copper_id}",
        "address": {
            "street": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "1",
            "country": "US",
        },
        "assignee_id": 1,
        "contact_type_id": None,
        "details": None,
        "email_domain": f"c{copper_id}.example.com",
        "phone_numbers": [],
        "socials": [],
        "tags": ["vip"] if copper_id % 2 else [],
        "websites": [],
        "custom_fields": [
            {
                "custom_field_definition_id": ORDER_ID,
                "value": f" {copper_id // 1000},{copper_id % 1000:03d} ",
            },
            {"custom_field_definition_id": ACTIVE, "value": copper_id % 3 != 0},
            {"custom_field_definition_id": ACCOUNT_TYPE, "value": 2},
            {"custom_field_definition_id": REGION, "value": [8, 7]},
            {"custom_field_definition_id": REP, "value": "jdoe"},
            {"custom_field_definition_id": SCORE, "value": 1.5},
        ],
        "interaction_count": 0,
        "date_created": T0 - 1000,
        "date_modified": modified,
    }


class FakeCopper:
    """Copper's search semantics over an in-memory world, behind ``responses``."""

    def __init__(self, mock: responses.RequestsMock, count: int) -> None:
        self.companies = {1000 + i: company(1000 + i, T0 + i) for i in range(count)}
        self.users = [{"id": 1, "name": "Jane Doe", "email": "jane@example.com"}]
        self.searches: list[dict] = []
        self.on_search = None
        mock.add_callback(responses.POST, f"{BASE}/users/search", callback=self._users)
        mock.add_callback(responses.GET, f"{BASE}/custom_field_definitions", callback=self._definitions)
        mock.add_callback(responses.POST, f"{BASE}/companies/search", callback=self._search)
        self.mock = mock

    @property
    def requests(self):
        return len(self.mock.calls)

    def _users(self, request):
        body = json.loads(request.body)
        start = (body["page_number"] - 1) * body["page_size"]
        return 200, {}, json.dumps(self.users[start : start + body["page_size"]])

    def _definitions(self, request):
        assert request.body is None
        return 200, {}, json.dumps(DEFINITIONS)

    def _search(self, request):
        body = json.loads(request.body)
        self.searches.append(body)
        if self.on_search:
            self.on_search(body)
        rows = [
            row
            for row in self.companies.values()
            if row["date_modified"] >= body.get("minimum_modified_date", 0)
            and row["date_modified"] <= body.get("maximum_modified_date", 10**12)
            and ("ids" not in body or row["id"] in body["ids"])
        ]
        rows.sort(
            key=lambda row: (row[body.get("sort_by", "date_modified")], row["id"]),
            reverse=body.get("sort_direction") == "desc",
        )
        start = (body["page_number"] - 1) * body["page_size"]
        return 200, {"X-PW-TOTAL": str(len(rows))}, json.dumps(rows[start : start + body["page_size"]])

    def touch(self, copper_id, **changes):
        row = self.companies[copper_id]
        row.update(changes)
        row["date_modified"] = max(r["date_modified"] for r in self.companies.values()) + 1


@pytest.fixture
def copper(settings, monkeypatch):
    settings.COPPER_API_KEY = "key"
    settings.COPPER_USER_EMAIL = "owner@example.com"
    settings.COPPER_BASE_URL = BASE
    settings.COPPER_RATE_LIMIT_PER_MINUTE = 0
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "task")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeCopper(mock, 450)


def pull(*, full=False, user=None):
    run = copper_pull_start(user=user, full=full)
    run = sync_run_execute(run_id=run.pk)
    assert run is not None
    return run


def test_a_first_pull_creates_every_user_definition_and_company(copper, staff_user):
    run = pull(user=staff_user)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert (run.created, run.updated, run.unchanged, run.total, run.processed) == (450, 0, 0, 450, 450)
    assert CopperUser.objects.get().name == "Jane Doe"
    assert CustomFieldDefinition.objects.get(pk=ACCOUNT_TYPE).options[1]["name"] == "Wholesale"
    assert CopperCompany.objects.count() == 450
    history = CopperCompany.history.filter(copper_id=1001).get()
    assert history.history_change_reason == f"copper pull run #{run.pk}"
    assert history.history_user == staff_user
    assert run.high_water_mark.timestamp() == T0 + 449
    assert "450 companies (450 created, 0 updated, 0 unchanged)" in run.message
    assert run.counts["requests"] == 1 + 1 + 3  # users, definitions, three pages of companies


def test_typed_columns_are_extracted_by_field_name(copper):
    pull()
    row = CopperCompany.objects.get(pk=1160)
    assert row.account_order_id == "1,160"
    assert row.account_number == "1160"
    assert row.is_active_customer is True
    assert CopperCompany.objects.get(pk=1002).is_active_customer is False  # 1002 % 3 == 0
    assert row.account_type == "Wholesale"  # the Dropdown option's name, not its id
    assert row.region == "South"  # a MultiSelect's first option
    assert row.fishbowl_sales_person == "jdoe"
    assert row.assignee_id == 1
    assert row.date_modified.timestamp() == T0 + 160
    assert row.custom_fields[-1] == {"custom_field_definition_id": SCORE, "value": 1.5}
    assert row.pulled_at is not None


def test_typed_columns_follow_the_field_names_configured_in_settings(copper, settings):
    settings.COPPER_FIELD_SALES_PERSON = "Score"
    settings.COPPER_FIELD_REGION = "No such field"
    run = pull()
    row = CopperCompany.objects.get(pk=1160)
    assert row.fishbowl_sales_person == "1.5"
    assert row.region == ""
    assert run.log_entries.filter(code="custom_field_missing", record="No such field").exists()


def test_a_second_pull_with_no_changes_writes_nothing_and_makes_at_most_three_requests(copper):
    pull()
    history_rows = CopperCompany.history.count()
    before = copper.requests
    run = pull()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert copper.requests - before <= 3
    assert (run.created, run.updated) == (0, 0)
    assert CopperCompany.history.count() == history_rows
    search = copper.searches[-1]
    assert search["minimum_modified_date"] == T0 + 449  # inclusive: the newest company comes back, unchanged
    assert search["maximum_modified_date"] == int(run.started_at.timestamp())
    assert run.high_water_mark.timestamp() == T0 + 449


def test_a_changed_company_is_updated_with_a_change_reason_naming_the_run(copper):
    pull()
    copper.touch(1005, name="Renamed Co")
    copper.touch(1006, custom_fields=[{"custom_field_definition_id": ACCOUNT_TYPE, "value": 1}])
    run = pull()
    assert (run.created, run.updated) == (0, 2)
    assert CopperCompany.objects.get(pk=1005).name == "Renamed Co"
    assert CopperCompany.objects.get(pk=1006).account_type == "Retail"
    latest = CopperCompany.history.filter(copper_id=1005).latest("history_id")
    assert latest.history_type == "~"
    assert latest.history_change_reason == f"copper pull run #{run.pk}"
    # Unchanged companies got no history row.
    assert CopperCompany.history.filter(copper_id=1007).count() == 1


def test_a_full_pull_marks_companies_copper_no_longer_returns_and_never_deletes_them(copper):
    pull()
    gone = copper.companies.pop(1010)
    run = pull(full=True)
    assert run.counts["marked_missing"] == 1
    missing = CopperCompany.objects.get(pk=1010)
    assert missing.missing_from_copper_since is not None
    assert CopperCompany.history.filter(copper_id=1010).latest("history_id").history_change_reason == (
        f"copper pull run #{run.pk}"
    )
    assert CopperCompany.objects.filter(missing_from_copper_since__isnull=True).count() == 449
    # It comes back (modified), and an ordinary incremental pull clears the mark.
    copper.companies[1010] = gone
    copper.touch(1010)
    pull()
    assert CopperCompany.objects.get(pk=1010).missing_from_copper_since is None


def test_cancelling_between_pages_keeps_the_pages_already_committed(copper):
    run = SyncRun.objects.create(kind=SyncRun.Kind.COPPER_PULL, status=SyncRun.Status.RUNNING)

    def cancel_during_first_page(body):
        SyncRun.objects.filter(pk=run.pk).update(cancel_requested=True)

    copper.on_search = cancel_during_first_page
    client = CopperClient(api_key="k", user_email="e@example.com", base_url=BASE, rate_per_minute=None)
    with pytest.raises(RunCancelled):
        copper_pull(client=client, full=True, run=run, progress=Progress(run, interval=0))
    assert CopperCompany.objects.count() == 200
    assert len(copper.searches) == 1


def test_a_missing_api_key_ends_the_run_failed_with_a_message_naming_the_setting(copper, settings):
    settings.COPPER_API_KEY = ""
    run = pull()
    assert run.status == SyncRun.Status.FAILED
    assert run.message.startswith("COPPER_API_KEY is not set")
    assert "Traceback" not in run.message


def test_a_second_pull_while_one_runs_is_refused_with_a_clear_message(copper):
    first = copper_pull_start(user=None)
    with pytest.raises(SyncRunAlreadyActive, match=f"copper pull is already queued \\(run #{first.pk}\\)"):
        copper_pull_start(user=None, full=True)


def test_a_future_dated_company_does_not_push_the_mark_past_the_run_start(copper):
    copper.companies[1001]["date_modified"] = int(time.time()) + 86_400  # tomorrow
    run = pull()
    assert run.high_water_mark.timestamp() == T0 + 449


def test_the_command_prints_the_summary_and_fails_loudly(copper, settings, capsys):
    call_command("copper_pull")
    assert "450 companies (450 created" in capsys.readouterr().out
    settings.COPPER_USER_EMAIL = ""
    with pytest.raises(CommandError, match="COPPER_USER_EMAIL is not set"):
        call_command("copper_pull", "--full")


def test_new_companies_are_stored_with_the_same_rows_and_history_as_bulk_create_with_history(staff_user):
    # The pull inserts new companies without building model instances (for speed); the stored rows and their
    # history must be exactly what simple-history's bulk_create_with_history stores.
    extractor = _CompanyExtractor(CustomFieldCatalog(DEFINITIONS), Progress.null())
    values = extractor.values(company(1, T0))
    writer = MirrorWriter(reason="copper pull run #7", user=staff_user)
    writer.upsert(CopperCompany, {1: values}, COMPANY_FIELDS, fast=True)
    writer.upsert(CopperCompany, {2: values}, COMPANY_FIELDS, fast=False)

    def stored(queryset, *ignored):
        rows = list(queryset.order_by("copper_id").values())
        for row in rows:
            for name in ("copper_id", *ignored):
                row.pop(name)
        return rows

    fast, reference = stored(CopperCompany.objects.all(), "pulled_at")
    assert fast == reference
    assert fast["custom_fields"] == company(1, T0)["custom_fields"]
    fast, reference = stored(CopperCompany.history.all(), "history_id", "history_date")
    assert fast == reference
    assert (fast["history_type"], fast["history_change_reason"], fast["history_user_id"]) == (
        "+",
        "copper pull run #7",
        staff_user.pk,
    )


# --- against the local Copper sandbox, over real HTTP ----------------------------------------------------


@pytest.fixture
def sandbox(copper_sandbox_settings, settings, monkeypatch):
    settings.COPPER_RATE_LIMIT_PER_MINUTE = 0
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "task")
    return copper_sandbox_settings


def test_a_pull_from_the_sandbox_mirrors_every_company_once_with_its_typed_columns(sandbox):
    run = pull()
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    ids = sandbox.company_ids()
    assert sorted(CopperCompany.objects.values_list("copper_id", flat=True)) == sorted(ids)
    assert CopperUser.objects.count() == len(json.loads(sandbox.store.users_search({"page_size": 200})[1]))
    for copper_id in ids[:20]:
        row = CopperCompany.objects.get(pk=copper_id)
        assert (
            row.account_order_id == (sandbox.custom_field_value(copper_id, "Account Order ID") or "").strip()
        )
        assert row.is_active_customer == bool(sandbox.custom_field_value(copper_id, "Active Customer"))
        assert row.name == sandbox.company(copper_id)["name"]
    assert CopperCompany.objects.exclude(account_type="").exists()


def test_an_edit_in_copper_reaches_the_mirror_on_the_next_incremental_pull_in_three_requests(sandbox):
    pull()
    target = sandbox.company_ids()[5]
    retail = next(
        o["id"]
        for d in sandbox.definitions
        if d["name"] == "Account Type"
        for o in d["options"]
        if o["name"] == "Retail"
    )
    sandbox.custom_field_set(target, "Account Type", retail)
    sandbox.reset_stats()
    run = pull()
    assert sandbox.stats()["requests"] <= 3
    assert run.updated == 1
    assert CopperCompany.objects.get(pk=target).account_type == "Retail"
    sandbox.reset_stats()
    run = pull()
    assert sandbox.stats()["requests"] <= 3
    assert (run.created, run.updated) == (0, 0)


def test_with_one_request_in_ten_failing_the_pull_still_ends_with_every_company_exactly_once(
    copper_sandbox_factory,
):
    # Slow answers take longer than the client waits: they end as timeouts, retried like 5xx.
    sandbox = copper_sandbox_factory(companies=3000, fault_rate=0.1, slow_seconds=1.5)
    client = CopperClient(
        api_key="sandbox-key",
        user_email="tests@example.com",
        base_url=sandbox.base_url,
        rate_per_minute=None,
        timeout=0.5,
        max_retries=8,
        sleep=lambda seconds: None,  # injected faults are random, not a real limit: retry at once
    )
    result = copper_pull(client=client, full=True)
    faults = sandbox.stats()["faults"]
    assert sum(faults.values()) >= 2, faults
    assert client.stats.retries >= sum(faults.values())
    ids = list(CopperCompany.objects.values_list("copper_id", flat=True))
    assert len(ids) == len(set(ids)) == 3000
    assert set(ids) == set(sandbox.company_ids())
    assert result.companies.created == 3000


def test_a_paced_client_never_meets_the_sandbox_rolling_limit_and_an_unpaced_one_recovers(
    copper_sandbox_factory,
):
    # One fake clock for both sides: the client's pacing sleeps move the sandbox's 60-second window too.
    fake = {"now": 0.0}

    def sleep(seconds):
        fake["now"] += seconds

    sandbox = copper_sandbox_factory(companies=2000)
    sandbox.server.limit = RollingLimit(10, clock=lambda: fake["now"])

    def client(rate):
        return CopperClient(
            api_key="sandbox-key",
            user_email="tests@example.com",
            base_url=sandbox.base_url,
            rate_per_minute=rate,
            max_retries=6,
            backoff_base=8.0,
            sleep=sleep,
            clock=lambda: fake["now"],
        )

    paced = client(10)
    copper_pull(client=paced, full=True)
    assert paced.stats.requests == 2 + 11  # users, definitions, 10 full pages and the empty one
    assert sandbox.stats()["responses_429"] == 0
    assert paced.stats.paced_seconds >= 60  # ten at network speed, then it waited for the window

    sandbox.reset_stats()
    unpaced = client(None)
    copper_pull(client=unpaced, full=True)
    assert sandbox.stats()["responses_429"] > 0
    assert unpaced.stats.rate_limited == sandbox.stats()["responses_429"]
    assert CopperCompany.objects.count() == 2000


def test_a_pull_leaves_the_database_connection_settings_as_it_found_them(copper):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the bulk tuning applies to SQLite only")
    with connection.cursor() as cursor:
        before = [
            cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "wal_autocheckpoint")
        ]
    pull()
    with connection.cursor() as cursor:
        after = [
            cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "wal_autocheckpoint")
        ]
    assert after == before
