"""Raw SQL of the Fishbowl import: the staging table of sales-order lines.

Staging lets the import validate a whole file before writing anything and then write whole orders in order-
number order, whatever the file's row order, with memory that does not grow with the file. The table is a
connection-local TEMPORARY table created inside the import's transaction (so a rollback removes it too).
Decimals and dates travel as text so that SQLite and PostgreSQL both keep them exactly.

New orders and lines (and their ``+`` history rows) are written by ``syncs.bulk.bulk_insert_with_history``:
Django's ``bulk_create`` spends about 10 µs per value compiling SQL, which alone exceeds the 20 s budget for
200,000 lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

TABLE = "copperhub_fishbowl_import_lines"  # a constant: every statement below interpolates only constants
COLUMNS = [
    "number",
    "line_no",
    "invalid",
    "status",
    "date_issued",
    "account_number",
    "sales_person",
    "so_item_id",
    "quantity",
    "unit_price",
    "total_price",
    "line_type",
    "so_id",
    "customer_name",
    "default_sales_rep",
    "product_number",
    "description",
    "total_cost",
]
COL = {name: index for index, name in enumerate(COLUMNS)}
_FIELD_COLUMNS = COLUMNS[3:]
_TYPES = {
    "line_no": "INTEGER",
    "invalid": "SMALLINT",
    "status": "SMALLINT",
    "so_item_id": "BIGINT",
    "so_id": "BIGINT",
}
_INSERT = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"  # noqa: S608


@dataclass
class EntityCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    invalid: int = 0  # rows with a problem
    skipped: int = 0  # valid rows left out with them (lines of an order that has an invalid line)



def _execute(sql: str, params: list[Any] | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def stage_create() -> None:
    _execute(f"DROP TABLE IF EXISTS {TABLE}")
    columns = ", ".join(f"{name} {_TYPES.get(name, 'TEXT')}" for name in COLUMNS)
    _execute(f"CREATE TEMPORARY TABLE {TABLE} ({columns})")


def stage_drop() -> None:
    _execute(f"DROP TABLE IF EXISTS {TABLE}")


def stage_insert(rows: list[tuple]) -> None:
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_INSERT, rows)


def stage_row(fields: dict[str, Any], line: int) -> tuple:
    """A valid parsed line (``order_line_parse`` output) as a staging row.

    Decimals and dates go in as they are: both drivers write them into the TEXT columns as their exact text
    (Django registers ``str`` adapters with sqlite3; PostgreSQL casts on assignment).
    """
    get = fields.get
    return (fields["number"], line, 0, *[get(name) for name in _FIELD_COLUMNS])


def stage_invalid_row(number: str, line: int) -> tuple:
    """An invalid line of a known order: kept so that ``skip_invalid`` can leave out the whole order."""
    return (number, line, 1) + (None,) * (len(COLUMNS) - 3)


@dataclass
class Repeats:
    """SO item ids that repeat within an order: exact copies (removed, counted) and conflicting ones."""

    identical: int = 0
    identical_lines: list[int] = field(default_factory=list)  # the first few removed lines
    # (number, so_item_id, first line, repeating line, "column: a ≠ b") per conflicting repeat (marked invalid)
    conflicts: list[tuple[str, int, int, int, str]] = field(default_factory=list)


def stage_duplicates(*, shown: int = 5) -> Repeats:
    """Find lines whose order and SO item id repeat an earlier line: an exact copy of every value is deleted
    (the line imports once); a repeat with other values is marked invalid and reported with both lines.
    Two statements whatever the number of repeats (the real exports repeat a few rows)."""
    _execute(f"CREATE INDEX {TABLE}_order ON {TABLE} (number, line_no)")
    rows = _execute(
        f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE invalid = 0 AND (number, so_item_id) IN ("  # noqa: S608
        f"SELECT number, so_item_id FROM {TABLE} WHERE invalid = 0 GROUP BY number, so_item_id "
        "HAVING COUNT(*) > 1) ORDER BY number, so_item_id, line_no"
    )
    found = Repeats()
    first: dict[tuple[str, int], tuple] = {}
    remove: list[tuple[str, int]] = []
    invalid: list[tuple[str, int]] = []
    line, values = COL["line_no"], slice(3, None)
    for row in rows:
        key = (row[0], row[COL["so_item_id"]])
        original = first.setdefault(key, row)
        if original is row:
            continue
        if original[values] == row[values]:
            found.identical += 1
            if len(found.identical_lines) < shown:
                found.identical_lines.append(row[line])
            remove.append((row[0], row[line]))
            continue
        differing = [
            f"{name}: {a} ≠ {b}"
            for name, a, b in zip(_FIELD_COLUMNS, original[values], row[values], strict=True)
            if a != b
        ]
        found.conflicts.append((key[0], key[1], original[line], row[line], "; ".join(differing[:3])))
        invalid.append((row[0], row[line]))
    with connection.cursor() as cursor:
        if remove:
            cursor.executemany(f"DELETE FROM {TABLE} WHERE number = %s AND line_no = %s", remove)  # noqa: S608
        if invalid:
            cursor.executemany(f"UPDATE {TABLE} SET invalid = 1 WHERE number = %s AND line_no = %s", invalid)  # noqa: S608
    found.conflicts.sort(key=lambda c: c[3])
    return found


def stage_remove_invalid_orders() -> list[tuple[str, int, int]]:
    """Remove every order that has an invalid line; returns ``(number, lines, invalid lines)`` per order."""
    bad = _execute(
        f"SELECT number, COUNT(*), SUM(invalid) FROM {TABLE} GROUP BY number "  # noqa: S608
        "HAVING MAX(invalid) = 1 ORDER BY MIN(line_no)"
    )
    if bad:
        _execute(f"DELETE FROM {TABLE} WHERE number IN (SELECT number FROM {TABLE} WHERE invalid = 1)")  # noqa: S608
    return bad


def stage_batches(orders_per_batch: int) -> Iterator[tuple[str, str, list[tuple]]]:
    """``(after, upto, rows)``: the staged rows of ``orders_per_batch`` whole orders at a time (order numbers
    ``after < number <= upto``), sorted by order number then line."""
    last = ""
    while True:
        numbers = _execute(
            f"SELECT DISTINCT number FROM {TABLE} WHERE number > %s ORDER BY number LIMIT %s",  # noqa: S608
            [last, orders_per_batch],
        )
        if not numbers:
            return
        upto = numbers[-1][0]
        rows = _execute(
            f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE number > %s AND number <= %s "  # noqa: S608
            "ORDER BY number, line_no",
            [last, upto],
        )
        yield last, upto, rows
        last = upto


def staged_accounts(after: str, upto: str) -> RawSQL:
    """The account numbers of the staged orders ``after < number <= upto``, as a subquery.

    Batch lookups go through the order-number range (never an ``IN`` list of the batch's values) so that every
    batch runs the same SQL text: sqlite3 caches up to 128 prepared statements by text, and ``IN`` lists of
    varying length would fill that cache with large statements (memory growing with the file) and recompile
    each time.
    """
    sql = f"SELECT account_number FROM {TABLE} WHERE number > %s AND number <= %s"  # noqa: S608
    return RawSQL(sql, [after, upto])  # noqa: S611 (constant SQL, values bound as parameters)


def order_values(row: tuple, customer_ids: dict[str, int], names: list[str]) -> dict[str, Any]:
    """The ``SalesOrder`` values (only ``names``, in that order) of an order's first staged line."""
    date_issued = row[COL["date_issued"]]
    account = row[COL["account_number"]]
    values = {
        "status": row[COL["status"]],
        "date_issued": date.fromisoformat(date_issued) if date_issued else None,
        "customer_account_number": account,
        "customer_id": customer_ids.get(account),
        "sales_person": row[COL["sales_person"]] or "",
        "fishbowl_id": row[COL["so_id"]],
        "customer_name": row[COL["customer_name"]] or "",
        "sales_rep": row[COL["default_sales_rep"]] or "",
    }
    return {name: values[name] for name in names}


def line_values(row: tuple, names: list[str]) -> dict[str, Any]:
    """The ``SalesOrderLine`` values (only ``names``, in that order) of a staged line."""
    values = {
        "line_type": row[COL["line_type"]],
        "quantity_fulfilled": Decimal(row[COL["quantity"]]),
        "unit_price": Decimal(row[COL["unit_price"]]),
        "total_price": Decimal(row[COL["total_price"]]),
        "product_number": row[COL["product_number"]] or "",
        "description": row[COL["description"]] or "",
        "total_cost": Decimal(row[COL["total_cost"]] or "0"),
    }
    return {name: values[name] for name in names}
