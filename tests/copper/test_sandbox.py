"""The Copper sandbox speaks Copper's API over real HTTP: headers, paging, filters, PUT semantics, errors, limits."""

import datetime as dt
import io
import json
import time
import zoneinfo
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from copper.client import CopperClient
from copper.errors import CopperValidationError
from copper.sandbox.store import SandboxStateMismatch, SandboxStore
from copper.sandbox.world import ACCOUNT_TIMEZONE, demo_definitions, iter_companies
from customers.demo import demo_world_write
from tests.copper.sandbox_fixtures import SANDBOX_HEADERS

FIXTURES = Path(__file__).parent / "fixtures" / "copper"


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def search(sandbox, **body):
    return sandbox.request("POST", "/companies/search", body)


def ids_of(rows):
    return [row["id"] for row in rows]


def test_a_request_without_copper_headers_is_refused_with_401(copper_sandbox):
    for missing in SANDBOX_HEADERS:
        headers = {k: v for k, v in SANDBOX_HEADERS.items() if k != missing}
        status, _, body = copper_sandbox.request("GET", "/account", headers=headers)
        assert status == 401, missing
        assert body["status"] == 401 and missing in body["message"]
    wrong_app = dict(SANDBOX_HEADERS, **{"X-PW-Application": "something_else"})
    assert copper_sandbox.request("GET", "/account", headers=wrong_app)[0] == 401


def test_a_get_with_a_body_gets_an_html_400_page(copper_sandbox):
    status, headers, body = copper_sandbox.request("GET", "/companies/1", {"x": 1})
    assert status == 400
    assert headers["Content-Type"].startswith("text/html")
    assert "<html>" in body


def test_search_pages_through_every_company_with_the_total_in_a_header(copper_sandbox):
    seen = []
    for page_number in (1, 2, 3):
        status, headers, rows = search(copper_sandbox, page_number=page_number, page_size=25, sort_by="id")
        assert status == 200
        assert headers["X-PW-TOTAL"] == "60"
        seen += ids_of(rows)
    assert [len(seen[:25]), len(seen[25:50]), len(seen[50:])] == [25, 25, 10]
    assert sorted(seen) == seen == sorted(copper_sandbox.company_ids())
    status, headers, rows = search(copper_sandbox, page_number=4, page_size=25, sort_by="id")
    assert (status, rows, headers["X-PW-TOTAL"]) == (200, [], "60")


def test_search_pages_default_to_20_rows_and_refuse_more_than_200(copper_sandbox):
    assert len(search(copper_sandbox)[2]) == 20
    assert len(search(copper_sandbox, page_size="200")[2]) == 60  # numeric strings are accepted
    status, _, body = search(copper_sandbox, page_size=201)
    assert status == 422
    assert body == {"success": False, "status": 422, "message": body["message"]}
    assert body["message"].startswith("Invalid input: Validation errors: Page size")


def test_search_sorts_by_name_date_created_and_date_modified_in_both_directions(copper_sandbox):
    companies = copper_sandbox.companies()
    for sort_by, key in (
        ("name", lambda c: (c["name"].lower(), c["id"])),
        ("date_modified", lambda c: (c["date_modified"], c["id"])),
        ("date_created", lambda c: (c["date_created"], c["id"])),
    ):
        for direction in ("asc", "desc"):
            rows = search(copper_sandbox, page_size=200, sort_by=sort_by, sort_direction=direction)[2]
            expected = sorted(companies, key=key, reverse=direction == "desc")
            assert ids_of(rows) == ids_of(expected), (sort_by, direction)
    assert search(copper_sandbox, sort_by="colour")[0] == 422


def test_minimum_and_maximum_modified_dates_are_inclusive(copper_sandbox):
    companies = sorted(copper_sandbox.companies(), key=lambda c: c["date_modified"])
    mark = companies[40]["date_modified"]
    rows = search(copper_sandbox, page_size=200, minimum_modified_date=mark)[2]
    assert ids_of(rows) == ids_of([c for c in companies if c["date_modified"] >= mark])
    assert companies[40]["id"] in ids_of(rows)
    rows = search(copper_sandbox, page_size=200, maximum_modified_date=str(mark))[2]
    assert set(ids_of(rows)) == {c["id"] for c in companies if c["date_modified"] <= mark}


