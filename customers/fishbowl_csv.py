"""Reading Fishbowl's exports (CSV files, or API rows shaped like them) into clean Python values.

No database access. A *source* yields ``(line, values)`` pairs where ``values`` maps a column key (see
``CUSTOMER_COLUMNS`` / ``ORDER_LINE_COLUMNS``) to the raw value; ``customer_parse`` and ``order_line_parse`` turn
those into typed fields plus a list of ``(column key, problem)``. The CSV contract is /work/notes/CSV_FORMATS.md:
UTF-8 (BOM allowed), headers matched case-insensitively and trimmed, a repeated header's first non-empty value
wins, unknown columns ignored (one notice), a missing required column is an error naming the file and column.
"""

from __future__ import annotations

import csv
import operator
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from copper.normalize import account_number_is_valid, account_number_normalise, flag_is_set
from customers.models import SalesOrder, SalesOrderLine
from customers.normalize import account_type_normalise


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False


CUSTOMER_COLUMNS = (
    Column("fishbowl_id", "Customer ID", True),
    Column("account_number", "Account Number", True),
    Column("name", "Name", True),
    Column("account_type", "Account Type"),
    Column("sales_rep", "Default Sales Rep"),
    Column("active", "Active"),
    Column("billing_address", "Billing Address"),
    Column("shipping_address", "Shipping Address"),
)

ORDER_LINE_COLUMNS = (
    Column("number", "Sales order Number", True),
    Column("so_id", "SO ID"),
    Column("date_issued", "Issued date", True),
    Column("status", "Sales Order Status", True),
    Column("customer_id", "Customer ID"),
    Column("account_number", "Account ID", True),
    Column("customer_name", "Customer"),
    Column("sales_person", "Sales Rep", True),
    Column("sales_rep_initials", "Sales Rep Initials"),
    Column("default_sales_rep", "Default Sales Rep"),
    Column("so_item_id", "SO Item ID", True),
    Column("product_number", "Product Number"),
    Column("description", "Product Description"),
    Column("item_type", "Item Type"),
    Column("quantity", "Fulfilled Quantity", True),
    Column("unit_price", "Unit price", True),
    Column("total_price", "Total price", True),
    Column("total_cost", "Total Cost"),
)


class ImportFileError(ValueError):
    """The file cannot be read as CSV text at all (not UTF-8, or broken quoting); nothing is imported."""


@dataclass(frozen=True)
class ImportProblem:
    """One bad input value (or a missing column, on line 1), worded for the person who made the file."""

    source: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source} line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


