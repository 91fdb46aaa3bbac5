"""The Fishbowl import: customers and sales-order lines (CSV exports or the Fishbowl API) into the local mirror.

``fishbowl_import`` is the entry point (the ``fishbowl_import`` command calls it).

Contract and side effects:
- Everything happens in ONE database transaction. First a validation pass streams every row (customers are
  checked in memory by account number and Customer ID, which are few; order lines are parsed into a temporary
  staging table, so memory does not grow with the file). With any error and no ``skip_invalid`` nothing is
  written and the result lists the errors. Otherwise a second pass upserts customers in batches, then orders in
  batches of whole orders read from the staging table sorted by order number, so an order's lines need not be
  adjacent in the file. ``dry_run`` does all of it and rolls back: the counts say what would change.
- Only rows whose values changed are written, with history (change reason naming the files or the run, user
  when given); a second import of the same files writes nothing. An optional column the source lacks leaves
  that field of existing rows alone; a customer's ``locked_fields`` are never overwritten.
- Orders link to customers by normalised account number (the number is always kept); an unknown customer
  gives ``customer=None`` and is counted. The first line of an order (in file order) supplies the order's
  fields. Lines of an order that the file contains but that are no longer in it are deleted (with history);
  orders and customers absent from the file are left alone (an export may cover only a period).
- ``skip_invalid``: invalid customer rows are skipped; an order with any invalid line is skipped whole.
- A line that repeats an earlier one exactly (order, SO item id and every value) imports once (a notice counts
  them); the same order and SO item id with other values is an error naming both lines. A line report without
  a status column gives new orders ``FISHBOWL_DEFAULT_ORDER_STATUS`` and leaves existing orders' status alone.
- The account key (``FISHBOWL_ACCOUNT_KEY``: the Fishbowl customer ``id`` or its ``number``) decides which
  value becomes a customer's and an order's account number, on the CSV and the API path alike.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from customers import fishbowl_api
from customers.fishbowl_csv import (
    CUSTOMER_COLUMNS,
    ORDER_LINE_COLUMNS,
    AmountNotes,
    CsvSource,
    ImportProblem,
    IterableSource,
    RowSource,
    customer_parse,
)
from customers.fishbowl_csv.rows import account_key_setting
from customers.models import FishbowlCustomer
from customers.services import import_stage as stage
from customers.services.import_orders import OrderSteps, changes, young_gc_only
from customers.services.import_stage import EntityCounts
from syncs.progress import Progress

CUSTOMER_BATCH = 2000
MAX_ERRORS = 200  # kept in the result and logged to the run; beyond it only ``error_count`` grows

CUSTOMER_FIELDS = (
    "fishbowl_id",
    "name",
    "account_type",
    "sales_rep",
    "is_active",
    "billing_address",
    "shipping_address",
)



@dataclass
class ImportResult:
    customers: EntityCounts = field(default_factory=EntityCounts)
    orders: EntityCounts = field(default_factory=EntityCounts)
    lines: EntityCounts = field(default_factory=EntityCounts)
    orders_without_customer: int = 0
    errors: list[ImportProblem] = field(default_factory=list)
    error_count: int = 0
    notices: list[str] = field(default_factory=list)
    # Which header fed which column, per file: {file name: [(column key, header as written)]}.
    mappings: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    duplicate_rows: int = 0  # exact repeats of an earlier line, imported once
    amounts: AmountNotes = field(default_factory=AmountNotes)
    dry_run: bool = False
    written: bool = False  # True once the transaction committed (never for a dry run or a refused import)

    def summary(self) -> list[str]:
        lines = []
        for title, counts in (
            ("Customers", self.customers),
            ("Orders", self.orders),
            ("Order lines", self.lines),
        ):
            text = (
                f"{title}: {counts.created} created, {counts.updated} updated, {counts.unchanged} unchanged"
            )
            if counts.deleted:
                text += f", {counts.deleted} deleted"
            if counts.invalid or counts.skipped:
                text += f", {counts.invalid} invalid, {counts.skipped} skipped"
            lines.append(text)
        lines.append(f"Orders without a known customer: {self.orders_without_customer}")
        if self.duplicate_rows:
            lines.append(f"Repeated identical lines imported once: {self.duplicate_rows}")
        notes = self.amounts
        if notes.negative or notes.negative_quantity:
            lines.append(
                f"Negative amounts: {notes.negative} line(s), {notes.parenthesised} in parentheses; "
                f"negative quantities: {notes.negative_quantity}"
            )
        if notes.mismatched:
            lines.append(f"Quantity × unit price ≠ total (beyond a cent): {notes.mismatched} line(s)")
        return lines


class _Rollback(Exception):
    pass


def fishbowl_import(
    *,
    customers_path: str | Path | None = None,
    orders_path: str | Path | None = None,
    from_api: bool = False,
    client=None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    number_format: str = "auto",
    user: AbstractBaseUser | None = None,
    progress: Progress | None = None,
    names: dict[str, str] | None = None,
) -> ImportResult:
    """Import Fishbowl customers and sales-order lines from CSV files, or from the API (``from_api``).

    ``number_format`` is ``auto`` (told from each file), ``point`` (1,234.50) or ``comma`` (1.234,50).
    ``names`` optionally gives the file names to quote in messages (``{"customers": …, "orders": …}``; an
    upload is stored under another name). ``client`` is a ``FishbowlClient`` (built from settings when
    omitted); it is logged out whatever happens. Returns the counts and problems; ``result.written`` says
    whether anything was committed. Raises ``ImportFileError`` for a file that is not CSV text.
    """
    progress = progress or Progress.null()
    account_key = account_key_setting()
    names = names or {}
    if not from_api:
        options = {"number_format": number_format, "account_key": account_key}
        customers = orders = None
        if customers_path:
            customers = CsvSource(customers_path, CUSTOMER_COLUMNS, name=names.get("customers"), **options)
        if orders_path:
            orders = CsvSource(orders_path, ORDER_LINE_COLUMNS, name=names.get("orders"), **options)
        names = " + ".join(source.name for source in (customers, orders) if source)
        return _Importer(dry_run, skip_invalid, user, progress, names).run(customers, orders)

    client = client or fishbowl_api.fishbowl_client_from_settings()
    with client:  # logs in; always logs out
        customer_rows = list(fishbowl_api.customer_rows(client))  # a few thousand rows, read twice
        customers = IterableSource(
            "Fishbowl API customers", CUSTOMER_COLUMNS, lambda: customer_rows, set(fishbowl_api.CUSTOMER_KEYS)
        )
        orders = IterableSource(
            "Fishbowl API sales-order lines",
            ORDER_LINE_COLUMNS,
            lambda: fishbowl_api.order_line_rows(client, account_key=account_key),
            set(fishbowl_api.ORDER_LINE_KEYS),
        )
        return _Importer(dry_run, skip_invalid, user, progress, "from the Fishbowl API").run(
            customers, orders
        )


class _Importer(OrderSteps):
    def __init__(self, dry_run, skip_invalid, user, progress: Progress, names: str) -> None:
        self.dry_run = dry_run
        self.skip_invalid = skip_invalid
        self.user = user
        self.progress = progress
        self.now = timezone.now()
        if progress.run is not None:
            reason = f"fishbowl import run #{progress.run.pk}"
        else:
            reason = f"fishbowl import {names} at {self.now:%Y-%m-%d %H:%M:%S} UTC"
        self.reason = reason[:100]  # simple-history's change-reason column holds 100 characters
        self.result = ImportResult(dry_run=dry_run)
        self.history = {"default_user": user, "default_change_reason": self.reason, "default_date": self.now}

    # --- reporting ---------------------------------------------------------------------------------------
    def error(self, source: RowSource, line: int, key: str, message: str) -> None:
        self.problem(ImportProblem(source.name, line, source.label(key), message))

    def problem(self, problem: ImportProblem) -> None:
        self.result.error_count += 1
        if len(self.result.errors) < MAX_ERRORS:
            self.result.errors.append(problem)

    def report(self) -> ImportResult:
        """Log the problems and the summary to the progress once the transaction is over (committed or rolled
        back), so that a refused import still leaves its reasons on the run."""
        for problem in self.result.errors:
            record = f"{problem.source} line {problem.line}"
            self.progress.log(level="error", code="invalid_row", record=record, message=str(problem))
        self.progress.add(errors=self.result.error_count)
        self.progress.set_message("; ".join(self.result.summary()))
        self.progress.flush()
        return self.result

    def run(self, customers: RowSource | None, orders: RowSource | None) -> ImportResult:
        sources = [source for source in (customers, orders) if source is not None]
        for source in sources:
            self.result.notices.extend(source.notices)
            if source.mapping:
                self.result.mappings[source.name] = source.mapping
            for problem in source.problems:
                self.problem(problem)
        if self.result.error_count:
            return self.report()  # a file without a required column cannot be read at all
        try:
            with young_gc_only(), transaction.atomic():
                stage.stage_create()
                skip_customer_lines = self._customers_validate(customers) if customers else set()
                if orders:
                    self._orders_stage(orders)
                if self.result.error_count and not self.skip_invalid:
                    raise _Rollback
                if customers:
                    self._customers_write(customers, skip_customer_lines)
                if orders:
                    self._orders_write(orders)
                stage.stage_drop()
                if self.dry_run:
                    raise _Rollback
        except _Rollback:
            return self.report()
        self.result.written = True
        return self.report()

    # --- customers ---------------------------------------------------------------------------------------
    def _customers_validate(self, source: RowSource) -> set[int]:
        """Check every customer row; returns the lines to leave out (invalid, or repeating an earlier row)."""
        self.progress.step(f"Checking {source.name}")
        skip: set[int] = set()
        seen_numbers: dict[str, int] = {}
        seen_ids: dict[int, int] = {}
        pending: list[tuple[int, dict[str, Any]]] = []
        key = (
            "account_key"
            if account_key_setting() == "number" or "fishbowl_id" not in source.present
            else "fishbowl_id"
        )
        for line, values in source:
            fields, problems = customer_parse(values)
            number, fishbowl_id = fields["account_number"], fields.get("fishbowl_id")
            if not problems and number in seen_numbers:
                problems = [(key, f"account number {number} repeats line {seen_numbers[number]}")]
            if not problems and fishbowl_id is not None and fishbowl_id in seen_ids:
                problems = [
                    ("fishbowl_id", f"Customer ID {fishbowl_id} repeats line {seen_ids[fishbowl_id]}")
                ]
            if problems:
                self._invalid(source, line, problems, self.result.customers, skip)
                continue
            seen_numbers[number] = line
            if fishbowl_id is not None:
                seen_ids[fishbowl_id] = line
            pending.append((line, fields))
            if len(pending) >= CUSTOMER_BATCH:
                self._customers_check_ids(source, pending, skip)
                pending = []
        self._customers_check_ids(source, pending, skip)
        return skip

    def _invalid(self, source, line, problems, counts: EntityCounts, skip: set[int]) -> None:
        counts.invalid += 1
        skip.add(line)
        for key, message in problems:
            self.error(source, line, key, message)

    def _customers_check_ids(self, source, pending, skip: set[int]) -> None:
        """A Customer ID that copperhub already holds under another account number would break uniqueness."""
        owners = dict(
            FishbowlCustomer.objects.filter(
                fishbowl_id__in=[f["fishbowl_id"] for _, f in pending if f.get("fishbowl_id") is not None]
            ).values_list("fishbowl_id", "account_number")
        )
        for line, fields in pending:
            owner = owners.get(fields.get("fishbowl_id"))
            if owner is not None and owner != fields["account_number"]:
                message = f"Customer ID {fields['fishbowl_id']} belongs to account {owner} in copperhub"
                self._invalid(source, line, [("fishbowl_id", message)], self.result.customers, skip)

    def _customers_write(self, source: RowSource, skip: set[int]) -> None:
        self.progress.step(f"Importing {source.name}")
        batch: list[dict[str, Any]] = []
        for line, values in source:
            if line in skip:
                continue
            batch.append(customer_parse(values)[0])
            if len(batch) >= CUSTOMER_BATCH:
                self._customers_upsert(batch)
                batch = []
        self._customers_upsert(batch)

    def _customers_upsert(self, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        counts = self.result.customers
        existing = {
            c.account_number: c
            for c in FishbowlCustomer.objects.filter(account_number__in=[f["account_number"] for f in batch])
        }
        creates, updates, changed = [], [], set()
        for fields in batch:
            values = {name: fields[name] for name in CUSTOMER_FIELDS if name in fields}
            customer = existing.get(fields["account_number"])
            if customer is None:
                creates.append(FishbowlCustomer(account_number=fields["account_number"], **values))
                continue
            names = changes(customer, values, locked=customer.locked_fields)
            if names:
                changed.update(names)
                customer.updated_at = self.now
                updates.append(customer)
            else:
                counts.unchanged += 1
        self._save(FishbowlCustomer, creates, updates, changed, counts)
        self.progress.add(processed=len(batch), created=len(creates), updated=len(updates))
        self.progress.check_cancelled()
        gc.collect(1)  # automatic collection is paused during the import (see young_gc_only)
