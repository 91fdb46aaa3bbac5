"""A real Copper sandbox over HTTP on 127.0.0.1 for the Copper and metrics tests (no network beyond loopback).

``copper_sandbox`` starts a small world (60 companies, seed 7, no rate limit, no faults) on an ephemeral port
with its state in the test's tmp dir, and stops it afterwards. ``copper_sandbox_factory(**options)`` starts
one with other options (``rate_limit``, ``fault_rate``, ``slow_seconds``, ``companies``, ``seed``).
``copper_sandbox_settings`` points copperhub's ``COPPER_*`` settings at the sandbox.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from copper.sandbox.server import SandboxServer, sandbox_serve

SANDBOX_HEADERS = {
    "X-PW-AccessToken": "sandbox-key",
    "X-PW-Application": "developer_api",
    "X-PW-UserEmail": "tests@example.com",
    "Content-Type": "application/json",
}


class CopperSandbox:
    """A running sandbox: ``base_url``, its counters, and direct access to its state (no HTTP, no limits)."""

    def __init__(self, server: SandboxServer, base_url: str) -> None:
        self.server = server
        self.base_url = base_url
        self.headers = dict(SANDBOX_HEADERS)

    @property
    def store(self):
        return self.server.store

    @property
    def definitions(self) -> list[dict]:
        """``GET /custom_field_definitions`` as the sandbox answers it."""
        return self.store.definitions

    def definition_id(self, name: str) -> int:
        return next(d["id"] for d in self.store.definitions if d["name"] == name)

    def stats(self) -> dict[str, Any]:
        """Requests, 429s (``responses_429``; ``rate_limited`` for the limit alone), faults, per route."""
        return self.server.stats.as_dict()

    def reset_stats(self) -> None:
        self.server.stats.reset()

    reset = reset_stats

    def set_rate_limit(self, per_minute: int) -> None:
        self.server.limit.per_minute = per_minute

    def set_fault_rate(self, rate: float) -> None:
        self.server.fault_rate = rate

    def company(self, company_id: int) -> dict | None:
        """The company as stored now (raw state)."""
        return self.store.company(company_id)

    def company_ids(self) -> list[int]:
        return self.store.company_ids()

    def companies(self) -> list[dict]:
        return [self.store.company(i) for i in self.store.company_ids()]

    def company_edit(
        self, company_id: int, changes: dict[str, Any], *, date_modified: int | None = None
    ) -> dict:
        """Edit as someone in Copper would (PUT semantics; ``date_modified`` now unless given)."""
        company = self.store.company_update(company_id, changes, date_modified=date_modified)
        assert company is not None, f"no company {company_id} in the sandbox"
        return company

    def custom_field_set(
        self, company_id: int, name: str, value: Any, *, date_modified: int | None = None
    ) -> dict:
        """Set one custom field by definition name."""
        entry = {"custom_field_definition_id": self.definition_id(name), "value": value}
        return self.company_edit(company_id, {"custom_fields": [entry]}, date_modified=date_modified)

    def custom_field_value(self, company_id: int, name: str) -> Any:
        def_id = self.definition_id(name)
        company = self.company(company_id) or {}
        return next(f["value"] for f in company["custom_fields"] if f["custom_field_definition_id"] == def_id)

    def company_create(self, body: dict[str, Any]) -> dict:
        return self.store.company_create(body)

    def company_delete(self, company_id: int) -> bool:
        return self.store.company_delete(company_id)

    def request(self, method: str, path: str, body: Any = None, *, headers: dict | None = None):
        """One raw HTTP call with Copper's headers: ``(status, response headers, decoded JSON or text)``."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers=self.headers if headers is None else headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, response_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, response_headers, raw = error.code, error.headers, error.read()
        try:
            return status, response_headers, json.loads(raw)
        except ValueError:
            return status, response_headers, raw.decode()


@pytest.fixture
def copper_sandbox_factory(tmp_path):
    """Start sandboxes with given options; all are stopped at the end of the test."""
    servers: list[SandboxServer] = []

    def start(*, seed: int = 7, companies: int = 60, rate_limit: int = 0, fault_rate: float = 0.0,
              slow_seconds: float = 0.2, state_path=None, reset: bool = False) -> CopperSandbox:  # fmt: skip
        path = state_path or tmp_path / f"copper-sandbox-{seed}-{companies}.sqlite3"
        server, _thread, base_url = sandbox_serve(
            state_path=path, seed=seed, companies=companies, rate_limit=rate_limit, fault_rate=fault_rate,
            slow_seconds=slow_seconds, reset=reset,
        )  # fmt: skip
        servers.append(server)
        return CopperSandbox(server, base_url)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def copper_sandbox(copper_sandbox_factory) -> CopperSandbox:
    """A running sandbox: 60 companies of seed 7, unlimited, no faults."""
    return copper_sandbox_factory()


@pytest.fixture
def copper_sandbox_settings(settings, copper_sandbox) -> CopperSandbox:
    """``copper_sandbox`` with ``COPPER_BASE_URL`` / ``COPPER_API_KEY`` / ``COPPER_USER_EMAIL`` pointing at it."""
    settings.COPPER_BASE_URL = copper_sandbox.base_url
    settings.COPPER_API_KEY = SANDBOX_HEADERS["X-PW-AccessToken"]
    settings.COPPER_USER_EMAIL = SANDBOX_HEADERS["X-PW-UserEmail"]
    return copper_sandbox
