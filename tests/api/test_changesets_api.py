"""Change sets over the API: read them and their changes; approve / reject / apply / roll back with the admin's
rules (second person, permissions, state, staleness); and the sales metrics per linked customer."""

import base64
import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from metrics.models import Change, ChangeSet
from metrics.selectors import metrics_for_customers
from metrics.services import changesets
from metrics.services.changesets import (
    CHANGE_SET_NOT_APPLIED,
    CHANGE_SET_NOT_APPROVED,
    CHANGE_SET_NOT_AWAITING,
    CHANGE_SET_SELF_APPROVAL,
    CHANGE_SET_TOO_OLD,
    change_set_apply,
    change_set_approve,
    change_set_build,
)
from metrics.values import products_text
from syncs.models import SyncRun
from syncs.services.runs import sync_run_execute
from tests.api.conftest import make_token
from tests.metrics.metrics_world import AS_OF, FakeCopper, mappings_create, world_create

pytestmark = pytest.mark.django_db
Status = ChangeSet.Status


@pytest.fixture
def push_world():
    companies = world_create()
    mappings_create()
    return companies


@pytest.fixture
def fake(push_world):
    return FakeCopper(list(push_world.values()))


@pytest.fixture
def built(fake, staff_user):
    """A dry-run set built by alice (13 changes on three companies, Cedar's falling total flagged)."""
    return change_set_build(client=fake, user=staff_user, as_of=AS_OF)


def _as(api, user, *, read_only=False):
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(user, read_only=read_only)}")
    return api


def _error(response, status):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["status"] == status
    return error


@pytest.fixture
def no_worker(monkeypatch):
    """Runs are queued, not sent to a worker; a test executes them itself against the fake Copper."""
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")


# --- reading ------------------------------------------------------------------------------------------------
def test_change_sets_are_not_readable_anonymously(api, built):
    _error(api.get("/api/v1/change-sets/"), 401)
    _error(api.get(f"/api/v1/change-sets/{built.pk}/changes/"), 401)


def test_the_list_shows_each_set_with_who_built_it_its_counts_and_filters_by_status(
    api, built, fake, staff_user, second_staff_user, reporter
):
    other = change_set_build(client=fake, user=staff_user, as_of=AS_OF)
    change_set_approve(change_set=other, user=second_staff_user)
    _as(api, reporter, read_only=True)
    rows = api.get("/api/v1/change-sets/").json()["results"]
    assert [row["id"] for row in rows] == [other.pk, built.pk]
    assert rows[1]["built_by"] == "alice" and rows[1]["approved_by"] is None
    assert rows[1]["counts"]["changes"] == 13
    assert (rows[1]["source_run_id"], rows[1]["rollback_of_id"]) == (None, None)
    approved = api.get("/api/v1/change-sets/?status=approved").json()["results"]
    assert [(row["id"], row["approved_by"]) for row in approved] == [(other.pk, "bob")]
    assert api.get("/api/v1/change-sets/?is_rollback=true").json()["results"] == []


def test_the_detail_counts_the_changes_per_outcome(api, built, reporter):
    body = _as(api, reporter, read_only=True).get(f"/api/v1/change-sets/{built.pk}/").json()
    assert body["status"] == "built"
    assert body["outcome_counts"] == {"pending": 13}
    assert body["changes_url"] == f"/api/v1/change-sets/{built.pk}/changes/"
    assert {item["metric"] for item in body["mapping_snapshot"]} >= {"total_orders", "total_spent"}


