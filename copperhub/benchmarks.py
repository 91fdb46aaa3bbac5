"""``manage.py bench admin_pages``: the time and statements of every admin page at the demo's size.

The world is the one ``bench changeset`` builds (``metrics.benchmarks``): an in-process Copper sandbox of
``--companies`` companies (1,662, the demo's) pulled into a scratch SQLite database, each linked to a Fishbowl
customer with orders, every metric mapped; then a change set is built by one superuser, approved by another and
applied by a Metrics apply run (so the audit trail holds the run's ~9,600 field changes and its rollback preview
has them all to plan), followed by an integrity report. A superuser is logged in with the test ``Client`` and
every admin page reachable from the index is fetched: each registered model's changelist and the change page of
one object, every custom admin view (the admin's URL patterns, arguments filled with a fitting object: the
apply run for run pages and the rollback preview, the change set for its pages, a check for check pages), and
the admin links those pages show (one page per URL shape). Each page is fetched once to warm up, then three
times; the median wall and CPU time (the CPU time leaves out waiting for a core on a shared machine) and the
statements of one fetch are printed, ``SLOW`` marking a wall median over 500 ms.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, reverse

from copper.client import CopperClient
from copper.sandbox.server import sandbox_serve
from copper.sandbox.store import DEFAULT_TIMEZONE
from integrity.checks import CHECKS
from integrity.services import integrity_report_create
from metrics.benchmarks import AS_OF
from metrics.benchmarks import _world as changeset_world
from metrics.services.changesets import change_set_apply, change_set_approve, change_set_build
from syncs.bench import QueryCount, benchmark, scratch_database
from syncs.models import SyncRun

TARGET_SECONDS = 0.5
# Never fetched: they sign out, delete, or are files and redirects rather than pages.
SKIPPED = re.compile(r"/(logout|password_change|delete|jsi18n|autocomplete|r)/|/add/$|\.csv$")
# Query keys of a changelist's own filters, sorting and paging: one page per changelist is enough.
CHANGELIST_KEYS = {"o", "p", "q", "e", "all", "_changelist_filters", "_popup", "_to_field"}


def _admin_patterns(patterns, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _admin_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((prefix + str(entry.pattern), entry))
    return found


def _arguments_for(route: str, pattern: URLPattern, ids: dict[str, Any]) -> dict[str, Any] | None:
    """Fitting arguments for one admin route, or ``None`` when there is no object to show."""
    names = list(pattern.pattern.converters) or re.findall(r"<(?:\w+:)?(\w+)>", route)
    if not names:
        return {}
    model_admin = _owning_admin(route)
    values = {}
    for name in names:
        if name in ("object_id", "pk", "id"):
            value = ids["by_admin"].get(model_admin)
        elif name == "run_id":
            value = ids["run"]
        elif name == "name":
            value = ids["check"]
        elif name == "history_id":
            value = ids["history"].get(model_admin)
        else:
            value = None
        if value is None:
            return None
        values[name] = value
    return values


def _owning_admin(route: str):
    for model, model_admin in admin.site._registry.items():
        if route.startswith(f"{model._meta.app_label}/{model._meta.model_name}/"):
            return model_admin
    return None


def _seed_urls(ids: dict[str, Any]) -> list[str]:
    """The index, every changelist and one change page per model, and every custom view with arguments."""
    urls = [reverse("admin:index")]
    for route, pattern in _admin_patterns(admin.site.get_urls()):
        arguments = _arguments_for(route, pattern, ids)
        if arguments is None:
            continue
        try:
            urls.append(reverse(f"admin:{pattern.name}", kwargs=arguments))
        except NoReverseMatch:
            continue
    # The audit trail of the apply run: the page its rollback preview is reached from.
    urls.append(f"{reverse('admin:integrity_audit')}?run={ids['run']}")
    return urls


def _shape(url: str) -> tuple[str, frozenset[str]] | None:
    """One key per kind of page (ids read as N); ``None`` for links the crawl does not follow."""
    parts = urlsplit(url)
    if not parts.path.startswith("/admin/") or SKIPPED.search(parts.path) or parts.scheme or parts.netloc:
        return None
    keys = frozenset(key for key, _value in parse_qsl(parts.query, keep_blank_values=True))
    if keys & CHANGELIST_KEYS or any("__" in key for key in keys):
        return None
    return re.sub(r"/\d+/", "/N/", parts.path), keys


def _links(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'href="(/admin/[^"#]*)"', html)]


def admin_pages_crawl(*, client: Client, seeds: list[str], repeat: int = 3, limit: int = 400) -> list[dict]:
    """Fetch each seed and each admin link found on the fetched pages (one per shape); time each page."""
    # 403/404/405 answers are part of the crawl (POST-only views, refused actions): not worth a traceback each.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    queue, seen, pages = [], set(), []
    for url in seeds:
        shape = _shape(url)
        if shape is not None and shape not in seen:
            seen.add(shape)
            queue.append(url)
    while queue and len(pages) < limit:
        url = queue.pop(0)
        response = client.get(url)  # warm-up: templates compiled, caches filled, links found
        status = response.status_code
        location = response.get("Location", "") if status in (301, 302) else ""
        shape = _shape(location) if location and "/login/" not in location else None
        if shape is not None and shape not in seen:  # e.g. a run's change page leads to its progress page
            seen.add(shape)
            queue.append(location)
        if status != 200:
            pages.append(
                {"url": url, "status": status, "seconds": None, "cpu_seconds": None, "queries": None}
            )
            continue
        if response.get("Content-Type", "").startswith("text/html"):
            for link in _links(response.content.decode()):
                shape = _shape(link)
                if shape is not None and shape not in seen:
                    seen.add(shape)
                    queue.append(link)
        times, cpu, queries = [], [], 0
        for _ in range(repeat):
            with QueryCount() as counted:
                started, cpu_started = time.perf_counter(), time.process_time()
                client.get(url)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
            queries = counted.count
        pages.append(
            {
                "url": url,
                "status": status,
                "seconds": statistics.median(times),
                "cpu_seconds": statistics.median(cpu),
                "queries": queries,
            }
        )
    return pages


def _world_build(*, base_url: str) -> dict[str, Any]:
    def client() -> CopperClient:
        return CopperClient(api_key="bench", user_email="bench@example.com", base_url=base_url, timeout=30)

    companies = changeset_world(client())
    users = get_user_model().objects
    builder = users.create_superuser(
        "builder", "builder@example.com", "x", first_name="Bea", last_name="Builder"
    )
    approver = users.create_superuser(
        "admin", "admin@example.com", "x", first_name="Ada", last_name="Approver"
    )
    change_set = change_set_build(client=client(), user=builder, as_of=AS_OF)
    change_set_approve(change_set=change_set, user=approver)
    now = dt.datetime.now(dt.UTC)
    run = SyncRun.objects.create(
        kind=SyncRun.Kind.METRICS_APPLY,
        status=SyncRun.Status.RUNNING,
        options={"change_set_id": change_set.pk},
        started_by=approver,
        started_at=now,
    )
    change_set = change_set_apply(change_set=change_set, client=client(), user=approver, run=run)
    run.status, run.finished_at = SyncRun.Status.SUCCEEDED, dt.datetime.now(dt.UTC)
    run.save(update_fields=["status", "finished_at"])
    integrity_report_create(run=run, deliver=False)
    return {
        "companies": companies,
        "changes": change_set.changes.count(),
        "change_set": change_set,
        "run": run,
        "user": approver,
    }


def _object_ids() -> dict[Any, Any]:
    """The first object of each registered model (the newest run and change set, whose pages are fullest)."""
    by_admin, history = {}, {}
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.order_by("-pk").only("pk").first()
        if obj is not None:
            by_admin[model_admin] = obj.pk
            manager = getattr(model, "history", None)
            if manager is not None:
                record = manager.filter(**{model._meta.pk.attname: obj.pk}).only("history_id").first()
                history[model_admin] = record.history_id if record else None
    return {"by_admin": by_admin, "history": history}


@benchmark(
    "admin_pages",
    help="Every admin page at the demo's size: median time of 3 fetches and statements (target < 500 ms).",
    arguments={"--companies": {"type": int, "default": 1662}, "--repeat": {"type": int, "default": 3}},
)
def admin_pages_benchmark(*, companies: int, repeat: int = 3) -> dict[str, Any]:
    with (
        scratch_database(),
        tempfile.TemporaryDirectory(prefix="copperhub-sandbox-") as tmp,
        override_settings(COPPER_TIMEZONE=DEFAULT_TIMEZONE),
    ):
        server, _thread, base_url = sandbox_serve(
            state_path=Path(tmp) / "copper.sqlite3", seed=7, companies=companies
        )
        try:
            with override_settings(
                COPPER_BASE_URL=base_url, COPPER_API_KEY="bench", COPPER_USER_EMAIL="bench@example.com"
            ):
                started = time.perf_counter()
                world = _world_build(base_url=base_url)
                build_seconds = time.perf_counter() - started
                ids = {
                    **_object_ids(),
                    "run": world["run"].pk,
                    "check": next(iter(CHECKS)),
                }
                load_before = round(os.getloadavg()[0], 2)
                with override_settings(ALLOWED_HOSTS=["testserver", "localhost", "127.0.0.1"]):
                    client = Client()
                    client.force_login(world["user"])
                    pages = admin_pages_crawl(client=client, seeds=_seed_urls(ids), repeat=repeat)
        finally:
            server.shutdown()
            server.server_close()
    timed = [page for page in pages if page["seconds"] is not None]
    slow = [page for page in timed if page["seconds"] > TARGET_SECONDS]
    _print_table(pages)
    return {
        "companies": world["companies"],
        "change_set_changes": world["changes"],
        "apply_run": world["run"].pk,
        "world_build_seconds": round(build_seconds, 1),
        "pages": len(pages),
        "pages_not_200": {page["url"]: page["status"] for page in pages if page["seconds"] is None},
        "slowest_seconds": round(max((p["seconds"] for p in timed), default=0), 3),
        "pages_over_500_ms": [page["url"] for page in slow],
        # On a shared machine the wall time includes waiting for a core; the CPU time does not.
        "pages_over_500_ms_of_cpu": [p["url"] for p in timed if p["cpu_seconds"] > TARGET_SECONDS],
        "load_average_before_and_after_crawl": [load_before, round(os.getloadavg()[0], 2)],
        "target_met": not slow,
    }


def _print_table(pages: list[dict]) -> None:
    out = sys.stdout
    out.write(f"  {'page':<78} {'ms':>7} {'cpu_ms':>7} {'queries':>8}\n")
    for page in pages:
        if page["seconds"] is None:
            out.write(f"  {page['url']:<78} {'HTTP ' + str(page['status']):>24}\n")
            continue
        flag = "  SLOW" if page["seconds"] > TARGET_SECONDS else ""
        out.write(
            f"  {page['url']:<78} {page['seconds'] * 1000:>7.0f} {page['cpu_seconds'] * 1000:>7.0f} "
            f"{page['queries']:>8}{flag}\n"
        )
    out.flush()
