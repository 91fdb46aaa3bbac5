"""Alerts go out when a check changes state (and on recovery), by email and to a webhook; never per run."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone
from django_q.conf import Conf

from integrity.alerts import alert_deliver_pending
from integrity.models import Alert, CheckState, State
from integrity.services import integrity_report_create
from tests.integrity.conftest import company, customer

pytestmark = pytest.mark.django_db


class WebhookReceiver:
    """A local HTTP server that records JSON bodies (or answers 500 while ``failing``)."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.failing = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.failing:
                    self.send_response(500)
                else:
                    receiver.bodies.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(alert_settings):
    receiver = WebhookReceiver()
    alert_settings.INTEGRITY_ALERT_WEBHOOK_URL = receiver.url
    yield receiver
    receiver.close()


@pytest.fixture
def only_gap(settings, monkeypatch):
    """Only the customer-gap check, critical from 2 missing companies."""
    from integrity import checks

    settings.INTEGRITY_THRESHOLDS = {"customer_gap": {"warning": 1, "critical": 2}}
    monkeypatch.setattr(checks, "CHECKS", {"customer_gap": checks.CHECKS["customer_gap"]})


@pytest.fixture(autouse=True)
def worker_runs_queued_tasks(monkeypatch):
    """django-q2's sync mode: a queued task runs when it is handed over (after commit), as a worker would."""
    monkeypatch.setattr(Conf, "SYNC", True)


def _report(capture):
    with capture(execute=True):
        return integrity_report_create()


def test_a_state_change_alerts_once_and_the_recovery_alerts_once(
    only_gap, webhook, mailoutbox, django_capture_on_commit_callbacks
):
    alpha = company("Alpha", "1")
    beta = company("Beta", "2")
    first = _report(django_capture_on_commit_callbacks)
    second = _report(django_capture_on_commit_callbacks)  # still critical: no new alert
    assert first.state == second.state == State.CRITICAL
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ops@example.com"]
    assert (
        mailoutbox[0].subject
        == "[copperhub] CRITICAL: Active Copper companies with no linked Fishbowl customer (2)"
    )
    assert "OK → Critical" in mailoutbox[0].body
    assert (
        "https://copperhub.example.com/admin/integrity/integrityreport/checks/customer_gap/"
        in mailoutbox[0].body
    )
    assert len(webhook.bodies) == 1
    body = webhook.bodies[0]
    assert body["check"] == "customer_gap"
    assert (body["from_state"], body["to_state"], body["count"]) == ("ok", "critical", 2)
    assert body["numbers"]["unmatched"] == 2
    assert "Active Copper companies with no linked Fishbowl customer" in body["text"]

    customer("1", linked_to=alpha)
    customer("2", linked_to=beta)
    _report(django_capture_on_commit_callbacks)
    _report(django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject.startswith("[copperhub] Recovered:")
    assert [(b["from_state"], b["to_state"]) for b in webhook.bodies] == [
        ("ok", "critical"),
        ("critical", "ok"),
    ]
    assert Alert.objects.count() == 2
    assert CheckState.objects.get(check_name="customer_gap").state == State.OK


def test_without_alert_addresses_the_admins_are_mailed(
    only_gap, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.INTEGRITY_ALERT_EMAILS = []
    settings.INTEGRITY_ALERT_WEBHOOK_URL = ""
    settings.ADMINS = [("Ops", "admin@example.com")]
    company("Alpha", "1")
    _report(django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [["admin@example.com"]]


def test_a_failed_webhook_is_retried_later_and_never_raises(
    only_gap, webhook, mailoutbox, django_capture_on_commit_callbacks
):
    webhook.failing = True
    company("Alpha", "1")
    report = _report(django_capture_on_commit_callbacks)  # does not raise
    alert = Alert.objects.get(report=report)
    assert alert.status == Alert.Status.PENDING
    assert (alert.attempts, alert.email_delivered, alert.webhook_delivered) == (1, True, False)
    assert "webhook" in alert.last_error and "500" in alert.last_error
    assert alert.next_attempt_at > timezone.now()

    assert alert_deliver_pending() == 0  # backoff: not due yet
    webhook.failing = False
    Alert.objects.filter(pk=alert.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert alert_deliver_pending() == 1
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DELIVERED
    assert alert.attempts == 2
    assert len(webhook.bodies) == 1
    assert len(mailoutbox) == 1  # the email, delivered the first time, is not sent again


def test_an_unreachable_webhook_is_given_up_after_the_last_attempt(
    only_gap, alert_settings, settings, django_capture_on_commit_callbacks
):
    settings.INTEGRITY_ALERT_WEBHOOK_URL = "http://127.0.0.1:9/nobody-listens"
    settings.INTEGRITY_ALERT_MAX_ATTEMPTS = 2
    company("Alpha", "1")
    _report(django_capture_on_commit_callbacks)
    Alert.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    alert_deliver_pending()
    alert = Alert.objects.get()
    assert alert.status == Alert.Status.FAILED
    assert alert.attempts == 2
    assert "ConnectionError" in alert.last_error