def test_the_changes_show_raw_and_readable_values_and_filter_by_field_flag_and_outcome(api, built, reporter):
    _as(api, reporter, read_only=True)
    url = f"/api/v1/change-sets/{built.pk}/changes/"
    assert len(api.get(url).json()["results"]) == 13
    spent = api.get(url + "?field_name=Total Spent").json()["results"]
    assert sorted(row["company_id"] for row in spent) == [101, 102, 103]
    birch = next(row for row in spent if row["company_id"] == 102)
    assert (birch["company_name"], birch["data_type"]) == ("Birch Market", "Currency")
    assert (birch["old_value"], birch["new_value"]) == (500.0, 600.0)
    assert (birch["old_display"], birch["new_display"]) == ("500.00", "600.00")
    assert (birch["rule"], birch["outcome"]) == ("Total Spent (overwrite)", "pending")
    flagged = api.get(url + "?flagged=true").json()["results"]
    expected = Change.objects.filter(change_set=built, flagged=True)
    assert {row["id"] for row in flagged} == set(expected.values_list("id", flat=True))
    assert any(row["flags"] == ["went_down"] and row["company_id"] == 103 for row in flagged)
    assert api.get(url + "?outcome=applied").json()["results"] == []
    _error(api.get(url + "?outcome=exploded"), 400)


def test_the_changes_export_as_csv(api, built, reporter):
    response = _as(api, reporter, read_only=True).get(
        f"/api/v1/change-sets/{built.pk}/changes/?format=csv&field_name=Total Spent"
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["company_name"] for row in rows) == ["Acme Farms", "Birch Market", "Cedar Co"]
    assert {row["new_display"] for row in rows if row["company_id"] == "102"} == {"600.00"}


def test_an_unknown_change_set_is_a_json_404_everywhere(api, second_staff_user):
    _as(api, second_staff_user)
    for url in ["/api/v1/change-sets/999999/", "/api/v1/change-sets/999999/changes/"]:
        _error(api.get(url), 404)
    for action in ["approve", "reject", "apply", "rollback"]:
        _error(api.post(f"/api/v1/change-sets/999999/{action}/", {"reason": "x"}, format="json"), 404)


@pytest.mark.parametrize("position", ["abc", "1e5", "9" * 30, "2026-13-45"])
@pytest.mark.parametrize(
    "url", ["/api/v1/change-sets/", "/api/v1/change-sets/?ordering=built_at", "/api/v1/metrics/"]
)
def test_a_hand_made_cursor_names_no_page_and_is_not_a_server_error(api, built, reporter, url, position):
    cursor = base64.b64encode(f"o=0&r=0&p={position}".encode()).decode()
    response = _as(api, reporter, read_only=True).get(f"{url}{'&' if '?' in url else '?'}cursor={cursor}")
    assert "cursor" in _error(response, 404)["message"]


# --- approve / reject ---------------------------------------------------------------------------------------
def test_a_second_person_approves_and_the_history_records_them(api, built, second_staff_user):
    response = _as(api, second_staff_user).post(f"/api/v1/change-sets/{built.pk}/approve/")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["approved_by"]) == ("approved", "bob")
    built.refresh_from_db()
    assert (built.status, built.approved_by) == (Status.APPROVED, second_staff_user)
    assert built.history.latest().history_user == second_staff_user


def test_the_builder_cannot_approve_their_own_set(api, built, staff_user):
    error = _error(_as(api, staff_user).post(f"/api/v1/change-sets/{built.pk}/approve/"), 403)
    assert error["message"] == CHANGE_SET_SELF_APPROVAL.format(pk=built.pk, user="alice")
    built.refresh_from_db()
    assert built.status == Status.BUILT


def test_approving_an_applied_set_is_a_state_conflict(api, built, fake, second_staff_user):
    change_set_approve(change_set=built, user=second_staff_user)
    change_set_apply(change_set=built, client=fake, user=second_staff_user)
    error = _error(_as(api, second_staff_user).post(f"/api/v1/change-sets/{built.pk}/approve/"), 409)
    assert error["code"] == "conflict"
    assert error["message"] == CHANGE_SET_NOT_AWAITING.format(
        pk=built.pk, status="applied", action="approved"
    )


