"""The Copper client: Copper's headers, paging to the end, pacing, retries, typed errors in Copper's words."""

import json
import random
from pathlib import Path

import pytest
import requests
import responses

from copper.client import CopperClient, copper_client_from_settings
from copper.errors import (
    CopperAuthError,
    CopperConfigurationError,
    CopperError,
    CopperNotFound,
    CopperRateLimited,
    CopperServerError,
    CopperValidationError,
)

BASE = "https://copper.test/developer_api/v1"
FIXTURES = Path(__file__).parent / "fixtures" / "copper"
SEARCH = f"{BASE}/companies/search"


class FakeTime:
    """A clock that only moves when someone sleeps; records every sleep requested."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def client(fake_time):
    return make_client(fake_time)


def make_client(fake_time, **overrides):
    options = {
        "api_key": "key-123",
        "user_email": "owner@example.com",
        "base_url": BASE,
        "rate_per_minute": None,
        "max_retries": 3,
        "backoff_base": 1.0,
        "sleep": fake_time.sleep,
        "clock": fake_time.clock,
        "rng": random.Random(4),
    }
    options.update(overrides)
    return CopperClient(**options)


def companies(first_id, count):
    return [
        {"id": first_id + i, "name": f"Company {first_id + i}", "date_modified": 1_700_000_000 + i}
        for i in range(count)
    ]


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def sent(call):
    return json.loads(call.request.body) if call.request.body else None


@responses.activate
def test_every_request_carries_coppers_four_headers_and_a_get_carries_no_body(client):
    responses.get(f"{BASE}/account", json={"id": 1, "name": "Acme"})
    assert client.account() == {"id": 1, "name": "Acme"}
    request = responses.calls[0].request
    assert request.headers["X-PW-AccessToken"] == "key-123"
    assert request.headers["X-PW-Application"] == "developer_api"
    assert request.headers["X-PW-UserEmail"] == "owner@example.com"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body is None


@responses.activate
def test_every_call_has_a_timeout(fake_time):
    client = make_client(fake_time, timeout=4.5)
    seen = []
    original = client.session.request

    def spy(*args, **kwargs):
        seen.append(kwargs.get("timeout"))
        return original(*args, **kwargs)

    client.session.request = spy
    responses.get(f"{BASE}/custom_field_definitions", json=[])
    responses.post(f"{BASE}/users/search", json=[])
    client.custom_field_definitions()
    client.users()
    assert seen == [4.5, 4.5]


@responses.activate
def test_search_reads_every_page_until_a_short_page(client):
    rows = companies(1, 450)
    for start in (0, 200, 400):
        responses.post(SEARCH, json=rows[start : start + 200], headers={"X-PW-TOTAL": "450"})
    totals = []
    pages = list(client.companies_search({"minimum_modified_date": 5}, on_total=totals.append))
    assert [len(page) for page in pages] == [200, 200, 50]
    assert [row["id"] for page in pages for row in page] == list(range(1, 451))
    bodies = [sent(call) for call in responses.calls]
    assert [b["page_number"] for b in bodies] == [1, 2, 3]
    assert {
        (b["page_size"], b["sort_by"], b["sort_direction"], b["minimum_modified_date"]) for b in bodies
    } == {(200, "date_modified", "asc", 5)}
    assert totals == [450]
    assert client.last_page_info.total_estimate == 450


@responses.activate
def test_an_exactly_full_last_page_is_confirmed_by_one_empty_page(client):
    rows = companies(1, 400)
    responses.post(SEARCH, json=rows[:200], headers={"X-PW-TOTAL": "400"})
    responses.post(SEARCH, json=rows[200:], headers={"X-PW-TOTAL": "400"})
    responses.post(SEARCH, json=[], headers={"X-PW-TOTAL": "400"})
    pages = list(client.companies_search())
    assert sum(len(page) for page in pages) == 400
    assert len(responses.calls) == 3


@responses.activate
def test_a_company_that_shifts_onto_the_next_page_is_returned_once(client):
    first = companies(1, 200)
    second = [first[-1], *companies(201, 50)]  # a row moved down while we paged
    responses.post(SEARCH, json=first)
    responses.post(SEARCH, json=second)
    ids = [row["id"] for page in client.companies_search() for row in page]
    assert sorted(ids) == list(range(1, 251))
    assert client.last_page_info.duplicates == 1


@responses.activate
def test_an_empty_search_makes_one_request_and_yields_nothing(client):
    responses.post(SEARCH, json=[], headers={"X-PW-TOTAL": "0"})
    assert list(client.companies_search()) == []
    assert len(responses.calls) == 1


@responses.activate
def test_users_are_read_page_by_page(client):
    responses.post(f"{BASE}/users/search", json=[{"id": i, "name": f"U{i}", "email": ""} for i in range(200)])
    responses.post(f"{BASE}/users/search", json=[{"id": 500, "name": "Last", "email": "l@x.com"}])
    assert len(client.users()) == 201
    assert [sent(c)["page_number"] for c in responses.calls] == [1, 2]


@responses.activate
def test_a_429_with_retry_after_waits_exactly_as_told(client, fake_time):
    responses.post(SEARCH, status=429, headers={"Retry-After": "7"})
    responses.post(SEARCH, json=companies(1, 3))
    assert sum(len(p) for p in client.companies_search()) == 3
    assert fake_time.sleeps == [7.0]
    assert client.stats.rate_limited == 1
    assert client.stats.requests == 2


@responses.activate
def test_a_429_without_retry_after_backs_off_exponentially_with_jitter(client, fake_time):
    for _ in range(3):
        responses.get(f"{BASE}/account", status=429)
    responses.get(f"{BASE}/account", json={"id": 1})
    client.account()
    assert len(fake_time.sleeps) == 3
    for attempt, slept in enumerate(fake_time.sleeps):
        step = 1.0 * 2**attempt
        assert step / 2 <= slept <= step
    # Jitter: not exactly the exponential steps.
    assert fake_time.sleeps != [1.0, 2.0, 4.0]


@responses.activate
def test_a_429_that_never_ends_is_retried_longer_than_coppers_60_second_window_then_raises(client, fake_time):
    responses.get(f"{BASE}/account", status=429)
    with pytest.raises(CopperRateLimited, match="429"):
        client.account()
    assert sum(fake_time.sleeps) >= 90  # the retry budget, longer than the window someone else is spending
    assert max(fake_time.sleeps) <= 20  # capped backoff: the first free slot is not missed by minutes
    assert len(responses.calls) == len(fake_time.sleeps) + 1


@responses.activate
def test_a_429_lasting_a_whole_window_is_survived_honouring_retry_after(client, fake_time):
    # Another integration spends the account's limit for 70 s: every answer until then is a 429.
    started = fake_time.now

    def answer(request):
        if fake_time.now - started < 70:
            return 429, {"Retry-After": "7"}, "{}"
        return 200, {}, json.dumps({"id": 1})

    responses.add_callback(responses.GET, f"{BASE}/account", callback=answer)
    assert client.account() == {"id": 1}
    assert set(fake_time.sleeps) == {7.0}
    assert client.stats.rate_limited == 10


@responses.activate
def test_a_server_error_is_retried_and_then_succeeds(client, fake_time):
    responses.get(f"{BASE}/companies/7", status=502, body="Bad gateway")
    responses.get(f"{BASE}/companies/7", json={"id": 7, "name": "Seven"})
    assert client.company_get(7)["name"] == "Seven"
    assert len(fake_time.sleeps) == 1
    assert client.stats.server_errors == 1


@responses.activate
def test_server_errors_are_retried_a_bounded_number_of_times_then_raise(client):
    responses.get(f"{BASE}/companies/7", status=503, json={"message": "down for maintenance"})
    with pytest.raises(CopperServerError, match="down for maintenance"):
        client.company_get(7)
    assert len(responses.calls) == 4


@responses.activate
def test_connection_errors_and_timeouts_are_retried(client):
    responses.get(f"{BASE}/account", body=requests.ConnectionError("reset by peer"))
    responses.get(f"{BASE}/account", body=requests.Timeout("read timed out"))
    responses.get(f"{BASE}/account", json={"id": 1})
    assert client.account() == {"id": 1}
    assert client.stats.connection_errors == 2


@responses.activate
def test_a_422_surfaces_coppers_message_and_is_not_retried(client):
    responses.put(f"{BASE}/companies/9", status=422, json=fixture("error_422_validation.json"))
    with pytest.raises(CopperValidationError) as raised:
        client.company_update(9, {"name": ""})
    assert str(raised.value) == "Invalid input: Validation errors: Name: can't be blank"
    assert raised.value.status == 422
    assert len(responses.calls) == 1


@responses.activate
def test_an_unknown_attribute_is_a_validation_error_naming_it(client):
    responses.post(SEARCH, status=422, json=fixture("error_422_unknown_attribute.json"))
    with pytest.raises(CopperValidationError, match="Unrecognized attributes specified: pageSize"):
        list(client.companies_search())


@responses.activate
def test_a_404_is_not_found_and_a_401_is_an_auth_error(client):
    responses.get(f"{BASE}/companies/404", status=404, json=fixture("error_404_not_found.json"))
    responses.get(f"{BASE}/account", status=401, body="Unauthorized")
    with pytest.raises(CopperNotFound, match="not_found"):
        client.company_get(404)
    with pytest.raises(CopperAuthError, match="COPPER_API_KEY"):
        client.account()
    assert len(responses.calls) == 2


@responses.activate
def test_an_html_400_is_a_copper_error_with_the_start_of_the_page(client):
    responses.get(f"{BASE}/account", status=400, body="<html>Bad Request</html>")
    with pytest.raises(CopperError, match="400.*Bad Request"):
        client.account()


@responses.activate
def test_company_update_puts_only_the_given_keys_and_returns_the_company(client):
    responses.put(f"{BASE}/companies/5", json={"id": 5, "name": "New"})
    assert client.company_update(5, {"name": "New"}) == {"id": 5, "name": "New"}
    assert responses.calls[0].request.method == "PUT"
    assert sent(responses.calls[0]) == {"name": "New"}


@responses.activate
def test_companies_by_ids_reads_in_batches_of_200(client):
    def answer(request):
        ids = json.loads(request.body)["ids"]
        return 200, {}, json.dumps([{"id": i} for i in ids if i != 3])  # 3 was deleted in Copper

    responses.add_callback(responses.POST, SEARCH, callback=answer)
    got = list(client.companies_by_ids(range(1, 451)))
    assert [len(sent(c)["ids"]) for c in responses.calls] == [200, 200, 50]
    assert len(got) == 449


@responses.activate
def test_a_small_job_runs_at_network_speed_and_a_large_one_at_exactly_the_window_limit(fake_time):
    client = make_client(fake_time, rate_per_minute=175)
    responses.get(f"{BASE}/account", json={"id": 1})
    for _ in range(175):
        client.account()
    assert fake_time.sleeps == []  # no spacing: 175 requests fit in the window
    sent_at = []
    for _ in range(175):
        client.account()
        sent_at.append(fake_time.now)
    # The 176th waits for the first to leave the window, and so on: never more than 175 in any 60 s.
    assert sent_at[0] == pytest.approx(1060.0)
    assert sent_at[-1] == pytest.approx(1060.0)
    assert client.stats.paced_seconds == pytest.approx(60.0)


def test_a_missing_key_is_a_configuration_error_naming_the_setting(settings):
    settings.COPPER_API_KEY = ""
    settings.COPPER_USER_EMAIL = "owner@example.com"
    with pytest.raises(CopperConfigurationError, match="COPPER_API_KEY is not set"):
        copper_client_from_settings()
    settings.COPPER_API_KEY = "k"
    settings.COPPER_USER_EMAIL = ""
    with pytest.raises(CopperConfigurationError, match="COPPER_USER_EMAIL is not set"):
        copper_client_from_settings()


def test_the_client_from_settings_uses_the_configured_url_limit_and_retries(settings):
    settings.COPPER_API_KEY = "k"
    settings.COPPER_USER_EMAIL = "e@example.com"
    settings.COPPER_BASE_URL = "http://127.0.0.1:9/v1/"
    settings.COPPER_MAX_RETRIES = 7
    settings.COPPER_RATE_LIMIT_PER_MINUTE = 0
    client = copper_client_from_settings()
    assert client.base_url == "http://127.0.0.1:9/v1"
    assert client.max_retries == 7
    assert client.limiter.acquire() == 0.0
    assert type(client.limiter).__name__ == "NoLimit"
