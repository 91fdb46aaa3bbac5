"""Pacing shared by every process on the account, and a total deadline per Copper call however slow the bytes."""

import socket
import threading
import time

import pytest

from copper.client import CopperClient
from copper.errors import CopperTimeout
from copper.limiter import SlidingWindowLimiter, window_admit
from copper.limiter_backends import DatabaseWindowLimiter, shared_limiter_from_settings
from copper.models import CopperRateWindow


def most_in_any_window(times, window):
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_the_window_rule_admits_up_to_the_limit_then_waits_for_the_oldest_to_leave():
    kept, wait = window_admit([0.0, 1.0, 2.0], now=10.0, limit=3, window=60.0)
    assert wait == pytest.approx(50.0)
    kept, wait = window_admit([0.0, 1.0, 2.0], now=60.5, limit=3, window=60.0)
    assert (kept, wait) == ([1.0, 2.0], 0.0)


class AdmittedAt:
    """A wall clock remembering, per thread, the last time it told: the moment the limiter admitted a call."""

    def __init__(self) -> None:
        self.local = threading.local()

    def __call__(self) -> float:
        self.local.now = time.time()
        return self.local.now


@pytest.mark.django_db(transaction=True)
def test_two_workers_sharing_the_database_limiter_never_exceed_it_together():
    clock = AdmittedAt()
    admitted: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker():
        from django.db import connection

        limiter = DatabaseWindowLimiter(key="acct", limit=4, window=0.6, clock=clock)
        try:
            for _ in range(6):
                limiter.acquire()
                with lock:
                    admitted.append(clock.local.now)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(admitted) == 12
    assert most_in_any_window(admitted, 0.6) <= 4
    # Alone each would have sent its six within 0.6 s; together they had to wait for one another.
    assert max(admitted) - min(admitted) >= 1.2
    assert len(CopperRateWindow.objects.get(pk="acct").sent_at) <= 4


def test_threads_sharing_one_process_limiter_stay_under_it():
    fake = {"now": 0.0}
    lock = threading.Lock()

    def sleep(seconds):
        with lock:
            fake["now"] += seconds

    limiter = SlidingWindowLimiter(5, window=60, clock=lambda: fake["now"], sleep=sleep)
    admitted = []

    def worker():
        for _ in range(10):
            limiter.acquire()
            with lock:
                admitted.append(fake["now"])

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(admitted) == 30
    assert most_in_any_window(admitted, 60) <= 5


def test_the_client_from_settings_shares_the_database_limiter_by_default(settings, db):
    settings.COPPER_RATE_LIMIT_PER_MINUTE = 175
    settings.COPPER_RATE_LIMITER = "auto"
    settings.REDIS_URL = ""
    limiter = shared_limiter_from_settings(account="https://copper.test|a@example.com")
    assert isinstance(limiter, DatabaseWindowLimiter)
    assert limiter.limit == 175
    settings.COPPER_RATE_LIMITER = "bogus"
    with pytest.raises(ValueError, match="COPPER_RATE_LIMITER must be one of"):
        shared_limiter_from_settings(account="x")


class DripServer:
    """A local HTTP server that answers slowly: headers at once (or dripped), then the body one byte at a time."""

    def __init__(self, *, interval: float, drip_headers: bool = False) -> None:
        self.interval = interval
        self.drip_headers = drip_headers
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        body = b'{"id": 1, "name": "' + b"x" * 200 + b'"}'
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        try:
            conn.recv(65536)
            if self.drip_headers:
                for byte in head:
                    conn.sendall(bytes([byte]))
                    if self.stop.wait(self.interval):
                        return
            else:
                conn.sendall(head)
            for byte in body:
                conn.sendall(bytes([byte]))
                if self.stop.wait(self.interval):
                    return
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()


@pytest.fixture
def drip_server():
    servers = []

    def start(**options):
        server = DripServer(**options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.mark.parametrize("drip_headers", [False, True], ids=["body", "headers"])
def test_an_answer_dripping_in_slower_than_the_deadline_raises_the_clients_timeout_in_time(
    drip_server, drip_headers
):
    # One byte every 0.2 s never trips a 1-second socket timeout; only the total deadline stops it.
    server = drip_server(interval=0.2, drip_headers=drip_headers)
    client = CopperClient(
        api_key="k", user_email="e@example.com", base_url=f"http://127.0.0.1:{server.port}",
        rate_per_minute=None, timeout=1.0, max_retries=1, sleep=lambda s: None,
    )  # fmt: skip
    started = time.monotonic()
    with pytest.raises(CopperTimeout, match=r"did not answer GET /account in time \(1 s per call\) after 2"):
        client.account()
    elapsed = time.monotonic() - started
    assert 1.9 <= elapsed < 3.0  # two attempts of one second each, not the drip's 40 s
    assert client.stats.connection_errors == 2


def test_an_answer_that_completes_within_the_deadline_is_read_whole(drip_server):
    server = drip_server(interval=0.0005)
    client = CopperClient(
        api_key="k", user_email="e@example.com", base_url=f"http://127.0.0.1:{server.port}",
        rate_per_minute=None, timeout=5.0, max_retries=0,
    )  # fmt: skip
    assert client.account()["name"] == "x" * 200