def test_search_by_ids_answers_only_those_companies(copper_sandbox):
    wanted = copper_sandbox.company_ids()[5:9]
    status, headers, rows = search(copper_sandbox, ids=wanted + [1], page_size=200)
    assert sorted(ids_of(rows)) == wanted
    assert headers["X-PW-TOTAL"] == "4"


def test_custom_field_filters_match_checkbox_dropdown_and_string_values(copper_sandbox):
    active_id = copper_sandbox.definition_id("Active Customer")
    type_def = next(d for d in copper_sandbox.definitions if d["name"] == "Account Type")
    wholesale = next(o["id"] for o in type_def["options"] if o["name"] == "Wholesale")
    order_id = copper_sandbox.definition_id("Account Order ID")
    companies = copper_sandbox.companies()

    def value(company, def_id):
        return next(f["value"] for f in company["custom_fields"] if f["custom_field_definition_id"] == def_id)

    rows = search(
        copper_sandbox,
        page_size=200,
        custom_fields=[{"custom_field_definition_id": active_id, "value": True}],
    )[2]
    assert set(ids_of(rows)) == {c["id"] for c in companies if value(c, active_id) is True}
    assert 0 < len(rows) < 60
    filters = [{"custom_field_definition_id": type_def["id"], "value": [wholesale]}]
    rows = search(copper_sandbox, page_size=200, custom_fields=filters)[2]
    assert set(ids_of(rows)) == {c["id"] for c in companies if value(c, type_def["id"]) == wholesale}
    target = next(c for c in companies if value(c, order_id))
    filters = [{"custom_field_definition_id": order_id, "value": value(target, order_id)}]
    rows = search(copper_sandbox, page_size=200, custom_fields=filters)[2]
    assert target["id"] in ids_of(rows)
    assert all(value(row, order_id) == value(target, order_id) for row in rows)


def test_an_unknown_search_attribute_is_rejected_like_copper_does(copper_sandbox):
    status, _, body = search(copper_sandbox, pageSize=10)
    assert (status, body) == (422, fixture("error_422_unknown_attribute.json"))


def test_an_unknown_company_or_route_is_404_not_found(copper_sandbox):
    expected = fixture("error_404_not_found.json")
    assert copper_sandbox.request("GET", "/companies/1")[::2] == (404, expected)
    assert copper_sandbox.request("PUT", "/companies/1", {"name": "x"})[::2] == (404, expected)
    assert copper_sandbox.request("GET", "/opportunities")[::2] == (404, expected)


def test_a_company_is_served_under_both_base_paths(copper_sandbox):
    company_id = copper_sandbox.company_ids()[0]
    plain = copper_sandbox.request("GET", f"/companies/{company_id}")
    prefixed = copper_sandbox.request("GET", f"/developer_api/v1/companies/{company_id}")
    assert plain[0] == prefixed[0] == 200
    assert plain[2] == prefixed[2] == copper_sandbox.company(company_id)


