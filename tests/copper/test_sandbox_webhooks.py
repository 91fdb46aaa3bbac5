"""The sandbox as Copper for webhooks, partial custom-field PUTs and Date values, driven through the real client."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from copper.client import CopperClient
from copper.models import CopperCompany
from copper.services.pull import copper_pull
from copper.services.webhook_subscriptions import (
    SubscriptionError,
    copper_webhook_subscribe,
    copper_webhook_subscriptions,
    copper_webhook_unsubscribe,
)
from copper.services.webhooks import copper_webhooks_process
from tests.copper.sandbox_fixtures import SANDBOX_HEADERS

SECRET = "sandbox-webhook-secret"


class Collector:
    """A webhook target on 127.0.0.1 that keeps every notification (optionally answering slowly)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.received: list[dict] = []
        self.delay = delay
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(collector.delay)
                collector.received.append(json.loads(body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/copper/"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector():
    target = Collector()
    yield target
    target.close()


@pytest.fixture
def client(copper_sandbox):
    return CopperClient(
        api_key=SANDBOX_HEADERS["X-PW-AccessToken"],
        user_email=SANDBOX_HEADERS["X-PW-UserEmail"],
        base_url=copper_sandbox.base_url,
        rate_per_minute=None,
        timeout=10,
    )


@pytest.fixture
def secret(settings):
    settings.COPPER_WEBHOOK_SECRET = SECRET


def test_subscriptions_are_created_once_listed_and_deleted_through_the_client(client, collector, secret):
    created = copper_webhook_subscribe(client=client, target=collector.url)
    assert sorted(s["event"] for s in created.created) == ["delete", "new", "update"]
    again = copper_webhook_subscribe(client=client, target=collector.url)
    assert (again.created, len(again.existing)) == ([], 3)
    listed = copper_webhook_subscriptions(client=client)
    assert [(s["type"], s["target"]) for s in listed] == [("company", collector.url)] * 3
    copper_webhook_unsubscribe(client=client, subscription_id=listed[0]["id"])
    assert len(copper_webhook_subscriptions(client=client)) == 2


def test_only_https_targets_are_subscribed_except_on_loopback(client, secret):
    with pytest.raises(SubscriptionError, match="https"):
        copper_webhook_subscribe(client=client, target="http://copperhub.example.com/hooks/copper/")
    assert copper_webhook_subscriptions(client=client) == []


def test_the_sandbox_posts_notifications_with_the_secret_without_blocking_the_write(
    copper_sandbox, client, secret
):
    slow = Collector(delay=1.0)
    try:
        copper_webhook_subscribe(client=client, target=slow.url, events=("update",))
        company_id = copper_sandbox.company_ids()[0]
        started = time.monotonic()
        client.company_update(company_id, {"name": "Renamed in Copper"})
        assert time.monotonic() - started < 0.5, "the PUT does not wait for the delivery"
        assert copper_sandbox.server.webhooks.wait_idle(10)
    finally:
        slow.close()
    [notification] = slow.received
    assert notification["ids"] == [company_id]
    assert (notification["type"], notification["event"], notification["copperhub_secret"]) == (
        "company",
        "update",
        SECRET,
    )
    assert notification["updated_attributes"]["name"][1] == "Renamed in Copper"


@pytest.mark.django_db
def test_a_sandbox_burst_reaches_the_receiver_and_the_mirror(copper_sandbox, client, collector, secret):
    from django.test import Client

    copper_pull(client=client, full=True)
    copper_webhook_subscribe(client=client, target=collector.url)
    first, second, *_ = copper_sandbox.company_ids()
    copper_sandbox.custom_field_set(first, "Region", None)
    copper_sandbox.company_edit(first, {"name": "Edited by a rep"})
    copper_sandbox.company_delete(second)
    status, _headers, created = copper_sandbox.request("POST", "/companies", {"name": "Brand new"})
    assert status == 200
    assert copper_sandbox.server.webhooks.wait_idle(10)
    assert {n["event"] for n in collector.received} == {"update", "delete", "new"}

    django = Client()
    for notification in collector.received:
        response = django.post(
            "/hooks/copper/", data=json.dumps(notification), content_type="application/json"
        )
        assert response.status_code == 202, response.content
    copper_sandbox.reset_stats()
    result = copper_webhooks_process(client=client)
    assert copper_sandbox.stats()["by_route"] == {"POST /companies/search": 1}
    assert result.searches == 1
    assert CopperCompany.objects.get(pk=first).name == "Edited by a rep"
    assert CopperCompany.objects.get(pk=first).custom_fields == copper_sandbox.company(first)["custom_fields"]
    assert CopperCompany.objects.get(pk=second).missing_from_copper_since is not None
    assert CopperCompany.objects.get(pk=created["id"]).name == "Brand new"


def test_a_partial_custom_field_put_changes_only_the_entries_sent(copper_sandbox, client):
    company_id = copper_sandbox.company_ids()[1]
    before = {
        e["custom_field_definition_id"]: e["value"]
        for e in copper_sandbox.company(company_id)["custom_fields"]
    }
    total = copper_sandbox.definition_id("Total Spent")
    answer = client.company_update(
        company_id, {"custom_fields": [{"custom_field_definition_id": total, "value": 12.5}]}
    )
    after = {e["custom_field_definition_id"]: e["value"] for e in answer["custom_fields"]}
    assert after[total] == 12.5
    assert {k: v for k, v in after.items() if k != total} == {k: v for k, v in before.items() if k != total}


def test_the_sandbox_keeps_dates_at_midnight_of_the_account_timezone(copper_sandbox, client):
    company_id = copper_sandbox.company_ids()[2]
    field = copper_sandbox.definition_id("Last Order Date")

    def write(seconds):
        entry = {"custom_field_definition_id": field, "value": seconds}
        answer = client.company_update(company_id, {"custom_fields": [entry]})
        return next(e["value"] for e in answer["custom_fields"] if e["custom_field_definition_id"] == field)

    assert write(1754031600) == 1754031600  # 2025-08-01 00:00 US Pacific: kept
    assert write(1754006400) == 1753945200, "UTC midnight of 08-01 is 07-31 in California: shown a day early"


@pytest.mark.django_db  # the shared rate window lives in the database
def test_the_command_lists_creates_and_deletes_subscriptions(
    copper_sandbox_settings, collector, secret, settings
):
    from io import StringIO

    from django.core.management import call_command

    settings.COPPER_WEBHOOK_TARGET = collector.url
    out = StringIO()
    call_command("copper_webhooks", "create", stdout=out)
    assert out.getvalue().count("Created") == 3
    call_command("copper_webhooks", "create", "--event", "update", stdout=out)
    assert "Already there" in out.getvalue()
    listing = StringIO()
    call_command("copper_webhooks", "list", stdout=listing)
    assert "3 company subscription(s)." in listing.getvalue() and collector.url in listing.getvalue()
    call_command("copper_webhooks", "delete", "--all", stdout=out)
    assert copper_sandbox_settings.server.webhooks.list() == []


@pytest.mark.django_db
def test_the_admin_lists_notifications_and_manages_subscriptions(
    copper_sandbox_settings, collector, secret, staff_user
):
    from django.test import Client

    client = Client()
    client.force_login(staff_user)
    page = client.get("/admin/copper/copperwebhooknotification/")
    assert page.status_code == 200 and b"Subscriptions" in page.content
    created = client.post(
        "/admin/copper/copperwebhooknotification/subscriptions/",
        {"action": "create", "target": collector.url},
    )
    assert created.status_code == 302
    page = client.get("/admin/copper/copperwebhooknotification/subscriptions/")
    assert page.content.count(collector.url.encode()) >= 3
    refused = client.post(
        "/admin/copper/copperwebhooknotification/subscriptions/",
        {"action": "create", "target": "http://example.com/hooks/copper/"},
        follow=True,
    )
    assert b"https" in refused.content
    assert len(copper_sandbox_settings.server.webhooks.list()) == 3
