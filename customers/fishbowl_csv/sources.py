"""Row sources: a CSV export read a row at a time, or API rows shaped like one.

A source yields ``(line, values)`` pairs where ``values`` maps a column key (``headers``) to the raw value, and
says up front what it found: ``problems`` that stop the import (a missing required column, a header-only file,
amounts that read two ways), ``notices`` for the summary (the encoding and delimiter read, ignored columns, no
status column), and ``mapping`` (which header fed which column). A repeated header's first non-empty value
wins. A file that is not CSV text at all raises ``ImportFileError`` naming the line and column.
"""

from __future__ import annotations

import csv
import operator
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from customers.fishbowl_csv import dialect
from customers.fishbowl_csv.amounts import FORMATS, POINT, AmountFormatError, NumberFormatDetector
from customers.fishbowl_csv.dialect import ImportFileError
from customers.fishbowl_csv.headers import (
    CUSTOMER_COLUMNS,
    Column,
    header_map,
    known_count,
    missing_column_message,
    required_keys,
)
from customers.fishbowl_csv.rows import account_key_setting
from customers.models import SalesOrder

SAMPLE_ROWS = 2000  # rows read up front to tell the number format
AMOUNT_KEYS = ("quantity", "unit_price", "total_price", "total_cost")


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
    number_format: str = POINT
    mapping: list[tuple[str, str]] = field(default_factory=list)

    @property
    def present(self) -> frozenset[str]:
        return frozenset(self.labels)

    def label(self, key: str) -> str:
        return self.labels.get(key, key)

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        raise NotImplementedError


