"""Single values of a Fishbowl export read into Python: whole numbers, dates, statuses, account keys, line
types. Pure functions (cached where exports repeat values); no database access."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from copper.normalize import account_number_is_valid, account_number_normalise
from customers.models import SalesOrder, SalesOrderLine

LineType = SalesOrderLine.LineType

_STATUS_BY_NAME = {label.lower(): value for value, label in SalesOrder.Status.choices}
_STATUS_CODES = {value for value, _ in SalesOrder.Status.choices}
_STATUS_NAMES = ", ".join(label for _, label in SalesOrder.Status.choices)
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?)?"
_US_DATE = re.compile(r"(\d{1,2})[-/](\d{1,2})[-/](\d{4})" + _TIME)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?")
# Item types as Fishbowl names them (normalised: lower case, single spaces).
_ITEM_TYPES = {
    "sale": LineType.SALE,
    "kit": LineType.SALE,  # a kit is sold like a product; its price is part of the order's revenue
    "shipping": LineType.SHIPPING,
    "cc processing": LineType.CC_PROCESSING,
    "credit card processing": LineType.CC_PROCESSING,
    "discount": LineType.DISCOUNT,
    "discount amount": LineType.DISCOUNT,
    "discount percentage": LineType.DISCOUNT,
    # A returned item: negative revenue that stays in the order's sums (commissions and metrics net it).
    "credit return": LineType.OTHER,
}
_CARD_FEE_PRODUCTS = {"ccprocessing", "ccfee", "creditcardfee", "creditcardprocessing"}
_CARD_FEE_DESCRIPTION = re.compile(r"credit\s*card\s*(processing\s*)?fee|card\s*processing", re.IGNORECASE)


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
    if re.fullmatch(r"\d{1,3}(,\d{3})+", value):
        return int(value.replace(",", ""))
    raise ValueError(f"{value!r} is not a whole number")


@lru_cache(maxsize=65536)
def parse_date(raw: Any) -> date:
    """``MM-DD-YYYY`` or ``M/D/YYYY`` (a time after it is ignored), or ``YYYY-MM-DD`` (the API)."""
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
    raise ValueError(f"{value!r} is not a date (MM-DD-YYYY, M/D/YYYY, optionally with a time)")


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


@lru_cache(maxsize=4096)
def line_type_of(item_type: str, product_number: str, description: str) -> str:
    """The line's kind from every signal: a card fee or shipping product wins over an item type of Sale
    (real exports type card fees as Sale); otherwise the item type; without one, a sale."""
    product = re.sub(r"[^0-9a-z]", "", product_number.lower())
    if product in _CARD_FEE_PRODUCTS or _CARD_FEE_DESCRIPTION.search(description):
        return LineType.CC_PROCESSING
    if product == "shipping" or description.strip().lower() == "shipping":
        return LineType.SHIPPING
    key = " ".join(item_type.split()).lower()
    if key:
        return _ITEM_TYPES.get(key, LineType.OTHER)
    return LineType.SALE
