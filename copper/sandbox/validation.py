"""What the Copper sandbox accepts as input, checked the way Copper checks it.

Every failure is a ``SandboxInputError`` whose text follows "Invalid input: Validation errors: " (the server
answers it as a 422). Pure functions: no state, no I/O.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from copper.sandbox.world import unset_value


class SandboxInputError(ValueError):
    """Input Copper would refuse; the text follows "Invalid input: Validation errors: "."""


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def as_int(value: Any, label: str) -> int:
    """An integer, also from a numeric string (Copper accepts those where numbers are expected)."""
    if isinstance(value, bool) or value is None:
        raise SandboxInputError(f"{label}: is not a number")
    try:
        number = float(value) if isinstance(value, str) else value
        if not isinstance(number, int | float) or number != int(number):
            raise ValueError
        return int(number)
    except (TypeError, ValueError):
        raise SandboxInputError(f"{label}: is not a number") from None


def as_int_list(value: Any, label: str) -> list[int]:
    return [as_int(v, label) for v in (value if isinstance(value, list) else [value])]


def local_midnight(seconds: int, tz: dt.tzinfo) -> int:
    """A Date as Copper keeps it: 00:00 of the day ``seconds`` falls on in the account's timezone ``tz``.

    Writing UTC midnight of a day therefore lands on the previous day for a US account, as in Copper.
    """
    day = dt.datetime.fromtimestamp(seconds, tz=tz).date()
    return int(dt.datetime.combine(day, dt.time.min, tzinfo=tz).timestamp())


def as_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SandboxInputError("Value: is not a number")
    try:
        return float(value)
    except ValueError:
        raise SandboxInputError("Value: is not a number") from None


def custom_value(definition: dict, value: Any) -> Any:  # noqa: C901 - one rule per data type
    """Check ``value`` against the definition's data type, as Copper stores it; ``None`` clears the field."""
    data_type, name = definition["data_type"], definition["name"]
    if value is None:
        return unset_value(data_type)
    options = {o["id"] for o in definition.get("options", [])}

    def wrong(expected: str) -> SandboxInputError:
        return SandboxInputError(f"Custom fields: {name} ({data_type}) must be {expected}, not {value!r}")

    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if data_type in ("String", "Text", "URL"):
        if not isinstance(value, str):
            raise wrong("a string")
        if data_type == "String" and len(value) > 255:
            raise SandboxInputError(f"Custom fields: {name} is too long (maximum is 255 characters)")
        return value
    if data_type == "Dropdown":
        if not (isinstance(value, int) and not isinstance(value, bool)) or value not in options:
            raise wrong(f"one of the option ids {sorted(options)}")
        return value
    if data_type == "MultiSelect":
        if not isinstance(value, list) or not all(isinstance(v, int) and v in options for v in value):
            raise wrong(f"a list of option ids from {sorted(options)}")
        return value
    if data_type == "Checkbox":
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if data_type == "Date":
        if not is_number or value != int(value):
            raise wrong("a date as unix seconds")
        return int(value)
    if data_type in ("Float", "Currency"):
        if not is_number:
            raise wrong("a number")
        return float(value)
    if data_type == "Percentage":
        if not is_number:
            raise wrong("a number")
        return value
    if data_type == "Connect":
        if not isinstance(value, list):
            raise wrong("a list")
        return value
    return value
