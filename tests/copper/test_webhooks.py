"""Copper webhooks: the receiver checks, records and queues; processing fetches by ids and keeps the mirror right."""

from __future__ import annotations

import copy
import json
import math
import random
from datetime import UTC, datetime

import pytest

from copper.models import CopperCompany, CopperWebhookNotification
from copper.services.mirror_refresh import copper_companies_refresh
from copper.services.webhooks import copper_webhooks_process

pytestmark = pytest.mark.django_db
Outcome = CopperWebhookNotification.Outcome
SECRET = "s3cret-for-tests"
T0 = 1_780_000_000  # the mirror's date_modified for every company


def _company(company_id: int, *, name: str | None = None, modified: int = T0) -> dict:
    return {
        "id": company_id,
        "name": name or f"Company {company_id}",
        "assignee_id": None,
        "contact_type_id": None,
        "email_domain": f"c{company_id}.example.com",
        "address": None,
        "tags": [],
        "custom_fields": [],
        "date_created": T0 - 86400,
        "date_modified": modified,
    }


class FakeCopper:
    """Copper's search by ids over an in-memory account; counts searches and the ids asked."""

    def __init__(self, companies: dict[int, dict]) -> None:
        self.companies = companies
        self.searches: list[list[int]] = []

    def companies_by_ids(self, ids, *, batch_size: int = 200):
        ids = list(ids)
        assert len(ids) <= 200, "Copper's search takes at most 200 ids"
        self.searches.append(ids)
        return [copy.deepcopy(self.companies[i]) for i in ids if i in self.companies]


@pytest.fixture
def webhook_settings(settings):
    settings.COPPER_WEBHOOK_SECRET = SECRET
    return settings


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: calls.append(a) or "task")
    return calls


def _mirror(ids) -> dict[int, dict]:
    records = {i: _company(i) for i in ids}
    copper_companies_refresh(records=list(records.values()), reasons="initial pull", user=None)
    return copy.deepcopy(records)


def _notification(
    event: str, ids: list[int], at: int, *, secret: str = SECRET, subscription: int = 7
) -> dict:
    return {
        "ids": ids,
        "type": "company",
        "event": event,
        "subscription_id": subscription,
        "timestamp": datetime.fromtimestamp(at, tz=UTC).isoformat().replace("+00:00", "Z"),
        "copperhub_secret": secret,
    }


def _post(client, payload):
    return client.post("/hooks/copper/", data=json.dumps(payload), content_type="application/json")


def test_a_notification_without_the_right_secret_is_refused_and_not_recorded(
    client, webhook_settings, queued
):
    assert _post(client, _notification("update", [1], T0, secret="guess")).status_code == 403
    payload = _notification("update", [1], T0)
    del payload["copperhub_secret"]
    assert _post(client, payload).status_code == 403
    assert CopperWebhookNotification.objects.count() == 0 and queued == []


def test_no_notification_is_accepted_while_no_secret_is_configured(client, settings, queued):
    settings.COPPER_WEBHOOK_SECRET = ""
    response = _post(client, _notification("update", [1], T0, secret=""))
    assert response.status_code == 403 and "COPPER_WEBHOOK_SECRET" in response.json()["message"]


def test_a_malformed_notification_is_refused_naming_the_field(client, webhook_settings):
    response = _post(client, {**_notification("update", [1], T0), "event": "exploded"})
    assert response.status_code == 400 and "event" in response.json()["message"]
    response = _post(client, {**_notification("update", [], T0)})
    assert response.status_code == 400 and "ids" in response.json()["message"]


def test_an_update_is_answered_at_once_and_refreshes_the_mirror_with_history_naming_it(
    client, webhook_settings, queued, django_capture_on_commit_callbacks
):
    copper = FakeCopper(_mirror([1, 2]))
    copper.companies[1] = _company(1, name="Acme Renamed", modified=T0 + 60)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, _notification("update", [1], T0 + 60))
    assert response.status_code == 202
    assert len(queued) == 1, "processing is queued after commit, not done in the request"
    assert CopperCompany.objects.get(pk=1).name == "Company 1", "the request itself fetches nothing"

    result = copper_webhooks_process(client=copper)
    company = CopperCompany.objects.get(pk=1)
    notification = CopperWebhookNotification.objects.get()
    assert company.name == "Acme Renamed"
    assert company.history.first().history_change_reason.startswith(f"copper webhook #{notification.pk}")
    assert (notification.outcome, notification.detail) == (Outcome.APPLIED, {"updated": [1]})
    assert result.searches == 1 and copper.searches == [[1]]


def test_a_duplicate_notification_is_stored_once_and_changes_nothing(
    client, webhook_settings, queued, django_capture_on_commit_callbacks
):
    copper = FakeCopper(_mirror([1]))
    payload = _notification("update", [1], T0 + 5)
    with django_capture_on_commit_callbacks(execute=True):
        first, second = _post(client, payload), _post(client, payload)
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()["duplicate"] is True and second.json()["id"] == first.json()["id"]
    assert CopperWebhookNotification.objects.count() == 1 and len(queued) == 1
    copper_webhooks_process(client=copper)
    with django_capture_on_commit_callbacks(execute=True):
        third = _post(client, payload)
    assert third.json()["duplicate"] is True
    assert copper_webhooks_process(client=copper).notifications == 0
    assert len(copper.searches) == 1