@dataclass
class RowSource:
    """Rows of one export, re-iterable (the importer reads customers twice: validate, then write).

    ``labels`` maps each present column key to its header as written (errors quote it); ``present`` holds the
    keys the source provides: an optional column the source lacks leaves that field of existing rows alone.
    """

    name: str
    labels: dict[str, str]
    problems: list[ImportProblem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def present(self) -> frozenset[str]:
        return frozenset(self.labels)

    def label(self, key: str) -> str:
        return self.labels.get(key, key)

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        raise NotImplementedError


class CsvSource(RowSource):
    """A CSV export, read one row at a time (never the whole file)."""

    def __init__(self, path: str | Path, columns: tuple[Column, ...]) -> None:
        self.path = Path(path)
        super().__init__(name=self.path.name, labels={})
        self._indexes: dict[str, list[int]] = {}
        by_label = {column.label.lower(): column for column in columns}
        with self.path.open(encoding="utf-8-sig", newline="") as handle, self._readable(1):
            header = next(csv.reader(handle), [])
        unknown = []
        for index, raw in enumerate(header):
            column = by_label.get(" ".join(raw.split()).lower())
            if column is None:
                if raw.strip():
                    unknown.append(raw.strip())
                continue
            self._indexes.setdefault(column.key, []).append(index)
            self.labels.setdefault(column.key, raw.strip())
        for column in columns:
            if column.required and column.key not in self._indexes:
                self.problems.append(ImportProblem(self.name, 1, column.label, "required column is missing"))
        if unknown:
            self.notices.append(f"{self.name}: columns ignored: {', '.join(unknown)}")

    @contextmanager
    def _readable(self, line: int | Callable[[], int]):
        try:
            yield
        except (UnicodeDecodeError, csv.Error) as exc:
            where = line if isinstance(line, int) else line()
            raise ImportFileError(
                f"{self.name} near line {where}: cannot be read as CSV text ({exc}); save the export as UTF-8 CSV."
            ) from exc

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            with self._readable(lambda: reader.line_num + 1):
                yield from self._rows(reader)

    def _rows(self, reader) -> Iterator[tuple[int, dict[str, Any]]]:
        single = [(key, idx[0]) for key, idx in self._indexes.items() if len(idx) == 1]
        repeated = [(key, idx) for key, idx in self._indexes.items() if len(idx) > 1]
        keys = [key for key, _ in single]
        getter = operator.itemgetter(*[i for _, i in single]) if len(single) > 1 else None
        needed = max((i for idx in self._indexes.values() for i in idx), default=-1) + 1
        next(reader, None)
        for row in reader:
            if not any(row) or not (row[0].strip() or any(cell.strip() for cell in row)):
                continue  # a blank line, or a line of empty cells (spreadsheets leave them at the end)
            width = len(row)
            if width >= needed and getter is not None:
                values = dict(zip(keys, getter(row), strict=True))
            else:
                values = {key: row[i] if i < width else "" for key, i in single}
            for key, indexes in repeated:
                value = ""
                for i in indexes:
                    if i < width and row[i] and not row[i].isspace():
                        value = row[i]
                        break
                values[key] = value
            yield reader.line_num, values


class IterableSource(RowSource):
    """Rows already keyed by column key (the Fishbowl API path); ``rows`` is a callable giving a fresh iterator."""

    def __init__(self, name: str, columns: tuple[Column, ...], rows, present: set[str] | None = None) -> None:
        keys = present if present is not None else {column.key for column in columns}
        super().__init__(name=name, labels={c.key: c.label for c in columns if c.key in keys})
        self._rows = rows

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        yield from enumerate(self._rows(), start=1)


# --- values -------------------------------------------------------------------------------------------------
_STATUS_BY_NAME = {label.lower(): value for value, label in SalesOrder.Status.choices}
_STATUS_CODES = {value for value, _ in SalesOrder.Status.choices}
_STATUS_NAMES = ", ".join(label for _, label in SalesOrder.Status.choices)
_US_DATE = re.compile(r"(\d{1,2})[-/](\d{1,2})[-/](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?")
_LINE_TYPES = {
    "sale": SalesOrderLine.LineType.SALE,
    "shipping": SalesOrderLine.LineType.SHIPPING,
    "cc processing": SalesOrderLine.LineType.CC_PROCESSING,
    "discount": SalesOrderLine.LineType.DISCOUNT,
    "discount amount": SalesOrderLine.LineType.DISCOUNT,
    "discount percentage": SalesOrderLine.LineType.DISCOUNT,
}
_PLACES = {2: Decimal("0.01"), 4: Decimal("0.0001")}
_MAX_AMOUNT = Decimal("1e10")  # DecimalField(max_digits=14, decimal_places=4) holds 10 integer digits


def text(raw: Any) -> str:
    return "" if raw is None else str(raw).strip()


def parse_int(raw: Any) -> int:
    if raw.__class__ is int:
        return raw
    try:
        return int(raw)  # int() ignores surrounding spaces
    except (TypeError, ValueError):
        pass
    value = text(raw)
    if re.fullmatch(r"-?\d+\.0+", value):
        return int(value.split(".", 1)[0])
    raise ValueError(f"{value!r} is not a whole number")


def parse_amount(raw: Any, places: int) -> Decimal:
    """``"$1,234.50"``, ``"-$3"``, ``"(12.00)"`` and numbers from the API, rounded to the column's places."""
    value = raw.strip() if raw.__class__ is str else text(raw)
    cleaned = value.replace("$", "").replace(",", "").replace(" ", "")
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1]
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or not cleaned:
        raise ValueError(f"{value!r} is not an amount")
    amount = amount.quantize(_PLACES[places], rounding=ROUND_HALF_UP)
    if abs(amount) >= _MAX_AMOUNT:
        raise ValueError(f"{value!r} is too large")
    return amount


@lru_cache(maxsize=65536)
def parse_date(raw: Any) -> date:
    """MM-DD-YYYY (also with slashes) or YYYY-MM-DD (a time after it is ignored)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    value = text(raw)
    try:
        if match := _US_DATE.fullmatch(value):
            return date(int(match[3]), int(match[1]), int(match[2]))
        if match := _ISO_DATE.fullmatch(value):
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise ValueError(f"{value!r} is not a date (MM-DD-YYYY)")


@lru_cache(maxsize=1024)
def parse_status(raw: Any) -> int:
    """A status name in any case, or Fishbowl's numeric status id (the API gives ids)."""
    value = text(raw)
    status = _STATUS_BY_NAME.get(" ".join(value.split()).lower())
    if status is None and value.isdigit() and int(value) in _STATUS_CODES:
        status = int(value)
    if status is None:
        raise ValueError(f"{value!r} is not a sales order status ({_STATUS_NAMES})")
    return status