def test_put_changes_only_the_keys_sent_and_merges_custom_fields(copper_sandbox):
    company_id = copper_sandbox.company_ids()[3]
    before = copper_sandbox.company(company_id)
    spent, region = copper_sandbox.definition_id("Total Spent"), copper_sandbox.definition_id("Region")
    body = {
        "details": "Prefers morning deliveries",
        "custom_fields": [{"custom_field_definition_id": spent, "value": 1234.5}],
    }
    status, _, answer = copper_sandbox.request("PUT", f"/companies/{company_id}", body)
    assert status == 200
    after = copper_sandbox.company(company_id)
    assert answer == after
    assert after["details"] == "Prefers morning deliveries"
    assert copper_sandbox.custom_field_value(company_id, "Total Spent") == 1234.5
    assert after["date_modified"] > before["date_modified"]
    untouched = {k for k in before if k not in ("details", "custom_fields", "date_modified")}
    assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}
    changed = [
        b["custom_field_definition_id"]
        for b, a in zip(before["custom_fields"], after["custom_fields"], strict=True)
        if a != b
    ]
    assert changed == [spent]
    assert region in [f["custom_field_definition_id"] for f in after["custom_fields"]]
    # null clears a field, as Copper's "send it as null"
    copper_sandbox.request(
        "PUT",
        f"/companies/{company_id}",
        {"custom_fields": [{"custom_field_definition_id": spent, "value": None}]},
    )
    assert copper_sandbox.custom_field_value(company_id, "Total Spent") is None


def test_put_with_an_unknown_attribute_is_rejected_and_changes_nothing(copper_sandbox):
    company_id = copper_sandbox.company_ids()[0]
    before = copper_sandbox.company(company_id)
    status, _, body = copper_sandbox.request(
        "PUT", f"/companies/{company_id}", {"name": "New", "Total Spent cf_123": 5}
    )
    assert status == 422
    assert set(body) == set(fixture("error_422_unknown_attribute.json"))
    assert (
        body["message"]
        == "Invalid input: Validation errors: Base: Unrecognized attributes specified: Total Spent cf_123"
    )
    assert copper_sandbox.company(company_id) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Total Spent", "a lot"),
        ("Last Order Date", "2026-01-31"),
        ("Active Customer", "checked"),
        ("Account Type", 12345),
        ("Account Order ID", 1160),
    ],
)
def test_put_with_a_wrongly_typed_custom_field_is_a_validation_422(copper_sandbox, field, value):
    company_id = copper_sandbox.company_ids()[0]
    before = copper_sandbox.company(company_id)
    entry = {"custom_field_definition_id": copper_sandbox.definition_id(field), "value": value}
    status, _, body = copper_sandbox.request("PUT", f"/companies/{company_id}", {"custom_fields": [entry]})
    assert status == 422
    assert set(body) == set(fixture("error_422_validation.json"))
    assert body["message"].startswith("Invalid input: Validation errors: Custom fields: " + field)
    assert copper_sandbox.company(company_id) == before


def test_a_blank_name_or_a_taken_email_domain_is_refused(copper_sandbox):
    first, second = copper_sandbox.companies()[:2]
    status, _, body = copper_sandbox.request("PUT", f"/companies/{first['id']}", {"name": " "})
    assert (status, body) == (422, fixture("error_422_validation.json"))
    taken = next(c["email_domain"] for c in copper_sandbox.companies() if c["email_domain"])
    other = next(c for c in copper_sandbox.companies() if c["email_domain"] != taken)
    status, _, body = copper_sandbox.request("PUT", f"/companies/{other['id']}", {"email_domain": taken})
    assert status == 422 and "Email domain" in body["message"]
    assert second == copper_sandbox.company(second["id"])


def test_the_recorded_fixture_company_round_trips_through_put(copper_sandbox):
    recorded = fixture("companies_search_page.json")[0]
    company_id = copper_sandbox.company_ids()[0]
    status, _, answer = copper_sandbox.request("PUT", f"/companies/{company_id}", recorded)
    assert status == 200
    assert answer["id"] == company_id
    for key in (
        "name",
        "address",
        "assignee_id",
        "details",
        "email_domain",
        "tags",
        "websites",
        "phone_numbers",
    ):
        assert answer[key] == recorded[key]
    stored = {
        f["custom_field_definition_id"]: f["value"]
        for f in copper_sandbox.company(company_id)["custom_fields"]
    }
    for entry in recorded["custom_fields"]:
        assert stored[entry["custom_field_definition_id"]] == entry["value"]
    # and a search page has exactly the recorded shape
    row = search(copper_sandbox, ids=[company_id])[2][0]
    assert set(row) == set(recorded)