def test_a_set_too_old_to_approve_is_refused_with_the_services_words(api, built, second_staff_user, settings):
    settings.METRICS_CHANGESET_MAX_AGE_HOURS = 2
    ChangeSet.objects.filter(pk=built.pk).update(built_at=built.built_at - timedelta(hours=3))
    error = _error(_as(api, second_staff_user).post(f"/api/v1/change-sets/{built.pk}/approve/"), 400)
    assert error["message"] == CHANGE_SET_TOO_OLD.format(pk=built.pk, hours=3.0, limit=2)


def test_a_read_only_token_cannot_approve(api, built, second_staff_user):
    _as(api, second_staff_user, read_only=True)
    _error(api.post(f"/api/v1/change-sets/{built.pk}/approve/"), 403)
    built.refresh_from_db()
    assert built.status == Status.BUILT


def test_a_user_without_the_approve_permission_cannot_approve_or_reject(api, built, operator):
    _as(api, operator)
    _error(api.post(f"/api/v1/change-sets/{built.pk}/approve/"), 403)
    _error(api.post(f"/api/v1/change-sets/{built.pk}/reject/", {"reason": "no"}, format="json"), 403)
    built.refresh_from_db()
    assert built.status == Status.BUILT


def test_a_user_given_the_approve_permission_can_approve(api, built):
    clerk = get_user_model().objects.create_user("carol")
    clerk.user_permissions.add(Permission.objects.get(codename="approve_changeset"))
    response = _as(api, clerk).post(f"/api/v1/change-sets/{built.pk}/approve/")
    assert response.status_code == 200, response.content
    assert response.json()["approved_by"] == "carol"


