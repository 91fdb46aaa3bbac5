"""Amounts as exports write them, in the file's number format: ``1,234.50`` (point decimal) or ``1.234,50``.

A file's format is detected from the amount columns of its first rows (``NumberFormatDetector``): a value whose
decimal separator is unmistakable (``246,90``, ``1.234,50``, ``12.5``, ``1,234.50``) decides; a file showing
both is refused, and so is one whose amounts are all of the two-way kind (``1,234``: a thousand and more, or
one and a bit). Once decided, a value in the other format is a problem on its line, never a silent misreading.
Currency signs, spaces, a leading minus and accounting parentheses (``(1,234.50)`` = −1234.50) are read.
No database access.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

POINT = "point"  # 1,234.50
COMMA = "comma"  # 1.234,50
FORMATS = {POINT: "1,234.50", COMMA: "1.234,50"}
FORMAT_CHOICES = ("auto", POINT, COMMA)

_PLACES = {2: Decimal("0.01"), 4: Decimal("0.0001")}
_MAX_AMOUNT = Decimal("1e10")  # DecimalField(max_digits=14, decimal_places=4) holds 10 integer digits
_STRIP = str.maketrans("", "", "$€£ \u00a0\u202f'")
_GROUPED = {
    POINT: re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d*)?"),
    COMMA: re.compile(r"-?\d{1,3}(?:\.\d{3})+(?:,\d*)?"),
}
_TWO_WAY = re.compile(r"\d{1,3}(?:[.,]\d{3})+")


class AmountFormatError(ValueError):
    """The file's amounts cannot be read one way only; nothing is imported."""


def _clean(value: str) -> str:
    cleaned = value.replace("$", "").replace(" ", "")
    if "'" in cleaned or not cleaned.isascii():  # other currency signs, no-break or thin spaces, 1'234.50
        cleaned = cleaned.translate(_STRIP)
        if cleaned.startswith("-"):
            cleaned = "-" + cleaned[1:].lstrip("$€£")
    if cleaned[:1] == "(" and cleaned[-1:] == ")":
        cleaned = "-" + cleaned[1:-1].lstrip("-")
    return cleaned


def amount_parse(raw: Any, places: int, number_format: str = POINT) -> Decimal:
    """One amount (text in ``number_format``, or a number from the API), rounded to the column's places."""
    value = raw.strip() if raw.__class__ is str else ("" if raw is None else str(raw).strip())
    decimal_sign = "." if number_format == POINT else ","
    if value.replace(decimal_sign, "", 1).isdigit() and value.isascii():  # the common case: digits, one sign
        amount = Decimal(value if decimal_sign == "." else value.replace(",", "."))
        return (
            amount.quantize(_PLACES[places], rounding=ROUND_HALF_UP)
            if amount < _MAX_AMOUNT
            else _too_large(value)
        )
    cleaned = _clean(value)
    thousands, decimal = (",", ".") if number_format == POINT else (".", ",")
    if thousands in cleaned:
        if not _GROUPED[number_format].fullmatch(cleaned):
            raise ValueError(
                f"{value!r} is not an amount in this file's number format ({FORMATS[number_format]})"
            )
        cleaned = cleaned.replace(thousands, "")
    if decimal == ",":
        cleaned = cleaned.replace(",", ".")
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


def _too_large(value: str) -> Decimal:
    raise ValueError(f"{value!r} is too large")


@lru_cache(maxsize=8)
def amount_parsers(number_format: str):
    """``(quantity parser, money parser)`` for a format, each cached (exports repeat the same values)."""

    @lru_cache(maxsize=32768)
    def quantity(raw: Any) -> Decimal:
        return amount_parse(raw, 4, number_format)

    @lru_cache(maxsize=32768)
    def money(raw: Any) -> Decimal:
        return amount_parse(raw, 2, number_format)

    return quantity, money


def _evidence(value: str) -> str | None:
    """``POINT``/``COMMA`` when the value shows its decimal separator, ``"two-way"`` when it could be either."""
    cleaned = _clean(value).lstrip("-")
    has_point, has_comma = "." in cleaned, "," in cleaned
    if has_point and has_comma:
        return POINT if cleaned.rfind(".") > cleaned.rfind(",") else COMMA
    if not (has_point or has_comma):
        return None
    if _TWO_WAY.fullmatch(cleaned):
        return "two-way"
    return POINT if has_point else COMMA


class NumberFormatDetector:
    """Fed ``(line, column label, value)`` of amount cells; ``decide()`` gives the format or raises."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.first: dict[str, tuple[int, str, str]] = {}

    def feed(self, line: int, column: str, value: str) -> None:
        if value and (value[-1:].isdigit() or value.endswith(")")):
            kind = _evidence(value)
            if kind is not None and kind not in self.first:
                self.first[kind] = (line, column, value)

    def decide(self) -> str:
        point, comma, two_way = self.first.get(POINT), self.first.get(COMMA), self.first.get("two-way")
        if point and comma:
            raise AmountFormatError(
                f"{self.source}: amounts are written in two number formats — line {point[0]} column "
                f"'{point[1]}' has {point[2]!r} (point decimal, 1,234.50) but line {comma[0]} column "
                f"'{comma[1]}' has {comma[2]!r} (comma decimal, 1.234,50). Export the file again in one "
                "format, or choose the number format for this import."
            )
        if comma:
            return COMMA
        if point:
            return POINT
        if two_way:
            raise AmountFormatError(
                f"{self.source}: the number format cannot be told — amounts such as {two_way[2]!r} (line "
                f"{two_way[0]}, column '{two_way[1]}') read either as thousands or as decimals, and no amount in "
                "the first rows shows the decimal separator. Choose the number format for this import "
                "(1,234.50 or 1.234,50)."
            )
        return POINT