def test_the_recorded_fixture_definitions_are_served_unchanged(copper_sandbox):
    status, _, served = copper_sandbox.request("GET", "/custom_field_definitions")
    assert status == 200
    by_id = {d["id"]: d for d in served}
    for recorded in fixture("custom_field_definitions.json"):
        assert by_id[recorded["id"]] == recorded
    business = {d["name"] for d in served}
    assert {"Account Order ID", "Active Customer", "Account Type", "Region", "Total Spent"} <= business


def test_every_company_lists_every_company_definition_unset_as_copper_writes_it(copper_sandbox):
    definitions = [d for d in copper_sandbox.definitions if "company" in d["available_on"]]
    assert len(definitions) < len(copper_sandbox.definitions)  # the person-only field is left out
    unset = {"MultiSelect": [], "Connect": [], "Checkbox": False}
    for company in copper_sandbox.companies():
        assert [f["custom_field_definition_id"] for f in company["custom_fields"]] == [
            d["id"] for d in definitions
        ]
        for definition, entry in zip(definitions, company["custom_fields"], strict=True):
            if entry["value"] in (None, [], False):
                assert entry["value"] == unset.get(definition["data_type"])


def test_users_definitions_and_account_are_served(copper_sandbox):
    status, headers, users = copper_sandbox.request("POST", "/users/search", {"page_size": 200})
    assert status == 200 and headers["X-PW-TOTAL"] == "12"
    assert len(users) == 12 and set(users[0]) == {"id", "name", "email"}
    status, _, account = copper_sandbox.request("GET", "/account")
    assert status == 200 and set(account) == {"id", "name"}


def test_companies_can_be_created_and_deleted(copper_sandbox):
    status, _, body = copper_sandbox.request("POST", "/companies", {"details": "no name"})
    assert status == 422 and body["message"].endswith("Name: can't be blank")
    status, _, created = copper_sandbox.request("POST", "/companies", {"name": "Fresh Beans LLC"})
    assert status == 200 and copper_sandbox.company(created["id"])["name"] == "Fresh Beans LLC"
    assert len(created["custom_fields"]) == len(
        copper_sandbox.company(copper_sandbox.company_ids()[0])["custom_fields"]
    )
    assert copper_sandbox.request("DELETE", f"/companies/{created['id']}")[0] == 200
    assert copper_sandbox.request("GET", f"/companies/{created['id']}")[0] == 404