def test_rejecting_needs_a_reason_and_keeps_the_set_with_it(api, built, second_staff_user):
    _as(api, second_staff_user)
    url = f"/api/v1/change-sets/{built.pk}/reject/"
    assert "reason" in _error(api.post(url, {}, format="json"), 400)["fields"]
    assert "reason" in _error(api.post(url, {"reason": "   "}, format="json"), 400)["fields"]
    response = api.post(url, {"reason": "Totals look wrong"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["rejection_reason"] == "Totals look wrong"
    assert response.json()["rejected_by"] == "bob"
    assert ChangeSet.objects.get(pk=built.pk).changes.count() == 13
    error = _error(api.post(url, {"reason": "again"}, format="json"), 409)
    assert "rejected" in error["message"]


# --- apply / roll back ----------------------------------------------------------------------------------
def test_apply_writes_the_set_to_copper_and_its_rollback_needs_a_second_persons_approval(
    api, built, fake, staff_user, second_staff_user, no_worker, monkeypatch
):
    change_set_approve(change_set=built, user=second_staff_user)
    response = _as(api, second_staff_user).post(f"/api/v1/change-sets/{built.pk}/apply/")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["options"]) == (
        "metrics_apply",
        "queued",
        {"change_set_id": built.pk},
    )
    assert body["progress_url"] == f"/api/v1/sync-runs/{body['id']}/"

    monkeypatch.setattr(changesets, "_client", lambda: fake)
    run = sync_run_execute(run_id=body["id"])
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    built.refresh_from_db()
    assert built.status == Status.APPLIED
    assert fake.value(102, "Total Spent") == 600.0

    # bob asks for the rollback: a change set awaiting approval, nothing written yet.
    response = api.post(f"/api/v1/change-sets/{built.pk}/rollback/")
    assert response.status_code == 201, response.content
    rollback = response.json()
    assert (rollback["status"], rollback["built_by"], rollback["rollback_of_id"]) == ("built", "bob", built.pk)
    assert fake.value(102, "Total Spent") == 600.0
    rows = api.get("/api/v1/change-sets/?is_rollback=true").json()["results"]
    assert [row["rollback_of_id"] for row in rows] == [built.pk]
    # bob may not approve his own rollback; alice approves it, and it is applied like any set.
    error = _error(api.post(f"/api/v1/change-sets/{rollback['id']}/approve/"), 403)
    assert error["message"] == CHANGE_SET_SELF_APPROVAL.format(pk=rollback["id"], user="bob")
    assert _as(api, staff_user).post(f"/api/v1/change-sets/{rollback['id']}/approve/").status_code == 200
    response = api.post(f"/api/v1/change-sets/{rollback['id']}/apply/")
    assert response.status_code == 202, response.content
    run = sync_run_execute(run_id=response.json()["id"])
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    built.refresh_from_db()
    assert built.status == Status.ROLLED_BACK
    assert fake.value(102, "Total Spent") == 500.0


def test_a_second_apply_while_one_is_queued_is_a_conflict(
    api, built, fake, staff_user, second_staff_user, no_worker
):
    other = change_set_build(client=fake, user=staff_user, as_of=AS_OF)
    for change_set in (built, other):
        change_set_approve(change_set=change_set, user=second_staff_user)
    _as(api, second_staff_user)
    assert api.post(f"/api/v1/change-sets/{built.pk}/apply/").status_code == 202
    _error(api.post(f"/api/v1/change-sets/{other.pk}/apply/"), 409)
    assert SyncRun.objects.filter(kind=SyncRun.Kind.METRICS_APPLY).count() == 1


def test_a_set_that_is_not_approved_cannot_be_applied(api, built, second_staff_user, no_worker):
    error = _error(_as(api, second_staff_user).post(f"/api/v1/change-sets/{built.pk}/apply/"), 409)
    assert error["message"] == CHANGE_SET_NOT_APPROVED.format(pk=built.pk, status="built (awaiting approval)")
    assert not SyncRun.objects.filter(kind=SyncRun.Kind.METRICS_APPLY).exists()


def test_a_set_that_is_not_applied_cannot_be_rolled_back(api, built, second_staff_user, no_worker):
    error = _error(_as(api, second_staff_user).post(f"/api/v1/change-sets/{built.pk}/rollback/"), 409)
    assert error["message"] == CHANGE_SET_NOT_APPLIED.format(pk=built.pk, status="built (awaiting approval)")
    assert not ChangeSet.objects.filter(rollback_of=built).exists()


def test_apply_and_rollback_need_their_own_permissions(api, built, second_staff_user, no_worker):
    change_set_approve(change_set=built, user=second_staff_user)
    approver = get_user_model().objects.create_user("dave")
    approver.user_permissions.add(Permission.objects.get(codename="approve_changeset"))
    _as(api, approver)
    _error(api.post(f"/api/v1/change-sets/{built.pk}/apply/"), 403)
    _error(api.post(f"/api/v1/change-sets/{built.pk}/rollback/"), 403)
    assert not SyncRun.objects.exists()


# --- metrics ------------------------------------------------------------------------------------------------
def test_metrics_are_the_numbers_the_dry_run_pushes(api, push_world, reporter):
    acme = push_world["acme"].fishbowl_customer
    expected = metrics_for_customers(customer_ids=[acme.pk], as_of=AS_OF)[acme.pk]
    _as(api, reporter, read_only=True)
    rows = api.get(f"/api/v1/metrics/?customer_id={acme.pk}&as_of={AS_OF}").json()["results"]
    assert rows == [
        {
            "customer_id": acme.pk,
            "account_number": "1001",
            "copper_company_id": 101,
            "total_orders": expected.total_orders,
            "total_spent": str(expected.total_spent),
            "average_order_value": str(expected.average_order_value),
            "first_order_date": expected.first_order_date.isoformat(),
            "last_order_date": expected.last_order_date.isoformat(),
            "days_since_last_order": expected.days_since_last_order,
            "top_products": products_text(expected.top_products),
            "sample_kit_sent": True,
            "sample_kit_date": expected.sample_kit_date.isoformat(),
            "spent_last_12_months": str(expected.spent_last_12_months),
        }
    ]
    # Crafted: three sale orders (the estimate does not count); shipping and card fees are not spending.
    assert (rows[0]["total_orders"], rows[0]["total_spent"]) == (3, "180.00")
    assert rows[0]["top_products"] == "OIL-1 (12), OIL-2 (4), SAMPLE-KIT (1)"
    assert expected.total_spent == Decimal("180.00")


def test_metrics_page_by_page_compute_only_the_pages_customers(api, push_world, reporter, monkeypatch):
    from copperhub.api.views import metrics as view

    asked = []

    def recording(**kwargs):
        asked.append(sorted(kwargs["customer_ids"]))
        return metrics_for_customers(**kwargs)

    monkeypatch.setattr(view, "metrics_for_customers", recording)
    _as(api, reporter, read_only=True)
    seen, url = [], "/api/v1/metrics/?page_size=2"
    while url:
        body = api.get(url).json()
        seen += [row["copper_company_id"] for row in body["results"]]
        url = body["next"]
    assert seen == [101, 102, 103]
    assert [len(ids) for ids in asked] == [2, 1]


def test_metrics_export_as_csv_and_refuse_a_bad_day(api, push_world, reporter):
    _as(api, reporter, read_only=True)
    response = api.get(f"/api/v1/metrics/?format=csv&as_of={AS_OF}")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["copper_company_id"], row["total_orders"]) for row in rows] == [
        ("101", "3"),
        ("102", "2"),
        ("103", "0"),
    ]
    assert "as_of" in _error(api.get("/api/v1/metrics/?as_of=yesterday"), 400)["fields"]
    assert "as_of" in _error(api.get("/api/v1/metrics/?as_of=0001-01-01"), 400)["fields"]


