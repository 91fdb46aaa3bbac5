"""Sales-metric values ↔ Copper custom-field values: encoding, comparison, display, suspicion flags.

Pure functions over plain data (a definition is a ``Definition`` record, not a model), so validation, the
build, the apply and the admin all read values one way. Copper's encodings (its docs and recorded payloads): numbers for
Currency/Float/Percentage, unix seconds for Date, an option id for Dropdown, option ids for MultiSelect, a bool
for Checkbox, a string for String (≤ 255 characters) and Text.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from copper.dates import copper_timezone, date_to_seconds, seconds_to_date
from metrics.models import FieldMapping

Metric = FieldMapping.Metric

NUMBER_TYPES = ("Currency", "Float", "Percentage")
STRING_MAX_LENGTH = 255

# What kind of value each metric produces, and the Copper data types that can hold it.
METRIC_KINDS: dict[str, str] = {
    Metric.TOTAL_ORDERS: "number",
    Metric.TOTAL_SPENT: "money",
    Metric.AVERAGE_ORDER_VALUE: "money",
    Metric.FIRST_ORDER_DATE: "date",
    Metric.LAST_ORDER_DATE: "date",
    Metric.DAYS_SINCE_LAST_ORDER: "number",
    Metric.TOP_PRODUCTS: "products",
    Metric.SAMPLE_KIT_SENT: "bool",
    Metric.SAMPLE_KIT_DATE: "date",
    Metric.SPENT_LAST_12_MONTHS: "money",
}
KIND_TYPES: dict[str, tuple[str, ...]] = {
    "number": NUMBER_TYPES,
    "money": NUMBER_TYPES,
    "date": ("Date",),
    "products": ("String", "Text", "MultiSelect"),
    "bool": ("Checkbox", "Dropdown"),
}
# Totals that only grow in normal life: going down is suspicious.
CUMULATIVE_METRICS = (Metric.TOTAL_ORDERS, Metric.TOTAL_SPENT)
# Option names a Dropdown must offer to hold a yes/no metric (matched case-insensitively).
BOOL_OPTION_NAMES = {True: ("yes", "true"), False: ("no", "false")}


class EncodeError(ValueError):
    """A metric value that the target field cannot hold (no such option, string too long)."""


@dataclass(frozen=True)
class Definition:
    """The parts of a Copper custom-field definition that decide how a value is written."""

    id: int
    name: str
    data_type: str
    options: tuple[tuple[int, str], ...] = ()
    available_on: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_any(cls, raw: Any) -> Definition:
        """From a ``CustomFieldDefinition`` row, a Copper JSON dict or a client record with the same names."""

        def get(name: str, default: Any = None) -> Any:
            if isinstance(raw, dict):
                return raw.get(name, default)
            return getattr(raw, name, default)

        ident = get("copper_id") if get("copper_id") is not None else get("id")
        options = tuple(
            sorted(
                (
                    int(o["id"] if isinstance(o, dict) else o.id),
                    str(o["name"] if isinstance(o, dict) else o.name),
                )
                for o in (get("options") or [])
            )
        )
        return cls(
            id=int(ident),
            name=str(get("name") or ""),
            data_type=str(get("data_type") or ""),
            options=options,
            available_on=tuple(sorted(str(a) for a in (get("available_on") or []))),
        )

    def option_id(self, name: str) -> int | None:
        wanted = name.strip().lower()
        for option_id, option_name in self.options:
            if option_name.strip().lower() == wanted:
                return option_id
        return None

    def option_name(self, option_id: Any) -> str:
        for ident, name in self.options:
            if ident == option_id:
                return name
        return f"option {option_id}"


def date_to_unix(value: dt.date) -> int:
    """Midnight of ``value`` in the Copper account's timezone (``COPPER_TIMEZONE``), as Copper stores a Date.

    Raises ``ImproperlyConfigured`` when COPPER_TIMEZONE is unset: writing UTC midnight would show a US account
    the previous day (the mapping check refuses a Date mapping before it comes to this).
    """
    return date_to_seconds(value, copper_timezone())


def unix_to_date(value: Any) -> dt.date | None:
    """The day a stored Date value shows in Copper (read in COPPER_TIMEZONE; UTC when unset, for display only)."""
    return seconds_to_date(value, copper_timezone(required=False) or dt.UTC)


def is_empty(value: Any) -> bool:
    """How Copper writes an unset field: ``null``, ``""``, ``[]`` or (a Checkbox) ``false``."""
    return value is None or value is False or value == "" or value == []


def encode(*, metric: str, value: Any, definition: Definition) -> Any:
    """The raw JSON value to write for ``value`` of ``metric`` into ``definition``; None clears the field.

    Raises ``EncodeError`` when the field cannot hold it (no matching option, string over 255 characters).
    """
    kind = METRIC_KINDS[metric]
    data_type = definition.data_type
    if value is None:
        return False if data_type == "Checkbox" else None
    if data_type in NUMBER_TYPES:
        number = float(value)
        return round(number, 2) if kind == "money" or data_type == "Currency" else number
    if data_type == "Date":
        return date_to_unix(value)
    if data_type == "Checkbox":
        return bool(value)
    if data_type == "Dropdown":
        names = BOOL_OPTION_NAMES[bool(value)] if kind == "bool" else (str(value),)
        for name in names:
            option_id = definition.option_id(name)
            if option_id is not None:
                return option_id
        raise EncodeError(f'"{definition.name}" has no option named "{names[0]}".')
    if data_type == "MultiSelect" and kind == "products":
        ids = []
        for sku, _qty in value:
            option_id = definition.option_id(sku)
            if option_id is None:
                raise EncodeError(f'"{definition.name}" has no option named "{sku}".')
            ids.append(option_id)
        return ids or None
    if data_type in ("String", "Text"):
        text = products_text(value) if kind == "products" else str(value)
        if text == "":
            return None
        if data_type == "String" and len(text) > STRING_MAX_LENGTH:
            raise EncodeError(
                f'"{definition.name}" is a String (at most {STRING_MAX_LENGTH} characters); '
                f"the value has {len(text)}."
            )
        return text
    raise EncodeError(f'"{definition.name}" is a {data_type} field; it cannot hold {kind} values.')


def same(*, data_type: str, a: Any, b: Any) -> bool:
    """Whether two raw values mean the same thing in Copper (2 == 2.0, two unset forms, the same day)."""
    if is_empty(a) and is_empty(b):
        return True
    if is_empty(a) or is_empty(b):
        return False
    if data_type in NUMBER_TYPES:
        try:
            return math.isclose(float(a), float(b), abs_tol=0.005)
        except (TypeError, ValueError):
            return a == b
    if data_type == "Date":
        return unix_to_date(a) == unix_to_date(b)
    if data_type == "MultiSelect":
        return sorted(a or []) == sorted(b or [])
    return a == b


def display(*, value: Any, definition: Definition | None, data_type: str = "", currency: str = "") -> str:
    """A raw value as a person reads it: option names, ISO dates, money with two decimals."""
    data_type = definition.data_type if definition is not None else data_type
    if is_empty(value) and data_type != "Checkbox":
        return "—"
    if data_type == "Currency":
        try:
            return f"{float(value):,.2f}{' ' + currency if currency else ''}"
        except (TypeError, ValueError):
            return str(value)
    if data_type in ("Float", "Percentage"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
        text = f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"
        return text + ("%" if data_type == "Percentage" else "")
    if data_type == "Date":
        day = unix_to_date(value)
        return day.isoformat() if day else str(value)
    if data_type == "Checkbox":
        return "Yes" if value else "No"
    if data_type == "Dropdown" and definition is not None:
        return definition.option_name(value)
    if data_type == "MultiSelect" and definition is not None:
        return ", ".join(definition.option_name(v) for v in value)
    return str(value)


def flags_for(*, metric: str, data_type: str, old: Any, new: Any, factor: float) -> list[str]:
    """Why a reviewer should look twice at a change: a total going down, a date going back, a big jump, a clear."""
    flags: list[str] = []
    if not is_empty(old) and is_empty(new):
        flags.append("clears_value")
        return flags
    if is_empty(old) or is_empty(new):
        return flags
    if data_type in NUMBER_TYPES:
        try:
            before, after = float(old), float(new)
        except (TypeError, ValueError):
            return flags
        if metric in CUMULATIVE_METRICS and after < before:
            flags.append("went_down")
        low, high = sorted((abs(before), abs(after)))
        if low > 0 and high / low > factor:
            flags.append("big_jump")
    elif data_type == "Date":
        before_day, after_day = unix_to_date(old), unix_to_date(new)
        if before_day and after_day and after_day < before_day:
            flags.append("date_backwards")
    return flags


def products_text(products: list[tuple[str, Decimal]]) -> str:
    """Top products as Copper shows them: ``"SKU-1 (40), SKU-2 (12.5), SKU-3 (3)"``."""
    return ", ".join(f"{sku} ({_quantity(qty)})" for sku, qty in products)


def _quantity(qty: Any) -> str:
    number = Decimal(qty)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def metric_display(value: Any) -> str:
    """A computed metric value (before encoding) as text, for samples."""
    if value is None or value == []:
        return "—"
    if isinstance(value, list):
        return products_text(value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
