"""Reading Copper's ``custom_fields`` lists by field *name* (definition ids differ per Copper account).

Pure: no models, no settings. ``CustomFieldCatalog`` is built once from the definitions (dicts as Copper's
``GET /custom_field_definitions`` returns them, or rows of ``CustomFieldDefinition`` turned into dicts) and then
decodes many companies cheaply.

Decoded values, by ``data_type``:
String / Text / URL → ``str`` (``None`` when unset); Dropdown → the option's name; MultiSelect → list of option
names; Date → aware ``datetime`` from unix seconds, in the account's timezone when the catalog is given one
(``tz``; Copper keeps a Date at local midnight of that zone, so ``.date()`` is the day Copper shows) and in UTC
otherwise; Checkbox → ``bool``; Float / Currency / Percentage →
``Decimal``; Connect → ``list``. An option id the definition does not list is kept visibly as
``"<unknown option 123>"``; entries whose definition is unknown are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

TEXT_TYPES = frozenset({"String", "Text", "URL"})
NUMBER_TYPES = frozenset({"Float", "Currency", "Percentage"})


def unknown_option(option_id: Any) -> str:
    return f"<unknown option {option_id}>"


def timestamp_to_datetime(value: Any, tz: tzinfo = UTC) -> datetime | None:
    """Unix seconds (int, float or numeric string) → aware datetime in ``tz``; ``None``/blank → ``None``."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=tz)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise CustomFieldValueError(f"{value!r} is not a unix timestamp") from exc


class CustomFieldValueError(ValueError):
    """A value that does not fit its definition's data type."""


class FieldDecoder:
    """Decodes the values of one definition."""

    __slots__ = ("id", "name", "data_type", "options", "tz", "currency")

    def __init__(self, definition: dict[str, Any], *, tz: tzinfo = UTC) -> None:
        self.tz = tz
        self.id = int(definition["id"])
        self.name = str(definition.get("name") or f"custom field {self.id}")
        self.data_type = str(definition.get("data_type") or "")
        self.currency = str(definition.get("currency") or "")
        self.options = {
            int(option["id"]): str(option.get("name", ""))
            for option in (definition.get("options") or [])
            if option.get("id") is not None
        }

    def _option(self, option_id: Any) -> str:
        try:
            return self.options.get(int(option_id)) or unknown_option(option_id)
        except (TypeError, ValueError):
            return unknown_option(option_id)

    def decode(self, value: Any) -> Any:
        """Raise ``CustomFieldValueError`` when the value cannot be read as this field's type."""
        data_type = self.data_type
        if data_type in TEXT_TYPES:
            return None if value is None else str(value)
        if data_type == "Dropdown":
            if value is None or value == "" or value == []:
                return None
            if isinstance(value, list):  # seen when a Dropdown was converted from a MultiSelect
                value = value[0]
            return self._option(value)
        if data_type == "MultiSelect":
            if value is None or value == "":
                return []
            values = value if isinstance(value, list) else [value]
            return [self._option(item) for item in values]
        if data_type == "Checkbox":
            if value is None:
                return False
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
                return value.strip().lower() == "true"
            raise CustomFieldValueError(f"{value!r} is not a checkbox value (true/false)")
        if data_type in NUMBER_TYPES:
            if value is None or value == "":
                return None
            if isinstance(value, bool):
                raise CustomFieldValueError(f"{value!r} is not a number")
            try:
                return Decimal(str(value))
            except InvalidOperation as exc:
                raise CustomFieldValueError(f"{value!r} is not a number") from exc
        if data_type == "Date":
            return timestamp_to_datetime(value, self.tz)
        if data_type == "Connect":
            if value is None:
                return []
            return list(value) if isinstance(value, list | tuple) else [value]
        return value  # a data type Copper adds later: pass through untouched


class CustomFieldCatalog:
    """The company custom-field definitions of one account, indexed by id and by name."""

    def __init__(
        self, definitions: Iterable[dict[str, Any]], *, entity: str | None = "company", tz: tzinfo = UTC
    ) -> None:
        """``tz``: the account's timezone (``copper.dates.copper_timezone``), in which Date values are read."""
        self.by_id: dict[int, FieldDecoder] = {}
        self.by_name: dict[str, FieldDecoder] = {}
        # Names shared by several definitions: reading them by name is ambiguous (the lowest id wins).
        self.ambiguous_names: set[str] = set()
        for definition in sorted(definitions, key=lambda d: int(d["id"])):
            available_on = definition.get("available_on")
            if entity and available_on and entity not in available_on:
                continue
            decoder = FieldDecoder(definition, tz=tz)
            self.by_id[decoder.id] = decoder
            if decoder.name in self.by_name:
                self.ambiguous_names.add(decoder.name)
            else:
                self.by_name[decoder.name] = decoder

    def decode(self, custom_fields: Iterable[dict[str, Any]] | None) -> dict[str, Any]:
        """Every known field of one record, ``{name: value}``; a value that does not fit raises."""
        decoded: dict[str, Any] = {}
        for entry in custom_fields or ():
            decoder = self.by_id.get(definition_id_of(entry))
            if decoder is None or decoder.name in decoded:
                continue
            try:
                decoded[decoder.name] = decoder.decode(entry.get("value"))
            except CustomFieldValueError as exc:
                raise CustomFieldValueError(f'custom field "{decoder.name}": {exc}') from exc
        return decoded

    def values(
        self, custom_fields: Iterable[dict[str, Any]] | None, names: Iterable[str]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Decode only the fields called ``names``: ``({name: value}, {name: problem})``.

        Never raises: a value that does not fit its type is reported in the second dict and left out of the
        first, so one bad record cannot stop a pull. Names without a definition are simply absent.
        """
        wanted = {self.by_name[name].id: self.by_name[name] for name in names if name in self.by_name}
        found: dict[str, Any] = {}
        problems: dict[str, str] = {}
        if not wanted:
            return found, problems
        for entry in custom_fields or ():
            decoder = wanted.get(definition_id_of(entry))
            if decoder is None or decoder.name in found or decoder.name in problems:
                continue
            try:
                found[decoder.name] = decoder.decode(entry.get("value"))
            except CustomFieldValueError as exc:
                problems[decoder.name] = str(exc)
        return found, problems


def definition_id_of(entry: dict[str, Any]) -> int | None:
    """The definition id of one ``custom_fields`` entry; ``None`` when it is missing or not a number."""
    try:
        return int(entry.get("custom_field_definition_id"))
    except (TypeError, ValueError):
        return None


def custom_fields_decode(
    custom_fields: Iterable[dict[str, Any]] | None, definitions: Iterable[dict[str, Any]], *, tz: tzinfo = UTC
) -> dict[str, Any]:
    """One-shot ``{field name: python value}`` for one record's raw ``custom_fields`` (Dates read in ``tz``)."""
    return CustomFieldCatalog(definitions, tz=tz).decode(custom_fields)


def label_of(value: Any) -> str:
    """A field value as one label: a Dropdown's name, a MultiSelect's first name, text as is; ``""`` if unset."""
    if value is None or value is False:
        return ""
    if isinstance(value, list | tuple):
        return label_of(value[0]) if value else ""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return str(value).strip()