def test_the_rolling_rate_limit_answers_429_and_counts_them(copper_sandbox_factory):
    sandbox = copper_sandbox_factory(rate_limit=5)
    statuses = [sandbox.request("GET", "/account")[0] for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    stats = sandbox.stats()
    assert (stats["requests"], stats["responses_429"], stats["rate_limited"]) == (8, 3, 3)
    # the control endpoints are never limited
    assert sandbox.request("GET", "/_sandbox/stats")[0] == 200
    assert sandbox.request("POST", "/_sandbox/stats/reset")[2]["requests"] == 0


def test_fault_injection_answers_429s_with_and_without_retry_after_5xx_and_slow_responses(
    copper_sandbox_factory,
):
    sandbox = copper_sandbox_factory(fault_rate=1.0, slow_seconds=0.01)
    answers = [sandbox.request("GET", "/account")[:2] for _ in range(60)]
    statuses = {status for status, _ in answers}
    assert statuses == {200, 429, 500, 502, 503}  # 200: the slow ones still answer
    retry_after = {headers.get("Retry-After") for status, headers in answers if status == 429}
    assert retry_after == {"1", None}
    assert sum(sandbox.stats()["faults"].values()) == 60


def test_edits_survive_a_restart(copper_sandbox_factory, tmp_path):
    state = tmp_path / "state.sqlite3"
    sandbox = copper_sandbox_factory(state_path=state)
    company_id = sandbox.company_ids()[7]
    sandbox.request("PUT", f"/companies/{company_id}", {"name": "Renamed Roasters"})
    sandbox.server.shutdown()
    sandbox.server.server_close()
    again = copper_sandbox_factory(state_path=state)
    assert again.request("GET", f"/companies/{company_id}")[2]["name"] == "Renamed Roasters"
    with pytest.raises(SandboxStateMismatch):
        SandboxStore.open(state, seed=8, companies=60)
    fresh = copper_sandbox_factory(state_path=state, reset=True)
    assert fresh.company(company_id)["name"] != "Renamed Roasters"


def test_the_sandbox_serves_the_companies_demo_data_writes(copper_sandbox, tmp_path):
    demo_world_write(out_dir=tmp_path / "demo", seed=7, companies=60)
    written = [
        json.loads(line) for line in (tmp_path / "demo/copper/companies.jsonl").read_text().splitlines()
    ]
    assert written == copper_sandbox.companies() == [c.copper for c in iter_companies(7, 60)]


def test_the_copper_client_pulls_every_company_exactly_once_through_faults(copper_sandbox_factory):
    sandbox = copper_sandbox_factory(companies=450, fault_rate=0.3, slow_seconds=0.01)
    client = CopperClient(
        api_key="k", user_email="e@example.com", base_url=sandbox.base_url, rate_per_minute=None,
        backoff_base=0.001, backoff_max=0.01, max_retries=20, sleep=lambda seconds: time.sleep(min(seconds, 0.01)),
    )  # fmt: skip
    pulled = [row["id"] for page in client.companies_search() for row in page]
    assert sorted(pulled) == sandbox.company_ids()
    with pytest.raises(CopperValidationError):
        client.company_update(pulled[0], {"bogus": 1})


def test_the_command_refuses_a_fault_rate_outside_zero_to_one():
    with pytest.raises(CommandError, match="--fault-rate"):
        call_command("copper_sandbox", fault_rate=1.5)


def test_the_command_refuses_a_state_file_holding_another_world(tmp_path):
    state = tmp_path / "other.sqlite3"
    SandboxStore.open(state, seed=7, companies=20).close()
    with pytest.raises(CommandError, match="--reset"):
        call_command("copper_sandbox", state=state, seed=8, companies=20, port=0, stdout=io.StringIO())


def test_the_control_endpoints_read_and_edit_raw_state_without_headers_or_limits(copper_sandbox_factory):
    sandbox = copper_sandbox_factory(rate_limit=1)
    company_id = sandbox.company_ids()[2]
    status, _, raw = sandbox.request("GET", f"/_sandbox/companies/{company_id}", headers={})
    assert (status, raw) == (200, sandbox.company(company_id))
    status, _, edited = sandbox.request(
        "PUT",
        f"/_sandbox/companies/{company_id}",
        {"name": "Back-dated", "date_modified": 1_600_000_000},
        headers={},
    )
    assert status == 200 and (edited["name"], edited["date_modified"]) == ("Back-dated", 1_600_000_000)
    assert sandbox.request("DELETE", f"/_sandbox/companies/{company_id}", headers={})[0] == 200
    assert sandbox.request("GET", f"/_sandbox/companies/{company_id}", headers={})[0] == 404
    assert sandbox.stats()["requests"] == 0  # none of these counted against Copper's limit


def test_every_date_the_sandbox_world_holds_is_local_midnight_of_the_account_as_in_copper():
    zone = zoneinfo.ZoneInfo(ACCOUNT_TIMEZONE)
    dates = {d["id"] for d in demo_definitions(7) if d["data_type"] == "Date"}
    seen = 0
    for company in iter_companies(7, 400):
        for field in company.copper["custom_fields"]:
            if field["custom_field_definition_id"] in dates and field["value"] is not None:
                local = dt.datetime.fromtimestamp(field["value"], tz=zone)
                assert (local.hour, local.minute, local.second) == (0, 0, 0), (company.copper["name"], local)
                seen += 1
    assert seen > 100  # the world does hold dates: first/last order and sample-kit dates
