"""CSV cells a spreadsheet will not run as formulas (CSV / formula injection, as OWASP describes it).

Every CSV export passes each cell through ``csv_cell``: a text cell whose first character makes Excel,
LibreOffice or Google Sheets read it as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a
leading single quote, so ``=HYPERLINK(...)`` arrives as the text it is. Numbers stay numbers: an int, float or
Decimal is never touched, nor is a text that is just a number (``"-720.00"``, as money is written in JSON and
in the API's rows) — a spreadsheet reads that as the number and there is nothing to run.

The ``csv`` module does the quoting of delimiters and double quotes. This module imports nothing from the
project, so every app can use it.
"""

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number, optionally signed, as a spreadsheet reads it: "-720.00", "+3", "1.5e-3".
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """``value`` as a safe CSV cell: a formula-leading text is prefixed with ``'``; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through ``csv_cell``."""
    return [csv_cell(value) for value in values]


class _SafeWriter:
    """A ``csv.writer`` whose rows pass through ``csv_row``."""

    def __init__(self, writer) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(csv_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file, **kwargs) -> _SafeWriter:
    """``csv.writer(file, **kwargs)`` that neutralises formula-leading text cells in every row it writes."""
    return _SafeWriter(csv.writer(file, **kwargs))
