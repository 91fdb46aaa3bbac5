"""The sandbox's webhooks: subscriptions (``POST|GET /webhooks``, ``DELETE /webhooks/{id}``) and deliveries.

Like Copper: a subscription names a ``target`` (https; plain http only on loopback, for tests), a ``type``
(lead / person / company / opportunity / project / task) and an ``event`` (new / update / delete), with an
optional ``secret`` object whose pairs are echoed in every notification and ``headers`` sent along. When a
company is created, updated or deleted (by the API, the control endpoints or a test editing the store), a
notification ``{ids, type, event, subscription_id, timestamp, updated_attributes?, **secret}`` is POSTed to each
matching target. Delivery runs in a background thread (never blocking the request that changed the company),
groups up to 30 ids of one subscription that arrived together, is attempted once and never retried.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from copper.sandbox.validation import SandboxInputError

logger = logging.getLogger(__name__)

TYPES = ("lead", "person", "company", "opportunity", "project", "task")
EVENTS = ("new", "update", "delete")
MAX_IDS = 30
MAX_SUBSCRIPTIONS = 100
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DELIVERY_TIMEOUT = 5.0


class WebhookHub:
    """Subscriptions and a delivery thread. Thread-safe; ``close()`` stops the thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: dict[int, dict[str, Any]] = {}
        self._next_id = 1
        self._events: queue.Queue = queue.Queue()
        self.delivered = 0
        self.failed = 0
        self.sent: list[dict[str, Any]] = []  # every notification sent (tests read it)
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0  # changes queued and not yet attempted
        self._thread = threading.Thread(target=self._deliver_forever, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    # --- subscriptions ---------------------------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        target, kind, event = body.get("target"), body.get("type"), body.get("event")
        unknown = sorted(set(body) - {"target", "type", "event", "secret", "headers"})
        if unknown:
            raise SandboxInputError(f"Base: Unrecognized attributes specified: {', '.join(unknown)}")
        parts = urlsplit(target if isinstance(target, str) else "")
        if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)):
            raise SandboxInputError("Target: must be an https URL")
        if kind not in TYPES:
            raise SandboxInputError(f"Type: is not included in the list ({', '.join(TYPES)})")
        if event not in EVENTS:
            raise SandboxInputError(f"Event: is not included in the list ({', '.join(EVENTS)})")
        for key in ("secret", "headers"):
            value = body.get(key)
            if value is not None and not (
                isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
            ):
                raise SandboxInputError(f"{key.capitalize()}: must be an object of strings")
        with self._lock:
            if len(self._subscriptions) >= MAX_SUBSCRIPTIONS:
                raise SandboxInputError(f"Base: at most {MAX_SUBSCRIPTIONS} subscriptions per account")
            subscription = {
                "id": self._next_id,
                "target": target,
                "type": kind,
                "event": event,
                "secret": dict(body.get("secret") or {}),
                "headers": dict(body.get("headers") or {}),
                "created_at": int(dt.datetime.now(dt.UTC).timestamp()),
            }
            self._subscriptions[self._next_id] = subscription
            self._next_id += 1
            return dict(subscription)

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(s) for s in self._subscriptions.values()]

    def delete(self, subscription_id: int) -> dict[str, Any] | None:
        with self._lock:
            return self._subscriptions.pop(subscription_id, None)

    # --- deliveries ------------------------------------------------------------------------------------
    def on_change(self, event: str, company_id: int, updated: dict[str, list] | None = None) -> None:
        """Called by the store after a company write; only queues (the thread delivers)."""
        with self._lock:
            if not any(s["type"] == "company" and s["event"] == event for s in self._subscriptions.values()):
                return
            self._pending += 1
            self._idle.clear()
        self._events.put((event, company_id, updated, dt.datetime.now(dt.UTC)))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued notification was attempted (tests)."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        self._events.put(None)

    def _deliver_forever(self) -> None:
        while True:
            item = self._events.get()
            if item is None:
                return
            batch = [item]
            # What arrived together goes out together (Copper names 1-30 records per notification).
            while True:
                try:
                    more = self._events.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._send_all(batch)
                    return
                batch.append(more)
            try:
                self._send_all(batch)
            except Exception:  # a delivery bug must not stop later deliveries
                logger.exception("Sandbox webhook delivery failed")
            with self._lock:
                self._pending -= len(batch)
                if self._pending <= 0:
                    self._idle.set()

    def _send_all(self, batch: list[tuple]) -> None:
        with self._lock:
            subscriptions = [dict(s) for s in self._subscriptions.values() if s["type"] == "company"]
        for subscription in subscriptions:
            mine = [b for b in batch if b[0] == subscription["event"]]
            for start in range(0, len(mine), MAX_IDS):
                chunk = mine[start : start + MAX_IDS]
                payload: dict[str, Any] = {
                    "ids": [company_id for _e, company_id, _u, _t in chunk],
                    "type": "company",
                    "event": subscription["event"],
                    "subscription_id": subscription["id"],
                    "timestamp": chunk[-1][3].isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                }
                if subscription["event"] == "update":
                    merged: dict[str, list] = {}
                    for _e, _c, updated, _t in chunk:
                        merged.update(updated or {})
                    payload["updated_attributes"] = merged
                payload.update(subscription["secret"])
                self._post(subscription, payload)

    def _post(self, subscription: dict[str, Any], payload: dict[str, Any]) -> None:
        request = urllib.request.Request(  # noqa: S310 - create() allows http(s) targets only
            subscription["target"],
            data=json.dumps(payload).encode(),
            method="POST",
            headers={**subscription["headers"], "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as response:  # noqa: S310 - checked
                response.read()
            ok = True
        except (urllib.error.URLError, OSError, ValueError):
            ok = False  # at most once, never retried: as Copper does
        with self._lock:
            self.sent.append(payload)
            self.delivered += ok
            self.failed += not ok