@lru_cache(maxsize=65536)
def parse_account_number(raw: Any) -> str:
    value = account_number_normalise(raw)
    if not value:
        raise ValueError("is empty")
    if not account_number_is_valid(value) or len(value) > 64:
        raise ValueError(f"{text(raw)!r} is not a valid account number")
    return value


def line_type_of(item_type: str, product_number: str, description: str) -> str:
    key = " ".join(item_type.split()).lower()
    if key:
        return _LINE_TYPES.get(key, SalesOrderLine.LineType.OTHER)
    if product_number.upper() == "SHIPPING" or description.lower() == "shipping":
        return SalesOrderLine.LineType.SHIPPING
    return SalesOrderLine.LineType.SALE


@lru_cache(maxsize=32768)  # exports repeat the same prices, quantities, dates and account numbers
def parse_quantity(raw: Any) -> Decimal:
    return parse_amount(raw, 4)


@lru_cache(maxsize=32768)
def parse_money(raw: Any) -> Decimal:
    return parse_amount(raw, 2)


def _text(limit: int):
    def parse(value: Any) -> str:
        value = value if value.__class__ is str else text(value)
        if len(value) > limit:
            raise ValueError(f"is longer than {limit} characters")
        return value

    return parse


# (key, parser, required, default when empty): one table per export, read by _read() in a tight loop.
_CUSTOMER_SPEC = (
    ("fishbowl_id", parse_int, True, None),
    ("account_number", parse_account_number, True, None),
    ("name", _text(255), True, None),
    ("sales_rep", _text(255), False, ""),
    ("billing_address", text, False, ""),
    ("shipping_address", text, False, ""),
)
_ORDER_SPEC = (
    ("number", _text(64), True, None),
    ("status", parse_status, True, None),
    ("date_issued", parse_date, False, None),
    ("account_number", parse_account_number, True, None),
    ("sales_person", _text(64), False, ""),
    ("so_id", parse_int, False, None),
    ("customer_name", _text(255), False, ""),
    ("default_sales_rep", _text(255), False, ""),
)
_ITEM_SPEC = (
    ("so_item_id", parse_int, True, None),
    ("quantity", parse_quantity, True, None),
    ("unit_price", parse_quantity, True, None),
    ("total_price", parse_money, True, None),
    ("product_number", _text(128), False, ""),
    ("description", _text(512), False, ""),
    ("total_cost", parse_money, False, Decimal("0.00")),
)
_LINE_SPEC = _ORDER_SPEC + _ITEM_SPEC


def _read(values: dict[str, Any], spec, fields: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    """Parse the keys of ``spec`` present in ``values`` into ``fields``; collect ``(key, problem)`` pairs."""
    for key, parse, required, default in spec:
        raw = values.get(key)
        if raw is None:
            if key not in values and not required:
                continue
            raw = ""
        value = raw.strip() if raw.__class__ is str else raw
        if value == "":
            if required:
                problems.append((key, "is empty"))
            fields[key] = default
            continue
        try:
            fields[key] = parse(value)
        except ValueError as exc:
            problems.append((key, str(exc)))
            fields[key] = default


def customer_parse(values: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One customers-export row → ``FishbowlCustomer`` field values (for the keys present) and problems."""
    fields: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    _read(values, _CUSTOMER_SPEC, fields, problems)
    if "account_type" in values:
        fields["account_type"] = account_type_normalise(text(values["account_type"]))
    if "active" in values:
        raw = values["active"]
        fields["is_active"] = True if text(raw) == "" else flag_is_set(raw)
    return fields, problems


class OrderLineParser:
    """Parses sales-order line rows; ``parse(values)`` → (fields, problems).

    Keys of ``fields``: ``number status date_issued account_number sales_person so_item_id quantity unit_price
    total_price line_type`` and, when the source has them, ``so_id customer_name default_sales_rep
    product_number description total_cost``.
    """

    def parse(self, values: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        fields: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        _read(values, _LINE_SPEC, fields, problems)
        status = fields["status"]
        date_missing = fields["date_issued"] is None and not any(k == "date_issued" for k, _ in problems)
        if date_missing and status is not None and status != SalesOrder.Status.ESTIMATE:
            problems.append(("date_issued", "is empty; only an Estimate may have no issued date"))
        fields["line_type"] = line_type_of(
            text(values.get("item_type")), fields.get("product_number") or "", fields.get("description") or ""
        )
        return fields, problems


def order_line_parse(values: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One sales-order line row → fields and problems (see ``OrderLineParser``)."""
    return OrderLineParser().parse(values)
