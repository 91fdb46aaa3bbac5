"""The Copper pull: mirror Copper's users, custom-field definitions and companies into the local tables.

``copper_pull`` does the work with a given client; ``copper_pull_run`` is the ``SyncRun`` runner (builds the
client from settings); ``copper_pull_start`` queues a run for the admin, the API and the command.

Side effects: upserts ``CopperUser``, ``CustomFieldDefinition`` and ``CopperCompany`` rows, writing only rows
whose values changed, each with a history row whose change reason names the run (the writing itself is in
``copper.services.mirror_writes``). Companies are read by keyset windows (``CopperClient.companies_walk``:
no edit during the pull hides a company, no search asks past Copper's 100,000-row cap), full and incremental
alike, and committed one page (≤ 200) at a time, so a cancelled or failed run keeps the pages it finished;
re-running is idempotent. Only a full pull (the scheduled reconciliation, or one asked for) marks companies
``missing_from_copper_since`` (never deletes), and only after its walk covered every window and a lookup by
id confirmed Copper no longer has them (``copper.services.reconcile``); any pull clears the mark when the
company comes back. The run's ``high_water_mark`` records the newest ``date_modified`` it saw (never past the
run's start): the next incremental pull asks Copper for companies modified at or after it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from copper.client import CopperClient, copper_client_from_settings
from copper.custom_fields import CustomFieldCatalog, label_of, timestamp_to_datetime
from copper.errors import CopperConfigurationError
from copper.models import CopperCompany, CopperUser, CustomFieldDefinition
from copper.normalize import account_number_normalise, flag_is_set
from copper.services.mirror_writes import Counts, MirrorWriter, sqlite_bulk_tuning
from copper.services.reconcile import IdSet, companies_reconcile
from syncs.models import SyncRun, SyncRunLog
from syncs.progress import Progress
from syncs.services.runs import sync_run_start

Level = SyncRunLog.Level

USER_FIELDS = ("name", "email")
DEFINITION_FIELDS = ("name", "canonical_name", "data_type", "options", "available_on", "currency")
# Every CopperCompany column a pull owns (attnames), in the order _CompanyExtractor.values() builds them.
COMPANY_FIELDS = (
    "name",
    "assignee_id",
    "contact_type_id",
    "email_domain",
    "address",
    "tags",
    "custom_fields",
    "account_order_id",
    "account_number",
    "is_active_customer",
    "account_type",
    "region",
    "fishbowl_sales_person",
    "date_created",
    "date_modified",
    "missing_from_copper_since",
)
# Typed column → the setting naming its Copper custom field.
TYPED_COLUMNS = {
    "account_order_id": "COPPER_FIELD_ACCOUNT_ORDER_ID",
    "is_active_customer": "COPPER_FIELD_ACTIVE_CUSTOMER",
    "account_type": "COPPER_FIELD_ACCOUNT_TYPE",
    "region": "COPPER_FIELD_REGION",
    "fishbowl_sales_person": "COPPER_FIELD_SALES_PERSON",
}


@dataclass
class PullResult:
    full: bool
    users: Counts = field(default_factory=Counts)
    definitions: Counts = field(default_factory=Counts)
    companies: Counts = field(default_factory=Counts)
    marked_missing: int = 0
    still_in_copper: int = 0  # unseen by the walk, found by the id lookup (edited during the pull)
    problems: int = 0
    high_water_mark: datetime | None = None
    requests: int = 0
    rate_limited: int = 0
    # Seconds spent extracting, comparing and writing (excludes waiting for Copper): for benchmarks. The CPU
    # figure is this thread's own processor time, which other busy processes on the machine do not inflate.
    local_seconds: float = 0.0
    local_cpu_seconds: float = 0.0

    def summary(self) -> str:
        c = self.companies
        text = (
            f"{'Full' if self.full else 'Incremental'} pull: {c.processed} companies "
            f"({c.created} created, {c.updated} updated, {c.unchanged} unchanged)"
        )
        if self.full:
            text += f", {self.marked_missing} newly missing from Copper"
            if self.still_in_copper:
                text += f" ({self.still_in_copper} unseen by the walk but found by id)"
        text += (
            f"; {self.users.processed} users, {self.definitions.processed} custom-field definitions; "
            f"{self.requests} requests to Copper, {self.rate_limited} rate-limited"
        )
        if self.problems:
            text += f"; {self.problems} values could not be read (see the log)"
        return text + "."


def copper_pull(
    *,
    client: CopperClient,
    full: bool = False,
    run: SyncRun | None = None,
    progress: Progress | None = None,
    user: AbstractBaseUser | None = None,
) -> PullResult:
    """Pull users, definitions, then companies (incremental unless ``full`` or no earlier successful pull).

    Raises ``CopperError`` subclasses from the client and ``RunCancelled`` between pages; either way the
    pages already committed stay.
    """
    progress = progress or Progress.null()
    started = (run.started_at if run is not None and run.started_at else None) or timezone.now()
    started_ts = int(started.timestamp())
    previous_mark = None if full else _last_high_water_mark(exclude=run)
    full = full or previous_mark is None
    result = PullResult(full=full, high_water_mark=previous_mark)
    writer = MirrorWriter(
        reason=f"copper pull run #{run.pk}" if run is not None else "copper pull",
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )

    progress.step("Users")
    users = client.users()
    progress.set_total(len(users))
    with transaction.atomic():
        result.users = writer.upsert(CopperUser, {int(u["id"]): _user_values(u) for u in users}, USER_FIELDS)
    progress.add(processed=len(users), users_created=result.users.created, users_updated=result.users.updated)
    progress.check_cancelled()

    progress.step("Custom-field definitions")
    definitions = client.custom_field_definitions()
    progress.set_total(len(definitions))
    with transaction.atomic():
        result.definitions = writer.upsert(
            CustomFieldDefinition,
            {int(d["id"]): _definition_values(d) for d in definitions},
            DEFINITION_FIELDS,
        )
    progress.add(
        processed=len(definitions),
        definitions_created=result.definitions.created,
        definitions_updated=result.definitions.updated,
    )
    extractor = _CompanyExtractor(CustomFieldCatalog(definitions), progress)
    progress.check_cancelled()

    progress.step("Companies")
    # Inclusive lower bound (the walk de-duplicates); capped at the run's start so a future date cannot move
    # the mark past later records. A full pull walks from the beginning.
    walk = client.companies_walk(
        minimum_modified=None if full else int(previous_mark.timestamp()),
        maximum_modified=started_ts,
        search_cap=getattr(settings, "COPPER_SEARCH_CAP", 100_000),
        on_total=progress.set_total,
    )
    seen = IdSet()
    newest = None
    with sqlite_bulk_tuning():
        for page in walk:
            tick, cpu_tick = time.perf_counter(), time.thread_time()
            incoming = {}
            for row in page:
                values = extractor.values(row)
                incoming[int(row["id"])] = values
                modified = row.get("date_modified")
                if (
                    isinstance(modified, int | float)
                    and modified <= started_ts
                    and (newest is None or modified > newest)
                ):
                    newest = modified
            with transaction.atomic():
                counts = writer.upsert(CopperCompany, incoming, COMPANY_FIELDS, fast=True)
            seen.update(incoming)
            result.companies += counts
            result.local_seconds += time.perf_counter() - tick
            result.local_cpu_seconds += time.thread_time() - cpu_tick
            progress.add(
                processed=len(page),
                created=counts.created,
                updated=counts.updated,
                unchanged=counts.unchanged,
            )
            progress.check_cancelled()
    progress.set_total(result.companies.processed)
    if newest is not None:
        mark = timestamp_to_datetime(newest)
        if result.high_water_mark is None or mark > result.high_water_mark:
            result.high_water_mark = mark

    if full:
        if client.last_walk is None or not client.last_walk.completed:
            # Unreachable while the walk raises on every failure; kept so no future change can mark half a walk.
            raise RuntimeError("The company walk did not cover every window; nothing was marked missing.")
        tick, cpu_tick = time.perf_counter(), time.thread_time()
        reconciled = companies_reconcile(
            client=client, seen=seen, writer=writer, values=extractor.values, fields=COMPANY_FIELDS,
            now=timezone.now(),
        )  # fmt: skip
        result.companies += reconciled.written
        result.marked_missing = reconciled.marked_missing
        result.still_in_copper = reconciled.still_in_copper
        result.local_seconds += time.perf_counter() - tick
        result.local_cpu_seconds += time.thread_time() - cpu_tick
        progress.add(marked_missing=result.marked_missing, still_in_copper=result.still_in_copper)

    result.problems = extractor.problems
    result.requests = client.stats.requests
    result.rate_limited = client.stats.rate_limited
    progress.add(requests=result.requests, rate_limited=result.rate_limited)
    progress.set_message(result.summary())
    progress.flush()
    if run is not None:
        # SyncRun keeps no history; update() leaves the progress fields the helper owns alone.
        SyncRun.objects.filter(pk=run.pk).update(high_water_mark=result.high_water_mark)
        run.high_water_mark = result.high_water_mark
    return result


def copper_pull_run(*, run: SyncRun, progress: Progress) -> None:
    """Runner for ``SyncRun.Kind.COPPER_PULL``: ``run.options["full"]`` asks for a full refresh.

    A missing setting ends the run failed with a message naming it (never a stack trace in the admin).
    """
    try:
        client = copper_client_from_settings()
    except CopperConfigurationError as exc:
        progress.log(level=Level.ERROR, code="configuration", message=str(exc))
        raise
    copper_pull(
        client=client, full=bool(run.options.get("full")), run=run, progress=progress, user=run.started_by
    )


def copper_pull_start(
    *, user: AbstractBaseUser | None, full: bool = False, trigger: str | None = None
) -> SyncRun:
    """Queue a pull; raises ``SyncRunAlreadyActive`` (with a clear message) while another is queued/running.

    ``trigger`` (e.g. ``"schedule"``) is recorded in the run's options."""
    options: dict[str, Any] = {"full": bool(full)}
    if trigger:
        options["trigger"] = trigger
    return sync_run_start(kind=SyncRun.Kind.COPPER_PULL, user=user, options=options)


