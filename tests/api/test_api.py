"""The REST API: nobody reads anonymously, read-only tokens never write, lists page, filter and export."""

import pytest

from syncs.models import SyncRun
from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db


def test_anonymous_requests_are_refused_with_the_error_shape(api, world):
    response = api.get("/api/v1/copper-companies/")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def test_the_schema_is_not_readable_anonymously(api):
    assert api.get("/api/v1/schema/").status_code == 401


def test_a_token_reads_companies_page_by_page_without_repeats(api, reporter, world):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    seen, url = [], "/api/v1/copper-companies/?page_size=10"
    while url:
        body = api.get(url).json()
        seen += [row["copper_id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == [c.copper_id for c in world["companies"]]
    assert len(seen) == len(set(seen))


def test_a_revoked_or_unknown_token_is_refused(api, reporter, world):
    from django.utils import timezone

    from copperhub.api.models import ApiToken

    key = make_token(reporter, read_only=True)
    ApiToken.objects.update(revoked_at=timezone.now())
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/copper-companies/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.get("/api/v1/copper-companies/").status_code == 401


def test_filters_narrow_the_list(api, reporter, world):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    active = api.get("/api/v1/copper-companies/?is_active_customer=true&page_size=100").json()["results"]
    assert len(active) == 20
    unmatched = api.get("/api/v1/sales-orders/?unmatched=true").json()["results"]
    assert {row["number"] for row in unmatched} == {f"SO-{i:03d}" for i in range(0, 30, 6)}
    linked = api.get("/api/v1/copper-companies/?has_fishbowl_customer=true&page_size=100").json()["results"]
    assert len(linked) == 10


def test_orders_carry_their_revenue_as_the_sum_of_lines(api, reporter, world):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    row = api.get("/api/v1/sales-orders/?customer_account_number=1001").json()["results"][0]
    assert row["revenue"] == "100.00"
    assert row["line_count"] == 2


def test_ordering_is_honoured(api, reporter, world):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    names = [
        r["name"] for r in api.get("/api/v1/copper-companies/?ordering=-name&page_size=3").json()["results"]
    ]
    assert names == ["Company 24", "Company 23", "Company 22"]


def test_csv_export_streams_every_filtered_row(api, reporter, world):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    response = api.get("/api/v1/fishbowl-customers/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("id,account_number,")
    assert len(lines) == 1 + 10


def test_a_read_only_token_cannot_start_a_pull_even_for_a_permitted_user(api, operator):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(operator, read_only=True)}")
    response = api.post("/api/v1/copper-pulls/", {"full": True}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["error"]["message"]
    assert not SyncRun.objects.exists()


def test_a_write_token_without_the_permission_cannot_start_a_pull(api, reporter):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=False)}")
    assert api.post("/api/v1/copper-pulls/", {}, format="json").status_code == 403
    assert not SyncRun.objects.exists()


def test_a_permitted_write_token_starts_a_pull_and_gets_its_progress_url(api, operator, monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(operator, read_only=False)}")
    response = api.post("/api/v1/copper-pulls/", {"full": True}, format="json")
    assert response.status_code == 202
    body = response.json()
    run = SyncRun.objects.get(pk=body["id"])
    assert run.options == {"full": True} and run.status == "queued"
    progress = api.get(body["progress_url"]).json()
    assert progress["progress"]["status"] == "queued"


def test_starting_a_second_pull_while_one_is_active_is_a_conflict(api, operator, monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(operator, read_only=False)}")
    api.post("/api/v1/copper-pulls/", {}, format="json")
    response = api.post("/api/v1/copper-pulls/", {}, format="json")
    assert response.status_code == 409
    assert "already" in response.json()["error"]["message"]


def test_bad_input_is_a_400_naming_the_field(api, operator):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(operator, read_only=False)}")
    response = api.post("/api/v1/customer-syncs/", {"apply": "perhaps"}, format="json")
    assert response.status_code == 400
    assert "apply" in response.json()["error"]["fields"]


def test_an_unknown_object_is_a_404_in_the_error_shape(api, reporter, world):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    response = api.get("/api/v1/sync-runs/999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_session_auth_works_for_a_logged_in_browser(client, staff_user, world):
    client.force_login(staff_user)
    assert client.get("/api/v1/copper-companies/").status_code == 200
