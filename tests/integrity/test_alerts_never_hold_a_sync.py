"""Alert delivery is a queued task: a webhook that hangs or is dead changes no sync run's duration."""

import socket
import threading
import time

import pytest

from customers.models import FishbowlCustomer
from integrity.models import Alert
from integrity.tasks import integrity_alerts_deliver
from syncs.models import SyncRun
from syncs.services.runs import sync_run_execute, sync_run_start
from tests.integrity.conftest import company
from tests.syncs.helpers import install_runner

pytestmark = pytest.mark.django_db(transaction=True)


class HangingWebhook:
    """Accepts connections and never answers (a webhook host that is up but stuck)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.held: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.closed = True
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def hanging(alert_settings, fresh_syncs, settings, monkeypatch):
    hook = HangingWebhook()
    settings.INTEGRITY_ALERT_WEBHOOK_URL = hook.url
    settings.INTEGRITY_ALERT_TIMEOUT_SECONDS = 0.5
    settings.INTEGRITY_THRESHOLDS = {name: {"warning": 1, "critical": 0} for name in ("customer_gap",)}
    queued: list[tuple] = []
    # The broker receives the task; the worker (not this process) runs it later.
    monkeypatch.setattr("syncs.queue.async_task", lambda func, *a, **k: queued.append((func, a)) or "task-1")
    yield queued
    hook.close()


def seconds(run: SyncRun) -> float:
    run.refresh_from_db()
    return (run.finished_at - run.started_at).total_seconds()


def customer_sync_that_links_nothing(*, run, progress):
    progress.add(processed=1)


def test_an_integrity_run_with_five_alerts_due_on_a_hanging_webhook_takes_no_longer(hanging):
    for n in range(5):
        company(f"Gap {n}", str(n))
    Alert.objects.bulk_create(
        Alert(
            check_name=f"old_{n}",
            title="Earlier alert",
            from_state="ok",
            to_state="warning",
            channels=["webhook"],
        )
        for n in range(4)
    )
    started = time.perf_counter()
    run = sync_run_execute(run_id=sync_run_start(kind=SyncRun.Kind.INTEGRITY).pk)
    elapsed = time.perf_counter() - started

    assert run.status == SyncRun.Status.SUCCEEDED
    assert elapsed < 1.5 and seconds(run) < 1.5  # five due alerts at 0.5 s each: 2.5 s if sent inline
    assert ("integrity.tasks.integrity_alerts_deliver", ()) in hanging
    assert Alert.objects.filter(status=Alert.Status.PENDING).count() == 5

    # The worker delivers later: it waits out the timeouts, records the failures, and the run is unchanged.
    finished = run.finished_at
    assert integrity_alerts_deliver() == 0
    failed = Alert.objects.get(check_name="customer_gap")
    assert (failed.attempts, failed.status) == (1, Alert.Status.PENDING)
    assert "Timeout" in failed.last_error
    assert failed.next_attempt_at > failed.created_at  # backed off, retried by a later report
    run.refresh_from_db()
    assert run.finished_at == finished


def test_the_report_after_a_customer_sync_queues_its_alerts_instead_of_sending_them(hanging, monkeypatch):
    install_runner(monkeypatch, kind=SyncRun.Kind.CUSTOMER_SYNC, runner=customer_sync_that_links_nothing)
    company("Gap", "1")
    assert not FishbowlCustomer.objects.exists()
    started = time.perf_counter()
    run = sync_run_execute(run_id=sync_run_start(kind=SyncRun.Kind.CUSTOMER_SYNC).pk)
    assert time.perf_counter() - started < 1.5
    assert run.status == SyncRun.Status.SUCCEEDED
    assert Alert.objects.get().attempts == 0  # nobody waited on the webhook
    assert ("integrity.tasks.integrity_alerts_deliver", ()) in hanging
