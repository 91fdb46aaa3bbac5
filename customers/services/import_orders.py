"""The sales-order half of the Fishbowl import (a mixin of ``imports._Importer``), and the shared writers.

``_orders_stage`` is the validation pass (every line parsed into the staging table), ``_orders_write`` the
write pass (whole orders a batch at a time, sorted by order number). Existing rows are read as value tuples
and compared; new rows go through ``syncs.bulk.bulk_insert_with_history``; changed rows are re-read as instances
and written with ``bulk_update_with_history``; lines an order no longer has are deleted (with history).
The contract is in ``customers.services.imports``.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any

from django.db import connection, reset_queries
from django.db.models.deletion import Collector
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from customers.fishbowl_csv import OrderLineParser, RowSource
from customers.models import FishbowlCustomer, SalesOrder, SalesOrderLine
from customers.services import import_stage as stage
from customers.services.import_stage import COL, EntityCounts
from syncs import bulk

ORDER_BATCH = 2000
STAGE_CHUNK = 5000
MAX_NOTICES = 200
# Optional source column → the SalesOrder / SalesOrderLine field it feeds.
OPTIONAL_ORDER_FIELDS = {
    "so_id": "fishbowl_id",
    "customer_name": "customer_name",
    "default_sales_rep": "sales_rep",
}
OPTIONAL_LINE_FIELDS = {
    "product_number": "product_number",
    "description": "description",
    "total_cost": "total_cost",
}


@contextmanager
def young_gc_only():
    """Pause automatic garbage collection; the batch loops call ``gc.collect(1)`` instead.

    An automatic full collection walks every object the process holds (caches, Django's machinery), and a big
    import triggers many: they cost about a fifth of its time. Young collections per batch still free any
    short-lived reference cycles, so memory stays flat.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class OrderSteps:
    """Needs from its host: ``result``, ``progress``, ``skip_invalid``, ``now``, ``reason``, ``user``,
    ``history`` (kwargs for the simple-history bulk helpers) and ``error(source, line, key, message)``."""

    def _save(self, model, creates, updates, changed, counts: EntityCounts) -> None:
        """Write with history; a dry run (rolled back anyway) inserts without history and only counts updates,
        which is what keeps the admin preview fast."""
        if creates:
            if self.dry_run:
                model._default_manager.bulk_create(creates, batch_size=500)
            else:
                bulk_create_with_history(creates, model, **self.history)
            counts.created += len(creates)
        if updates and self.dry_run:
            counts.updated += len(updates)
        elif updates:
            fields = sorted(changed) + (["updated_at"] if hasattr(model, "updated_at") else [])
            bulk_update_with_history(updates, model, fields, batch_size=500, **self.history)
            counts.updated += len(updates)

    # --- orders ------------------------------------------------------------------------------------------
    def _orders_stage(self, source: RowSource) -> None:
        """Validation pass: parse every line into the staging table, reporting each problem."""
        self.progress.step(f"Checking {source.name}")
        chunk: list[tuple] = []
        counts = self.result.lines
        parser = OrderLineParser(
            number_format=source.number_format,
            has_status="status" in source.present,
            customer_id_fallback="customer_id" in source.present,
        )
        parse = parser.parse
        for line, values in source:
            fields, problems = parse(values, line)
            if problems:
                counts.invalid += 1
                for key, message in problems:
                    self.error(source, line, key, message)
                if fields.get("number"):
                    chunk.append(stage.stage_invalid_row(fields["number"], line))
            else:
                chunk.append(stage.stage_row(fields, line))
            if len(chunk) >= STAGE_CHUNK:
                stage.stage_insert(chunk)
                self.progress.add(processed=len(chunk))
                chunk = []
                gc.collect(1)
        stage.stage_insert(chunk)
        self.result.amounts = parser.notes
        self.result.notices.extend(parser.notes.notices(source.name))
        repeats = stage.stage_duplicates()
        for number, item, first, repeat, differing in repeats.conflicts:
            counts.invalid += 1
            self.error(
                source,
                repeat,
                "so_item_id",
                f"SO item {item} of order {number} is also on line {first} with different values ({differing})",
            )
        if repeats.identical:
            self.result.duplicate_rows += repeats.identical
            self.result.notices.append(
                f"{source.name}: {repeats.identical} line(s) repeat an earlier line exactly (same order, SO item id "
                f"and values) and were imported once: lines {', '.join(map(str, repeats.identical_lines))}"
                f"{' …' if repeats.identical > len(repeats.identical_lines) else ''}."
            )
        if self.skip_invalid:
            # A partial order would misstate its revenue: an order with an invalid line is left out whole.
            for number, lines, invalid in stage.stage_remove_invalid_orders():
                self.result.orders.invalid += 1
                counts.skipped += lines - invalid
                if len(self.result.notices) < MAX_NOTICES:
                    self.result.notices.append(
                        f"{source.name}: order {number} skipped ({lines} lines, {invalid} invalid)"
                    )

    def _orders_write(self, source: RowSource) -> None:
        """Write pass: upsert whole orders (and their lines) a batch at a time from the staging table."""
        self.progress.step(f"Importing {source.name}")
        present = source.present
        self.order_fields = ["status"] if "status" in present else []
        self.order_fields += [
            "date_issued",
            "customer_account_number",
            "customer_id",
            "sales_person",
        ]
        self.order_fields += [name for key, name in OPTIONAL_ORDER_FIELDS.items() if key in present]
        self.line_fields = ["line_type", "quantity_fulfilled", "unit_price", "total_price"]
        self.line_fields += [name for key, name in OPTIONAL_LINE_FIELDS.items() if key in present]
        for after, upto, rows in stage.stage_batches(ORDER_BATCH):
            self._orders_upsert(after, upto, rows)
            self.progress.add(processed=len(rows))
            self.progress.check_cancelled()
            # With DEBUG on, Django keeps the text of every query (up to 9,000, each with thousands of
            # parameters here): without this a big import's memory would grow with the file.
            reset_queries()
            gc.collect(1)

    def _orders_upsert(self, after: str, upto: str, rows: list[tuple]) -> None:
        """Upsert one batch of whole orders (numbers ``after < number <= upto``) and their lines.

        Existing rows are read by that number range (same SQL text every batch, see ``staged_accounts``) and
        compared as value tuples.
        """
        groups: dict[str, list[tuple]] = {}
        for row in rows:
            groups.setdefault(row[0], []).append(row)
        customers = FishbowlCustomer.objects.filter(account_number__in=stage.staged_accounts(after, upto))
        customer_ids = dict(customers.values_list("account_number", "pk"))
        fields = self.order_fields
        self.batch_orders = SalesOrder.objects.filter(number__gt=after, number__lte=upto)
        existing = self.batch_orders.values_list("number", "pk", *fields)
        old = {number: (pk, tuple(values)) for number, pk, *values in existing if number in groups}
        new_rows, changed = [], {}
        for number, lines in groups.items():
            values = stage.order_values(lines[0], customer_ids, fields)
            if values["customer_id"] is None:
                self.result.orders_without_customer += 1
            if number not in old:
                new_rows.append({"number": number, "status": lines[0][COL["status"]], **values})
            elif old[number][1] != tuple(values.values()):
                changed[old[number][0]] = values
        order_ids = {number: pk for number, (pk, _) in old.items()}
        order_ids.update(self._insert(SalesOrder, new_rows, ("number",), self.batch_orders))
        self._update(SalesOrder, changed, self.result.orders)
        self.result.orders.unchanged += len(old) - len(changed)
        self._lines_upsert(groups, order_ids, [pk for pk, _ in old.values()])

    def _lines_upsert(self, groups, order_ids: dict[str, int], old_order_ids: list[int]) -> None:
        fields = self.line_fields
        self.batch_lines = SalesOrderLine.objects.filter(order__in=self.batch_orders)
        existing = (
            self.batch_lines.values_list("order_id", "so_item_id", "pk", *fields) if old_order_ids else []
        )
        wanted = set(old_order_ids)
        old = {
            (order_id, item): (pk, tuple(values))
            for order_id, item, pk, *values in existing
            if order_id in wanted
        }
        new_rows, changed = [], {}
        counts = self.result.lines
        for number, rows in groups.items():
            order_id = order_ids[number]
            for row in rows:
                values = stage.line_values(row, fields)
                previous = old.pop((order_id, row[COL["so_item_id"]]), None)
                if previous is None:
                    new_rows.append({"order_id": order_id, "so_item_id": row[COL["so_item_id"]], **values})
                elif previous[1] != tuple(values.values()):
                    changed[previous[0]] = values
                else:
                    counts.unchanged += 1
        self._insert(SalesOrderLine, new_rows, ("order_id", "so_item_id"), self.batch_lines)
        self._update(SalesOrderLine, changed, counts)
        if old and self.dry_run:
            counts.deleted += len(old)
        elif old:  # lines of these orders that the file no longer has
            vanished = list(SalesOrderLine.objects.filter(pk__in=[pk for pk, _ in old.values()]))
            for line in vanished:
                line._change_reason = self.reason
                line._history_user = self.user
            collector = Collector(using=connection.alias)
            collector.collect(vanished)
            collector.delete()
            counts.deleted += len(vanished)

    def _insert(self, model, rows: list[dict[str, Any]], key: tuple[str, ...], lookup) -> dict[Any, int]:
        counts = self.result.orders if model is SalesOrder else self.result.lines
        counts.created += len(rows)
        return bulk.bulk_insert_with_history(
            model=model,
            rows=rows,
            key=key,
            lookup=lookup,
            history_user=self.user,
            change_reason=self.reason,
            history_date=self.now,
            history=not self.dry_run,  # a dry run is rolled back: nobody reads its history
        )

    def _update(self, model, changed: dict[int, dict[str, Any]], counts: EntityCounts) -> None:
        """Write the changed values onto freshly read instances, then bulk-update them with history."""
        if not changed:
            return
        instances = model._default_manager.in_bulk(list(changed))
        names: set[str] = set()
        for pk, values in changed.items():
            names.update(changes(instances[pk], values))
            if hasattr(instances[pk], "updated_at"):
                instances[pk].updated_at = self.now
        self._save(model, [], list(instances.values()), names, counts)


def changes(instance, values: dict[str, Any], locked=()) -> list[str]:
    """Set the differing, unlocked values on ``instance``; returns the names of the fields that changed."""
    names = []
    for name, value in values.items():
        if name not in locked and getattr(instance, name) != value:
            setattr(instance, name, value)
            names.append(name)
    return names
