"""A local Copper: an HTTP server speaking Copper's developer API over the demo world (issue 3).

stdlib only (``http.server`` + ``sqlite3``); it never touches copperhub's database. State lives in its own
SQLite file (WAL): companies as their JSON text with indexed ``id`` / ``date_modified`` / ``date_created`` /
``name``, so a search page is one indexed query whose rows are joined as stored, never re-serialised.

What it answers (under ``/`` and under ``/developer_api/v1``), as documented in shared/reference:
``POST /companies/search``, ``GET|PUT|DELETE /companies/{id}``, ``POST /companies``, ``POST /users/search``,
``GET /custom_field_definitions``, ``GET /account``, ``POST|GET /webhooks``, ``DELETE /webhooks/{id}`` (deliveries:
``copper.sandbox.webhooks``). It requires Copper's four headers (401 otherwise), answers
a GET that carries a body with an HTML 400, limits requests on a rolling 60-second window (429), and can inject
faults (429 with or without ``Retry-After``, 500/502/503, slow answers) with a given probability.

Control endpoints for tests and benchmarks (no auth, never limited nor faulted): ``GET /_sandbox/stats``,
``POST /_sandbox/stats/reset``, ``GET|PUT|DELETE /_sandbox/companies/{id}`` (raw state; a PUT there edits like
Copper's PUT and may also set ``date_modified``), ``GET|PUT /_sandbox/walk`` (``search_cap`` and the edits /
deletes between pages of ``copper.sandbox.chaos.WalkChaos``). One search reaches at most its first
``search_cap`` (100,000) rows, as in Copper.
"""

from __future__ import annotations

import collections
import json
import random
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

from copper.sandbox.chaos import WalkChaos
from copper.sandbox.store import SandboxStore
from copper.sandbox.validation import SandboxInputError
from copper.sandbox.webhooks import WebhookHub

API_PREFIX = "/developer_api/v1"
REQUIRED_HEADERS = ("X-PW-AccessToken", "X-PW-Application", "X-PW-UserEmail", "Content-Type")
FAULTS = ("429_retry_after", "429", "500", "502", "503", "slow")
_COMPANY_PATH = re.compile(r"^/companies/(\d+)$")
_WEBHOOK_PATH = re.compile(r"^/webhooks/(\d+)$")
_RAW_COMPANY_PATH = re.compile(r"^/_sandbox/companies/(\d+)$")
_GET_WITH_BODY_PAGE = (
    b"<!DOCTYPE html><html><head><title>400 Bad Request</title></head>"
    b"<body><h1>Bad Request</h1><p>Your browser sent a request that this server could not understand.</p>"
    b"</body></html>"
)


class SandboxStats:
    """Counters of what clients asked and what they got (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.rate_limited = 0
            self.responses_429 = 0
            self.faults: collections.Counter[str] = collections.Counter()
            self.by_status: collections.Counter[str] = collections.Counter()
            self.by_route: collections.Counter[str] = collections.Counter()

    def record(self, *, route: str, status: int, fault: str | None = None, limited: bool = False) -> None:
        with self._lock:
            self.requests += 1
            self.by_route[route] += 1
            self.by_status[str(status)] += 1
            self.responses_429 += status == 429
            self.rate_limited += limited
            if fault:
                self.faults[fault] += 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "responses_429": self.responses_429,
                "rate_limited": self.rate_limited,
                "faults": dict(self.faults),
                "by_status": dict(self.by_status),
                "by_route": dict(self.by_route),
            }


class RollingLimit:
    """At most ``per_minute`` accepted requests in any 60 seconds (0 = unlimited). Refused ones do not count."""

    def __init__(self, per_minute: int, *, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._accepted: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        if not self.per_minute:
            return True
        with self._lock:
            now = self._clock()
            while self._accepted and self._accepted[0] <= now - 60.0:
                self._accepted.popleft()
            if len(self._accepted) >= self.per_minute:
                return False
            self._accepted.append(now)
            return True


class SandboxServer(ThreadingHTTPServer):
    """The HTTP server; carries the store, the limit, the fault injector and the counters."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], *, store: SandboxStore, rate_limit: int = 180,
                 fault_rate: float = 0.0, slow_seconds: float = 2.0, fault_seed: int = 0,
                 verbose: bool = False) -> None:  # fmt: skip
        super().__init__(address, _Handler)
        self.store = store
        self.limit = RollingLimit(rate_limit)
        self.fault_rate = fault_rate
        self.slow_seconds = slow_seconds
        self.stats = SandboxStats()
        self.chaos = WalkChaos()  # edits / deletes between the pages of a walk (PUT /_sandbox/walk)
        self.latency = 0.0  # seconds added to every API answer (a far-away Copper)
        self.verbose = verbose
        self._fault_rng = random.Random(fault_seed)
        self._fault_lock = threading.Lock()
        self.webhooks = WebhookHub()
        store.listeners.append(self.webhooks.on_change)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def draw_fault(self) -> str | None:
        if self.fault_rate <= 0:
            return None
        with self._fault_lock:
            if self._fault_rng.random() >= self.fault_rate:
                return None
            return self._fault_rng.choice(FAULTS)

    def server_close(self) -> None:
        self.closed = True
        self.webhooks.close()
        super().server_close()
        self.store.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A request still running when the server is closed (a slow fault) fails on the closed store: expected.
        if not getattr(self, "closed", False):
            super().handle_error(request, client_address)


