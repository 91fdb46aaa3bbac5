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
# How each metric moves in normal life, which decides what a reviewer should look twice at (``flags_for``):
# "total" only grows (orders are added, never removed), so a drop or a jump is surprising; "level" (averages,
# a rolling year) moves either way, so only a jump is; "elapsed" (a count of days) grows by one every day and
# resets with each order, so none of its moves is; "date" should not move back; "other" (products, yes/no)
# has no direction. A value being cleared is surprising for every metric.
METRIC_MOTION: dict[str, str] = {
    Metric.TOTAL_ORDERS: "total",
    Metric.TOTAL_SPENT: "total",
    Metric.AVERAGE_ORDER_VALUE: "level",
    Metric.FIRST_ORDER_DATE: "date",
    Metric.LAST_ORDER_DATE: "date",
    Metric.DAYS_SINCE_LAST_ORDER: "elapsed",
    Metric.TOP_PRODUCTS: "other",
    Metric.SAMPLE_KIT_SENT: "other",
    Metric.SAMPLE_KIT_DATE: "date",
    Metric.SPENT_LAST_12_MONTHS: "level",
}
MOTION_FLAGS: dict[str, tuple[str, ...]] = {
    "total": ("went_down", "big_jump", "clears_value"),
    "level": ("big_jump", "clears_value"),
    "elapsed": ("clears_value",),
    "date": ("date_backwards", "clears_value"),
    "other": ("clears_value",),
}
# Metrics whose values add up across companies, so a change set's sum before → after means something (an
# average or a count of days summed over companies does not).
SUMMABLE_METRICS = (Metric.TOTAL_ORDERS, Metric.TOTAL_SPENT, Metric.SPENT_LAST_12_MONTHS)
# Totals that only grow in normal life: going down is suspicious.
CUMULATIVE_METRICS = tuple(m for m, motion in METRIC_MOTION.items() if motion == "total")

# Each flag in plain words; ``flag_legend`` adds the threshold and the metrics it applies to.
FLAG_LABELS: dict[str, str] = {
    "went_down": "Went down",
    "date_backwards": "Date moves back",
    "big_jump": "Big jump",
    "clears_value": "Clears the value",
}
FLAG_DESCRIPTIONS: dict[str, str] = {
    "went_down": "the new total is smaller than the one Copper holds (a running total only grows, unless "
    "orders were deleted or changed status in Fishbowl)",
    "date_backwards": "the new date is earlier than the date Copper holds",
    "big_jump": "the new value is more than {factor} times the value Copper holds, or less than 1/{factor} of it",
    "clears_value": "Copper holds a value and the new one is empty, so the field would be emptied",
}
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


def metric_flags(metric: str) -> tuple[str, ...]:
    """The flags a change of ``metric`` can get (by how the metric moves, ``METRIC_MOTION``)."""
    return MOTION_FLAGS[METRIC_MOTION.get(metric, "other")]


def flags_for(*, metric: str, data_type: str, old: Any, new: Any, factor: float) -> list[str]:
    """Why a reviewer should look twice at a change: a total going down, a date going back, a big jump (a
    number changing by more than ``factor`` either way), a clear; only the flags ``metric_flags`` allows."""
    allowed = metric_flags(metric)
    flags: list[str] = []
    if not is_empty(old) and is_empty(new):
        return ["clears_value"] if "clears_value" in allowed else []
    if is_empty(old) or is_empty(new):
        return flags
    if data_type in NUMBER_TYPES:
        try:
            before, after = float(old), float(new)
        except (TypeError, ValueError):
            return flags
        if "went_down" in allowed and after < before:
            flags.append("went_down")
        low, high = sorted((abs(before), abs(after)))
        if "big_jump" in allowed and low > 0 and high / low > factor:
            flags.append("big_jump")
    elif data_type == "Date" and "date_backwards" in allowed:
        before_day, after_day = unix_to_date(old), unix_to_date(new)
        if before_day and after_day and after_day < before_day:
            flags.append("date_backwards")
    return flags


@dataclass(frozen=True)
class FlagLegend:
    """One line of the flag legend: the flag's code (as stored), its name, what it means, and the metrics
    whose changes can carry it."""

    flag: str
    label: str
    description: str
    metrics: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.label}: {self.description}."


def flag_label(flag: str) -> str:
    return FLAG_LABELS.get(flag, flag.replace("_", " ").capitalize())


def flag_legend(*, factor: float, flags: Any = None) -> list[FlagLegend]:
    """The legend of ``flags`` (all flags when None), in ``FLAG_LABELS`` order, with ``factor`` (the setting
    METRICS_SUSPICIOUS_FACTOR) written into the big-jump threshold."""
    wanted = FLAG_LABELS if flags is None else [f for f in FLAG_LABELS if f in set(flags)]
    return [
        FlagLegend(
            flag=flag,
            label=FLAG_LABELS[flag],
            description=FLAG_DESCRIPTIONS[flag].format(factor=f"{factor:g}"),
            metrics=tuple(Metric(m).label for m in METRIC_MOTION if flag in metric_flags(m)),
        )
        for flag in wanted
    ]


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