# --- the schema holds for real answers ----------------------------------------------------------------------
@pytest.fixture
def wsgi_schema():
    from tests.api.test_schema import wsgi_schema as open_schema

    with open_schema() as schema:
        yield schema


def test_answers_about_real_change_sets_match_the_schema(
    wsgi_schema, built, fake, staff_user, second_staff_user, no_worker, monkeypatch
):
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    monkeypatch.setattr(changesets, "_client", lambda: fake)
    other = change_set_build(client=fake, user=staff_user, as_of=AS_OF)
    headers = {"Authorization": f"Token {make_token(second_staff_user, read_only=False)}"}

    def call(path, method, *, status, **case):
        response = (
            wsgi_schema[f"/api/v1{path}"][method]
            .Case(**case)
            .call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
        )
        assert response.status_code == status, response.text
        return response.json()

    one = {"path_parameters": {"id": built.pk}}
    assert len(call("/change-sets/", "GET", status=200)["results"]) == 2
    call("/change-sets/{id}/", "GET", status=200, **one)
    assert len(call("/change-sets/{id}/changes/", "GET", status=200, **one)["results"]) == 13
    assert len(call("/metrics/", "GET", status=200, query={"as_of": str(AS_OF)})["results"]) == 3
    call("/change-sets/{id}/approve/", "POST", status=200, **one)
    call("/change-sets/{id}/approve/", "POST", status=409, **one)
    call(
        "/change-sets/{id}/reject/",
        "POST",
        status=200,
        path_parameters={"id": other.pk},
        body={"reason": "no"},
        media_type="application/json",
    )
    run = call("/change-sets/{id}/apply/", "POST", status=202, **one)
    sync_run_execute(run_id=run["id"])
    call("/change-sets/{id}/rollback/", "POST", status=201, **one)
    assert len(call("/change-sets/{id}/changes/", "GET", status=200, **one)["results"]) == 13


def test_the_browsable_api_shows_every_change_set_page_to_a_signed_in_person(
    client, built, second_staff_user
):
    client.force_login(second_staff_user)
    for url in ["/api/v1/change-sets/", f"/api/v1/change-sets/{built.pk}/", "/api/v1/metrics/"]:
        assert client.get(url, HTTP_ACCEPT="text/html").status_code == 200
    for action in ["approve", "reject", "apply", "rollback"]:
        response = client.get(f"/api/v1/change-sets/{built.pk}/{action}/", HTTP_ACCEPT="text/html")
        assert response.status_code == 405, action  # the page with its form, not a crash
    response = client.post(f"/api/v1/change-sets/{built.pk}/approve/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