class _Answer(NamedTuple):
    status: int
    body: bytes | str
    headers: dict[str, str] | None = None
    content_type: str = "application/json"


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Answer:
    return _Answer(status, json.dumps(payload), headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> _Answer:
    return _json(status, {"success": False, "status": status, "message": message}, headers)


def _invalid(message: object) -> _Answer:
    return _error(422, f"Invalid input: Validation errors: {message}")


NOT_FOUND = _Answer(404, json.dumps({"error": "not_found"}))


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"  # keep-alive: the client's session reuses its connection

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if path.startswith("/_sandbox/"):
            self._send(self._control(method, path, raw))
            return
        if path.startswith(API_PREFIX + "/"):
            path = path[len(API_PREFIX) :]
        limited = not self.server.limit.allow()
        fault = None if limited else self.server.draw_fault()
        if limited:
            answer = _error(429, "Rate limit exceeded: too many requests, try again later")
        elif fault and fault != "slow":
            status = int(fault[:3])
            answer = _error(
                status, "Injected fault", {"Retry-After": "1"} if fault == "429_retry_after" else None
            )
        else:
            if fault == "slow":
                time.sleep(self.server.slow_seconds)
            if self.server.latency:
                time.sleep(self.server.latency)
            answer = self._api(method, path, raw)
        # Count before answering: a client that reads the stats right after its last answer sees it counted.
        route = f"{method} {_WEBHOOK_PATH.sub('/webhooks/{id}', _COMPANY_PATH.sub('/companies/{id}', path))}"
        self.server.stats.record(route=route, status=answer.status, fault=fault, limited=limited)
        self._send(answer)

    def _send(self, answer: _Answer) -> None:
        data = answer.body.encode() if isinstance(answer.body, str) else answer.body
        self.send_response(answer.status)
        self.send_header("Content-Type", f"{answer.content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (answer.headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _api(self, method: str, path: str, raw: bytes) -> _Answer:
        if method == "GET" and raw:
            return _Answer(400, _GET_WITH_BODY_PAGE, content_type="text/html")
        missing = [h for h in REQUIRED_HEADERS if not self.headers.get(h)]
        if missing or self.headers.get("X-PW-Application") != "developer_api":
            return _error(
                401,
                f"Unauthorized: missing or invalid header(s) {', '.join(missing or ['X-PW-Application'])}",
            )
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return _error(400, "Bad request: the body is not JSON")
        try:
            return self._route(method, path, body)
        except SandboxInputError as exc:
            return _invalid(exc)

    # --- Copper's API -----------------------------------------------------------------------------------

    def _route(self, method: str, path: str, body: Any) -> _Answer:  # noqa: C901 - one branch per route
        store = self.server.store
        match = _COMPANY_PATH.match(path)
        if method == "POST" and path == "/companies/search":
            total, page = store.companies_search(_object(body))
            self.server.chaos.after_search(store, _object(body))  # the next page sees it, as in Copper
            return _Answer(200, page, {"X-PW-TOTAL": str(total)})
        if match and method == "GET":
            text = store.company_json(int(match.group(1)))
            return NOT_FOUND if text is None else _Answer(200, text)
        if match and method == "PUT":
            company = store.company_update(int(match.group(1)), _object(body))
            return NOT_FOUND if company is None else _json(200, company)
        if match and method == "DELETE":
            company_id = int(match.group(1))
            return (
                _json(200, {"id": company_id, "is_deleted": True})
                if store.company_delete(company_id)
                else NOT_FOUND
            )
        if method == "POST" and path == "/companies":
            return _json(200, store.company_create(_object(body)))
        if method == "POST" and path == "/users/search":
            total, page = store.users_search(_object(body))
            return _Answer(200, page, {"X-PW-TOTAL": str(total)})
        if method == "GET" and path == "/custom_field_definitions":
            return _Answer(200, store.definitions_json())
        if method == "GET" and path == "/account":
            return _Answer(200, store.account_json())
        return self._webhooks(method, path, body)

    def _webhooks(self, method: str, path: str, body: Any) -> _Answer:
        hub = self.server.webhooks
        if path == "/webhooks" and method == "POST":
            return _json(200, hub.create(_object(body)))
        if path == "/webhooks" and method == "GET":
            return _json(200, hub.list())
        match = _WEBHOOK_PATH.match(path)
        if match and method == "DELETE":
            removed = hub.delete(int(match.group(1)))
            return NOT_FOUND if removed is None else _json(200, {"id": removed["id"], "is_deleted": True})
        return NOT_FOUND

    # --- control endpoints (tests, benchmarks) ----------------------------------------------------------

    def _control(self, method: str, path: str, raw: bytes) -> _Answer:
        store = self.server.store
        match = _RAW_COMPANY_PATH.match(path)
        if method == "GET" and path == "/_sandbox/stats":
            return _json(200, self.server.stats.as_dict())
        if method == "POST" and path == "/_sandbox/stats/reset":
            self.server.stats.reset()
            return _json(200, self.server.stats.as_dict())
        if path == "/_sandbox/walk" and method in ("GET", "PUT"):
            try:
                if method == "PUT":
                    options = _object(json.loads(raw or b"{}"))
                    if "search_cap" in options:
                        store.search_cap = int(options.pop("search_cap"))
                    self.server.chaos = WalkChaos.from_options(options)
            except (ValueError, TypeError, SandboxInputError) as exc:
                return _invalid(exc)
            return _json(200, {**self.server.chaos.as_dict(), "search_cap": store.search_cap})
        if match and method == "GET":
            text = store.company_json(int(match.group(1)))
            return NOT_FOUND if text is None else _Answer(200, text)
        if match and method == "PUT":
            try:
                changes = _object(json.loads(raw or b"{}"))
                date_modified = changes.pop("date_modified", None)
                company = store.company_update(int(match.group(1)), changes, date_modified=date_modified)
            except (ValueError, SandboxInputError) as exc:
                return _invalid(exc)
            return NOT_FOUND if company is None else _json(200, company)
        if match and method == "DELETE":
            return _json(200, {"deleted": True}) if store.company_delete(int(match.group(1))) else NOT_FOUND
        return NOT_FOUND


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise SandboxInputError("Base: the request body must be a JSON object")
    return body


def default_state_path(*, seed: int, companies: int, root: Path | str = "var/sandbox") -> Path:
    return Path(root) / f"copper-{seed}-{companies}.sqlite3"


def sandbox_serve(*, port: int = 0, host: str = "127.0.0.1", state_path: Path | str | None = None, seed: int = 7,
                  companies: int = 60, rate_limit: int = 0, fault_rate: float = 0.0, slow_seconds: float = 2.0,
                  reset: bool = False, verbose: bool = False) -> tuple[SandboxServer, threading.Thread, str]:  # fmt: skip
    """Start a sandbox in a daemon thread (``port=0``: an ephemeral port) and return ``(server, thread,
    base_url)``. Stop it with ``server.shutdown(); server.server_close()``. Loads (or reuses) the world in
    ``state_path`` (default ``var/sandbox/copper-<seed>-<companies>.sqlite3``)."""
    path = Path(state_path) if state_path else default_state_path(seed=seed, companies=companies)
    store = SandboxStore.open(path, seed=seed, companies=companies, reset=reset)
    server = SandboxServer((host, port), store=store, rate_limit=rate_limit, fault_rate=fault_rate,
                           slow_seconds=slow_seconds, fault_seed=seed, verbose=verbose)  # fmt: skip
    # A short poll interval makes shutdown() prompt (tests start and stop many sandboxes).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="copper-sandbox",
                              daemon=True)  # fmt: skip
    thread.start()
    return server, thread, server.base_url
