"""Copper custom fields as a person reads them: one labelled row per field, values in plain words.

Built on ``copper.custom_fields`` (the decoding the pull uses), so a page shows exactly what the pull reads:
the definition's name as the label; a Date as the day in the account's timezone; Dropdown and MultiSelect as
option names; a Checkbox as Yes/No; Currency, Float and Percentage as formatted numbers; a URL as a link. An
entry whose definition was not pulled is shown as such, with its raw value, rather than hidden. Pure: the
catalog is passed in (``copper.selectors.custom_field_catalog``, one query per page).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

from copper.custom_fields import CustomFieldCatalog, CustomFieldValueError, FieldDecoder, definition_id_of

EMPTY = "—"
CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "EUR": "€", "GBP": "£", "JPY": "¥"}


@dataclass(frozen=True)
class CustomFieldRow:
    label: str
    data_type: str
    value: str | SafeString  # SafeString only for a URL's link


def _number(value: Decimal, places: int | None = None) -> str:
    if places is None:
        places = 0 if value == value.to_integral_value() else max(0, -value.normalize().as_tuple().exponent)
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def custom_field_value_text(decoder: FieldDecoder, value: Any) -> str | SafeString:
    """One decoded value (``FieldDecoder.decode``'s result) in plain words; ``"—"`` when unset."""
    data_type = decoder.data_type
    if data_type == "Checkbox":
        return "Yes" if value else "No"
    if value is None or value == "" or value == []:
        return EMPTY
    if data_type == "Date" and isinstance(value, datetime):
        return date_format(value.date(), "DATE_FORMAT")
    if data_type == "URL":
        href = value if "://" in value else f"https://{value}"
        if href.lower().startswith(("http://", "https://")):
            return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', href, value)
        return value
    if isinstance(value, Decimal):
        if data_type == "Currency":
            amount = _number(value, 2)
            symbol = CURRENCY_SYMBOLS.get(decoder.currency.upper(), "")
            if symbol:
                return f"-{symbol}{amount[1:]}" if amount.startswith("-") else f"{symbol}{amount}"
            return f"{amount} {decoder.currency}".strip()
        if data_type == "Percentage":
            return f"{_number(value)} %"
        return _number(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or EMPTY
    return str(value)


def custom_field_display(decoder: FieldDecoder, raw: Any) -> str | SafeString:
    """A raw value as Copper sent it, decoded and in plain words (a value that does not fit is shown as is)."""
    try:
        return custom_field_value_text(decoder, decoder.decode(raw))
    except CustomFieldValueError:
        return f"{raw} (not a valid {decoder.data_type.lower()} value)"


def unknown_field_label(definition_id: Any) -> str:
    return f"Unknown field (definition {definition_id}, not pulled)"


def custom_field_rows(
    custom_fields: Iterable[dict[str, Any]] | None, catalog: CustomFieldCatalog
) -> list[CustomFieldRow]:
    """Every entry of one record's raw ``custom_fields``, labelled and typed, in the record's order."""
    rows = []
    seen: set[Any] = set()
    for entry in custom_fields or ():
        if not isinstance(entry, dict):
            continue
        definition_id = definition_id_of(entry)
        if definition_id in seen:
            continue
        seen.add(definition_id)
        decoder = catalog.by_id.get(definition_id)
        raw = entry.get("value")
        if decoder is None:
            shown = EMPTY if raw is None or raw == "" or raw == [] else str(raw)
            key = entry.get("custom_field_definition_id")
            rows.append(CustomFieldRow(unknown_field_label(key), "", shown))
            continue
        rows.append(CustomFieldRow(decoder.name, decoder.data_type, custom_field_display(decoder, raw)))
    return rows


def custom_field_changes(
    old: Iterable[dict[str, Any]] | None, new: Iterable[dict[str, Any]] | None, catalog: CustomFieldCatalog
) -> list[tuple[str, str | SafeString, str | SafeString]]:
    """``(label, old, new)`` in plain words for each field whose raw value differs between two lists."""

    def by_id(entries):
        found = {}
        for entry in entries or ():
            if isinstance(entry, dict):
                found.setdefault(entry.get("custom_field_definition_id"), entry.get("value"))
        return found

    before, after = by_id(old), by_id(new)
    changes = []
    for key in sorted(set(before) | set(after), key=str):
        if before.get(key) == after.get(key):
            continue
        decoder = catalog.by_id.get(definition_id_of({"custom_field_definition_id": key}))
        if decoder is None:
            shown = [EMPTY if v is None or v == "" else str(v) for v in (before.get(key), after.get(key))]
            changes.append((unknown_field_label(key), *shown))
        else:
            changes.append(
                (
                    decoder.name,
                    custom_field_display(decoder, before.get(key)),
                    custom_field_display(decoder, after.get(key)),
                )
            )
    changes.sort(key=lambda change: change[0].lower())
    return changes