def test_a_late_notification_changes_nothing_and_costs_no_search(client, webhook_settings, queued):
    copper = FakeCopper(_mirror([1]))
    copper.companies[1] = _company(1, name="Changed meanwhile", modified=T0 - 30)  # an older snapshot
    _post(client, _notification("update", [1], T0 - 3600))  # older than what the mirror holds
    history = CopperCompany.history.filter(copper_id=1).count()
    result = copper_webhooks_process(client=copper)
    assert copper.searches == [] and result.late == 1
    assert CopperCompany.objects.get(pk=1).name == "Company 1"
    assert CopperCompany.history.filter(copper_id=1).count() == history
    assert CopperWebhookNotification.objects.get().outcome == Outcome.LATE


def test_a_delete_marks_the_company_missing_keeping_its_row_and_history(client, webhook_settings, queued):
    copper = FakeCopper(_mirror([1, 2]))
    del copper.companies[2]
    _post(client, _notification("delete", [2], T0 + 10))
    copper_webhooks_process(client=copper)
    gone = CopperCompany.objects.get(pk=2)
    assert gone.missing_from_copper_since is not None
    assert gone.history.count() == 2 and "copper webhook" in gone.history.first().history_change_reason
    assert CopperCompany.objects.get(pk=1).missing_from_copper_since is None


def test_a_delete_copper_contradicts_marks_nothing(client, webhook_settings, queued):
    copper = FakeCopper(_mirror([1]))
    _post(client, _notification("delete", [1], T0 + 10))
    copper_webhooks_process(client=copper)
    assert CopperCompany.objects.get(pk=1).missing_from_copper_since is None


def test_a_burst_of_a_thousand_notifications_leaves_the_mirror_exactly_right_in_few_searches(
    client, webhook_settings, queued, django_capture_on_commit_callbacks
):
    rng = random.Random(13)
    copper = FakeCopper(_mirror(range(1, 701)))
    payloads, at = [], T0
    updated, deleted, created, late_ids = set(), set(), set(), list(range(601, 641))
    for company_id in range(1, 401):  # edits (some companies twice)
        for _ in range(rng.choice((1, 1, 2))):
            at += 1
            copper.companies[company_id] = _company(
                company_id, name=f"Edited {company_id} at {at}", modified=at
            )
        updated.add(company_id)
    for company_id in range(401, 501):
        copper.companies.pop(company_id)
        deleted.add(company_id)
    for company_id in range(701, 801):
        copper.companies[company_id] = _company(company_id, modified=at)
        created.add(company_id)

    def chunks(event, ids):
        ids = list(ids)
        rng.shuffle(ids)
        while ids:
            size = rng.randint(1, 3)
            payloads.append(_notification(event, sorted(ids[:size]), at + rng.randint(0, 5)))
            ids = ids[size:]

    chunks("update", updated)
    chunks("update", rng.sample(sorted(updated), 100))  # a company edited again in the same burst
    chunks("delete", deleted)
    chunks("new", created)
    while len(payloads) < 900:
        payloads.append(_notification("update", [rng.choice(late_ids)], T0 - rng.randint(60, 9999)))
    payloads += [copy.deepcopy(rng.choice(payloads)) for _ in range(1000 - len(payloads))]  # re-deliveries
    rng.shuffle(payloads)
    assert len(payloads) == 1000

    with django_capture_on_commit_callbacks(execute=True):
        answers = [_post(client, p) for p in payloads]
    assert {a.status_code for a in answers} == {202}
    duplicates = sum(a.json()["duplicate"] for a in answers)
    assert duplicates >= 1 and CopperWebhookNotification.objects.count() == 1000 - duplicates
    assert len(queued) == 1, "one task for the whole burst"

    result = copper_webhooks_process(client=copper)
    ids_named = sum(len(p["ids"]) for p in payloads)
    assert len(copper.searches) <= math.ceil(ids_named / 200)
    assert len(copper.searches) == math.ceil(len(updated | deleted | created) / 200), (
        "late ids are not fetched"
    )
    assert max(len(s) for s in copper.searches) <= 200
    mirror = {c.pk: c for c in CopperCompany.objects.all()}
    for company_id, record in copper.companies.items():
        row = mirror[company_id]
        assert (row.name, row.missing_from_copper_since) == (record["name"], None), company_id
        assert int(row.date_modified.timestamp()) == record["date_modified"]
    assert {pk for pk, row in mirror.items() if row.missing_from_copper_since} == deleted
    assert all(mirror[i].history.count() == 1 for i in late_ids), "late notifications wrote nothing"
    assert result.marked_missing == 100 and result.created == 100
    assert not CopperWebhookNotification.objects.filter(
        outcome__in=[Outcome.PENDING, Outcome.PROCESSING]
    ).exists()
