"""One HTTP call with a total deadline: connect, headers and body together, however slowly the bytes arrive.

``requests`` applies its timeout to each socket read, so a server that sends one byte every 10 seconds never
trips a 30-second timeout. Here a timer shuts the call's socket down when the deadline passes: the blocked
read returns at once, the call fails, and ``send_with_deadline`` raises ``DeadlineExceeded``. The body is read
(streamed) inside the deadline too, so the caller gets a response whose content is already in memory.

How the socket is found: the session's adapter uses connection pools that note, for the calling thread, the
connection each request goes out on (``DeadlineAdapter``). Nothing else about requests' behaviour changes.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class DeadlineExceeded(requests.Timeout):
    """The whole call (connect + headers + body) took longer than its deadline."""


class _Call:
    """One call's deadline state; ``expire`` runs on the timer thread."""

    def __init__(self) -> None:
        self.conn: Any = None
        self.expired = False
        self._lock = threading.Lock()

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sock = getattr(self.conn, "sock", None)
        if sock is not None:
            # The plain socket's shutdown (also for TLS): wakes a blocked recv without touching SSL state that
            # the reading thread still uses.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def attach(self, conn: Any) -> None:
        with self._lock:
            self.conn = conn
        if self.expired:
            self.expire()


class _NotingPoolMixin:
    def _make_request(self, conn, *args, **kwargs):  # urllib3's hook for every request on a connection
        call = getattr(_current, "call", None)
        if call is not None:
            call.attach(conn)
        return super()._make_request(conn, *args, **kwargs)


class _HTTPPool(_NotingPoolMixin, HTTPConnectionPool):
    pass


class _HTTPSPool(_NotingPoolMixin, HTTPSConnectionPool):
    pass


class DeadlineAdapter(HTTPAdapter):
    """``HTTPAdapter`` whose pools let ``send_with_deadline`` find the socket of the call in flight."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def deadline_session() -> requests.Session:
    session = requests.Session()
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def send_with_deadline(
    session: requests.Session, method: str, url: str, *, data: Any, timeout: float
) -> requests.Response:
    """Send one request and read its whole body within ``timeout`` seconds in total.

    Raises ``DeadlineExceeded`` when the deadline passed, otherwise whatever requests raises. The socket
    timeout stays ``timeout`` too, so a silent server is caught by either.
    """
    call = _Call()
    _current.call = call
    timer = threading.Timer(timeout, call.expire)
    timer.daemon = True
    timer.start()
    try:
        response = session.request(method, url, data=data, timeout=timeout, stream=True)
        try:
            response.content  # noqa: B018 - reads (streams) the body inside the deadline
        finally:
            response.close()
    except requests.RequestException as exc:
        if call.expired:
            session.close()  # the shut-down connection must not go back to the pool
            raise DeadlineExceeded(f"no complete answer within {timeout:g} s") from exc
        raise
    finally:
        timer.cancel()
        _current.call = None
    if call.expired:  # fired just as the body completed: the answer is whole, the connection is not
        session.close()
    return response