def _last_high_water_mark(*, exclude: SyncRun | None) -> datetime | None:
    runs = SyncRun.objects.filter(
        kind=SyncRun.Kind.COPPER_PULL, status=SyncRun.Status.SUCCEEDED, high_water_mark__isnull=False
    )
    if exclude is not None:
        runs = runs.exclude(pk=exclude.pk)
    return runs.order_by("-finished_at", "-pk").values_list("high_water_mark", flat=True).first()


def _user_values(row: dict[str, Any]) -> tuple:
    return ((row.get("name") or "")[:255], (row.get("email") or "")[:255])


def _definition_values(row: dict[str, Any]) -> tuple:
    return (
        (row.get("name") or "")[:255],
        (row.get("canonical_name") or "")[:255],
        (row.get("data_type") or "")[:20],
        row.get("options") or [],
        row.get("available_on") or [],
        (row.get("currency") or "")[:8],
    )


class _CompanyExtractor:
    """Turns a raw Copper company into the values of ``COMPANY_FIELDS`` (typed columns read by field name)."""

    def __init__(self, catalog: CustomFieldCatalog, progress: Progress) -> None:
        self.progress = progress
        self.problems = 0
        # definition id → (column, decoder) for the typed columns whose field exists in this account.
        self.wanted: dict[int, tuple[str, Any]] = {}
        for column, setting in TYPED_COLUMNS.items():
            name = getattr(settings, setting)
            decoder = catalog.by_name.get(name)
            if decoder is None:
                progress.log(
                    level=Level.WARNING,
                    code="custom_field_missing",
                    record=name,
                    message=f'Copper has no company custom field named "{name}" ({setting}); '
                    f"the column {column} stays empty.",
                )
                continue
            if name in catalog.ambiguous_names:
                progress.log(
                    level=Level.WARNING,
                    code="custom_field_ambiguous",
                    record=name,
                    message=f'Several company custom fields are named "{name}"; reading the one with id '
                    f"{decoder.id}.",
                )
            self.wanted[decoder.id] = (column, decoder)

    def values(self, row: dict[str, Any]) -> tuple:
        custom_fields = row.get("custom_fields") or []
        typed: dict[str, Any] = {}
        wanted = self.wanted
        for entry in custom_fields:
            target = wanted.get(entry.get("custom_field_definition_id"))
            if target is None:
                continue
            column, decoder = target
            try:
                typed[column] = decoder.decode(entry.get("value"))
            except ValueError as exc:
                self._problem(row, f'custom field "{decoder.name}": {exc}')
        order_id = label_of(typed.get("account_order_id"))
        if len(order_id) > 64:
            self._problem(row, f"Account Order ID {order_id[:80]!r} is longer than 64 characters; cut.")
            order_id = order_id[:64]
        address = row.get("address")
        return (
            (row.get("name") or "")[:255],
            row.get("assignee_id"),
            row.get("contact_type_id"),
            (row.get("email_domain") or "")[:255],
            address if address else None,
            row.get("tags") or [],
            custom_fields,
            order_id,
            account_number_normalise(order_id)[:64],
            flag_is_set(typed.get("is_active_customer")),
            label_of(typed.get("account_type"))[:64],
            label_of(typed.get("region"))[:64],
            label_of(typed.get("fishbowl_sales_person"))[:255],
            _timestamp(row.get("date_created")),
            _timestamp(row.get("date_modified")),
            None,  # missing_from_copper_since: Copper returned it, so it is not missing
        )

    def _problem(self, row: dict[str, Any], message: str) -> None:
        self.problems += 1
        self.progress.log(
            level=Level.WARNING,
            code="custom_field_value",
            record=f"company {row.get('id')} {row.get('name') or ''}".strip(),
            message=message,
            detail={"copper_id": row.get("id")},
        )


def _timestamp(value: Any) -> datetime | None:
    try:
        return timestamp_to_datetime(value)
    except ValueError:
        return None
