"""``manage.py bench webhooks``: 1,000 Copper webhook notifications (with duplicates, deletes and late ones).

In a throwaway database: a full pull mirrors the in-process sandbox; a webhook target on 127.0.0.1 subscribes
to company new/update/delete; companies are edited, deleted and created in the sandbox, which POSTs its own
notifications (with the secret) to the target; re-deliveries of some of them and late notifications (older than
the mirror) are added up to 1,000; all go through ``/hooks/copper/`` (Django's test client, the real view) and
one processing pass handles the burst. Checks: every sandbox company mirrored exactly (name, custom fields,
date_modified, not missing), every deleted one marked missing, and at most ceil(ids / 200) searches.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

from django.test import Client
from django.test.utils import override_settings

from copper.client import CopperClient
from copper.models import CopperCompany, CopperWebhookNotification
from copper.sandbox.server import sandbox_serve
from copper.services.pull import copper_pull
from copper.services.webhook_subscriptions import copper_webhook_subscribe
from copper.services.webhooks import SECRET_FIELD, copper_webhooks_process
from syncs.bench import Measure, benchmark, scratch_database

SECRET = "bench-webhook-secret"  # noqa: S105 - a throwaway value for a throwaway database


@benchmark(
    "webhooks",
    help="1,000 webhook notifications (duplicates, deletes, late ones) into the mirror: exactness and searches.",
    arguments={
        "--companies": {"type": int, "default": 2000},
        "--notifications": {"type": int, "default": 1000},
        "--seed": {"type": int, "default": 13},
    },
)
def webhooks_benchmark(*, companies: int, notifications: int, seed: int = 13) -> dict[str, Any]:
    rng = random.Random(seed)
    with (
        scratch_database(),
        tempfile.TemporaryDirectory(prefix="copperhub-bench-webhooks-") as tmp,
        override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"], COPPER_WEBHOOK_SECRET=SECRET),
        mock.patch("syncs.queue.async_task", side_effect=lambda *a, **k: "bench") as queued,
    ):
        server, _thread, base_url = sandbox_serve(
            state_path=Path(tmp) / "sandbox.sqlite3", companies=companies
        )
        target = _Collector()
        try:
            client = CopperClient(api_key="sandbox-key", user_email="bench@example.com", base_url=base_url,
                                  rate_per_minute=None, timeout=30)  # fmt: skip
            copper_pull(client=client, full=True)
            mirrored = set(CopperCompany.objects.values_list("pk", flat=True))
            copper_webhook_subscribe(client=client, target=target.url)
            changes = _change_the_sandbox(server, target, rng, wanted=int(notifications * 0.85))
            payloads = list(target.received)
            untouched = sorted(mirrored - changes["touched"])
            late = [
                _late(rng.sample(untouched, rng.randint(1, 3)), payloads[0]["subscription_id"])
                for _ in range(min(notifications // 20, notifications - len(payloads)))
            ]
            resent = [
                json.loads(json.dumps(rng.choice(payloads)))
                for _ in range(notifications - len(payloads) - len(late))
            ]
            burst = payloads + late + resent
            rng.shuffle(burst)

            django = Client()
            with Measure() as receiving:
                answers = [
                    django.post("/hooks/copper/", data=json.dumps(p), content_type="application/json")
                    for p in burst
                ]
            server.stats.reset()
            with Measure() as processing:
                result = copper_webhooks_process(client=client)
            searches = server.stats.as_dict()["by_route"].get("POST /companies/search", 0)
            exact, wrong = _mirror_exact(server.store, deleted=changes["deleted"] & mirrored)
        finally:
            target.close()
            server.shutdown()
            server.server_close()

        ids_named = sum(len(p["ids"]) for p in burst)
        distinct = len({i for p in burst for i in p["ids"]})
        allowed = math.ceil(ids_named / 200)
        stored = CopperWebhookNotification.objects.count()
        return {
            "companies": companies,
            "notifications_posted": len(burst),
            "from_the_sandbox": len(payloads),
            "re_deliveries": len(resent),
            "late": len(late),
            "answered_202": sum(a.status_code == 202 for a in answers),
            "duplicates_answered": sum(a.json().get("duplicate", False) for a in answers),
            "notifications_stored": stored,
            "tasks_queued": queued.call_count,
            "ids_named": ids_named,
            "distinct_ids": distinct,
            "searches": searches,
            "searches_allowed": f"ceil({ids_named}/200) = {allowed}",
            "sandbox_changes": {k: len(v) for k, v in changes.items() if k != "touched"},
            "result": result.summary(),
            "receive_seconds": round(receiving.seconds, 2),
            "receive_ms_per_notification": round(1000 * receiving.seconds / max(1, len(burst)), 2),
            "process_seconds": round(processing.seconds, 2),
            "mirror_exactly_right": exact,
            "mirror_mismatches": wrong[:10],
            "checks_passed": bool(exact and searches <= allowed and stored + sum(
                a.json().get("duplicate", False) for a in answers) == len(burst)),
        }  # fmt: skip


def _change_the_sandbox(
    server, target: _Collector, rng: random.Random, *, wanted: int
) -> dict[str, set[int]]:
    """Edit, delete and create companies in small groups until the sandbox has sent ``wanted`` notifications."""
    store, hub = server.store, server.webhooks
    updated: set[int] = set()
    deleted: set[int] = set()
    created: set[int] = set()
    live = store.company_ids()
    n = 0
    while len(target.received) < wanted:
        n += 1
        kind = rng.choices(("update", "delete", "new"), weights=(7, 1, 2))[0]
        for _ in range(rng.randint(1, 3)):
            if kind == "update":
                company_id = rng.choice(live)
                store.company_update(company_id, {"name": f"Edited in Copper {n}-{company_id}"})
                updated.add(company_id)
            elif kind == "delete" and len(live) > 10:
                company_id = live.pop(rng.randrange(len(live)))
                store.company_delete(company_id)
                deleted.add(company_id)
            else:
                company = store.company_create({"name": f"Created in Copper {n}"})
                live.append(company["id"])
                created.add(company["id"])
        hub.wait_idle(10)
        target.wait(len(target.received))
    return {
        "updated": updated - deleted,
        "deleted": deleted,
        "created": created - deleted,
        "touched": updated | deleted | created,
    }


def _late(ids: list[int], subscription_id: int) -> dict[str, Any]:
    """An update notification from long before the mirror's data (Copper delivers up to 15 minutes late)."""
    return {"ids": sorted(ids), "type": "company", "event": "update", "subscription_id": subscription_id,
            "timestamp": datetime(2020, 1, 1, tzinfo=UTC).isoformat().replace("+00:00", "Z"),
            SECRET_FIELD: SECRET}  # fmt: skip


def _mirror_exact(store, *, deleted: set[int]) -> tuple[bool, list[str]]:
    wrong: list[str] = []
    mirror = {
        pk: (name, custom_fields, modified, missing)
        for pk, name, custom_fields, modified, missing in CopperCompany.objects.values_list(
            "pk", "name", "custom_fields", "date_modified", "missing_from_copper_since"
        )
    }
    for company_id in store.company_ids():
        company = store.company(company_id)
        row = mirror.get(company_id)
        if row is None:
            wrong.append(f"{company_id}: not mirrored")
        elif (row[0], row[1], int(row[2].timestamp()), row[3]) != (
            company["name"], company["custom_fields"], company["date_modified"], None
        ):  # fmt: skip
            wrong.append(f"{company_id}: differs")
    wrong += [f"{pk}: deleted but not marked missing" for pk in deleted if mirror[pk][3] is None]
    return not wrong, wrong


class _Collector:
    """A webhook target on 127.0.0.1 keeping every notification the sandbox sends."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with collector._lock:
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

    def wait(self, count: int, timeout: float = 5.0) -> None:
        """Deliveries are attempted by the time the hub is idle; the answer may still be in flight."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.001)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