class CsvSource(RowSource):
    """A CSV export, read one row at a time (never the whole file)."""

    def __init__(
        self,
        path: str | Path,
        columns: tuple[Column, ...],
        *,
        number_format: str = "auto",
        account_key: str | None = None,
        name: str | None = None,
    ) -> None:
        self.path = Path(path)
        super().__init__(name=name or self.path.name, labels={})
        self.columns = columns
        self.encoding, bad = dialect.encoding_detect(self.path)
        if bad is not None and bad.byte == 0:
            raise ImportFileError(dialect.bad_byte_message(self.name, self.encoding, bad, ""))
        first_line = self._first_line()
        self.delimiter, header = dialect.delimiter_detect(
            first_line, lambda cells: known_count(cells, columns)
        )
        if bad is not None:
            cells = (
                next(csv.reader([bad.line_prefix], delimiter=self.delimiter), [""])
                if bad.line_prefix
                else [""]
            )
            column = header[len(cells) - 1].strip() if len(cells) <= len(header) else ""
            raise ImportFileError(dialect.bad_byte_message(self.name, self.encoding, bad, column))
        self.width = len(header)
        found = header_map(header, columns)
        self._indexes = found.indexes
        self.labels.update(found.labels)
        self.mapping = found.mapping()
        if not found.indexes:
            self._no_known_columns(first_line, header)
            return
        self._check_columns(header, found.unknown, account_key or account_key_setting())
        if self.encoding != "utf-8-sig" or self.delimiter != ",":
            self.notices.append(
                f"{self.name}: read as {dialect.ENCODING_NAMES[self.encoding]}, "
                f"{dialect.DELIMITERS[self.delimiter]}-separated."
            )
        if not self.problems:
            self._sample(number_format)

    # --- what the file is -------------------------------------------------------------------------------
    def _first_line(self) -> str:
        with self.path.open(encoding=self.encoding, errors="replace", newline="") as handle:
            return handle.readline().rstrip("\r\n")

    def _no_known_columns(self, first_line: str, header: list[str]) -> None:
        other = dialect.other_delimiter(first_line)
        if other:
            raise ImportFileError(
                f"{self.name} line 1: the columns seem to be separated by '{other}'; copperhub reads files "
                "separated by commas, semicolons or tabs. Export the report again as CSV."
            )
        expected = ", ".join(c.label for c in self.columns if c.required)
        shown = ", ".join(f"'{cell.strip()}'" for cell in header[:20] if cell.strip()) or "(empty)"
        self.problems.append(
            ImportProblem(
                self.name,
                1,
                "",
                f"no known column in the header line (read {shown}); is this the right export? "
                f"Expected columns such as {expected}.",
            )  # fmt: skip
        )

    def _check_columns(self, header: list[str], unknown: list[str], account_key: str) -> None:
        by_key = {c.key: c for c in self.columns}
        for group in required_keys(self.columns, account_key):
            if not any(key in self._indexes for key in group):
                column = by_key[group[0]]
                message = missing_column_message(column, header)
                if len(group) > 1:
                    message = message.replace("is missing", f"(or '{by_key[group[1]].label}') is missing", 1)
                self.problems.append(ImportProblem(self.name, 1, column.label, message))
        if self.columns is not CUSTOMER_COLUMNS and "status" not in self._indexes:
            status = SalesOrder.Status(getattr(settings, "FISHBOWL_DEFAULT_ORDER_STATUS", 20)).label
            self.notices.append(
                f"{self.name}: no status column; new orders get the status {status} "
                "(FISHBOWL_DEFAULT_ORDER_STATUS) and orders already in copperhub keep theirs."
            )
        both = "fishbowl_id" in self._indexes and "account_key" in self._indexes
        if self.columns is CUSTOMER_COLUMNS and account_key == "id" and both:
            self.notices.append(
                f"{self.name}: the account key is the customer id (FISHBOWL_ACCOUNT_KEY = id), read from "
                f"'{self.labels['fishbowl_id']}'; '{self.labels['account_key']}' is not used as the key."
            )
        if unknown:
            self.notices.append(f"{self.name}: columns ignored: {', '.join(unknown)}")

    def _sample(self, number_format: str) -> None:
        """Read the first rows: a header-only file is a problem; the number format is told (``auto``)."""
        detector = NumberFormatDetector(self.name)
        keys = [key for key in AMOUNT_KEYS if key in self._indexes]
        rows = 0
        for line, values in self._iterate():
            rows += 1
            for key in keys:
                detector.feed(line, self.labels[key], values[key].strip())
            if rows >= SAMPLE_ROWS:
                break
        if not rows:
            self.problems.append(
                ImportProblem(self.name, 1, "", "has a header line but no data rows; nothing to import.")
            )
            return
        if number_format != "auto":
            self.number_format = number_format
            return
        try:
            self.number_format = detector.decide()
        except AmountFormatError as exc:
            self.problems.append(ImportProblem(self.name, 1, "", str(exc).removeprefix(f"{self.name}: ")))
            return
        if self.number_format != POINT:
            self.notices.append(
                f"{self.name}: amounts read with a decimal comma ({FORMATS[self.number_format]})."
            )

    # --- rows -------------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        return self._iterate()

    def _iterate(self) -> Iterator[tuple[int, dict[str, Any]]]:
        with self.path.open(encoding=self.encoding, newline="") as handle:
            handle.readline()
            reader = csv.reader(handle, delimiter=self.delimiter)
            state = {"start": 2}
            with self._readable(state):
                yield from self._rows(reader, state)

    @contextmanager
    def _readable(self, state: dict[str, int]):
        try:
            yield
        except csv.Error as exc:
            line = state["start"]
            if "field larger than field limit" in str(exc):
                raise ImportFileError(
                    f"{self.name} line {line}: a value longer than {csv.field_size_limit():,} characters starts "
                    'on this line — most likely a quote (") opened there is never closed, so the rest of the '
                    "file was read as one value. Check the quotes on that line."
                ) from exc
            raise ImportFileError(f"{self.name} line {line}: cannot be read as CSV ({exc}).") from exc
        except UnicodeDecodeError as exc:  # the bytes were checked up front; a file changed since
            raise ImportFileError(
                f"{self.name} near line {state['start']}: cannot be read as text ({exc})."
            ) from exc

    def _unclosed_quote(self, row: list[str], start: int, end: int) -> None:
        """A row spanning lines is a quoted value with line breaks (an address) — unless its width is wrong
        or a value swallowed whole rows: then a quote opened on ``start`` is never closed where it should be."""
        for index, cell in enumerate(row):
            if "\n" not in cell:
                continue
            swallowed = max(line.count(self.delimiter) for line in cell.splitlines()[1:] or [""])
            if len(row) != self.width or swallowed >= max(2, self.width // 2):
                column = self._header_label(index)
                raise ImportFileError(
                    f"{self.name} line {start}, column '{column}': a quote (\") opened in this value is not "
                    f"closed on its line, so lines {start + 1}–{end} were read into it. Close or remove the quote."
                )

    def _header_label(self, index: int) -> str:
        for key, indexes in self._indexes.items():
            if index in indexes:
                return self.labels[key]
        return f"#{index + 1}"

    def _rows(self, reader, state: dict[str, int]) -> Iterator[tuple[int, dict[str, Any]]]:
        single = [(key, idx[0]) for key, idx in self._indexes.items() if len(idx) == 1]
        repeated = [(key, idx) for key, idx in self._indexes.items() if len(idx) > 1]
        keys = [key for key, _ in single]
        getter = operator.itemgetter(*[i for _, i in single]) if len(single) > 1 else None
        needed = max((i for idx in self._indexes.values() for i in idx), default=-1) + 1
        for row in reader:
            end = reader.line_num + 1
            start = state["start"]
            state["start"] = end + 1
            if end != start:
                self._unclosed_quote(row, start, end)
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
            yield end, values


class IterableSource(RowSource):
    """Rows already keyed by column key (the Fishbowl API path); ``rows`` is a callable giving a fresh iterator."""

    def __init__(self, name: str, columns: tuple[Column, ...], rows, present: set[str] | None = None) -> None:
        keys = present if present is not None else {column.key for column in columns}
        super().__init__(name=name, labels={c.key: c.label for c in columns if c.key in keys})
        self._rows = rows

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        yield from enumerate(self._rows(), start=1)
