"""Integrity reports and the health summary through the API match what the checks found."""

import pytest

from integrity.services import integrity_report_create
from syncs.models import SyncRun
from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db


def test_the_health_summary_names_each_checks_state_and_the_chain(api, reporter, world):
    report = integrity_report_create(deliver=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    body = api.get("/api/v1/health/").json()
    assert body["report_id"] == report.pk
    assert body["state"] == report.state
    checks = {c["name"]: c for c in body["checks"]}
    stored = {r.check_name: r for r in report.results.all()}
    assert {name: c["count"] for name, c in checks.items()} == {name: r.count for name, r in stored.items()}
    assert body["chain"]["fishbowl_customers"] == 10
    assert {r["kind"] for r in body["runs"]} == set(SyncRun.Kind.values)


def test_a_report_lists_its_findings(api, reporter, world):
    report = integrity_report_create(deliver=False)
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=True)}")
    listed = api.get("/api/v1/integrity-reports/").json()["results"]
    assert [r["id"] for r in listed] == [report.pk]
    detail = api.get(f"/api/v1/integrity-reports/{report.pk}/").json()
    assert len(detail["results"]) == report.results.count()
    assert all("findings" in r for r in detail["results"])


def test_running_checks_needs_the_start_permission(api, reporter, operator, monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(reporter, read_only=False)}")
    assert api.post("/api/v1/integrity-checks/").status_code == 403
    api.credentials(HTTP_AUTHORIZATION=f"Token {make_token(operator, read_only=False)}")
    response = api.post("/api/v1/integrity-checks/")
    assert response.status_code == 202
    assert response.json()["kind"] == "integrity"
