"""Calendar-month arithmetic (no 30-day months, no dateutil).

``months_add(date(2026, 1, 31), 6)`` is 31 July; a day that the target month lacks clamps to its last day
(31 August + 6 months is 28 or 29 February).
"""

import calendar
import re
from datetime import date

MONTH_PATTERN = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
MONTH_INVALID = "Month must look like YYYY-MM (e.g. 2026-01), not {value!r}."


def months_add(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (negative moves back), clamping to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_next(day: date) -> date:
    """The first day of the month after ``day``'s month."""
    return months_add(month_start(day), 1)


def month_parse(value: str | date) -> date:
    """``"2026-01"`` (or a date) → ``date(2026, 1, 1)``; ``ValueError`` with a clear message otherwise."""
    if isinstance(value, date):
        return month_start(value)
    match = MONTH_PATTERN.match(str(value or ""))
    if not match:
        raise ValueError(MONTH_INVALID.format(value=value))
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1900 <= year <= 9999):
        raise ValueError(MONTH_INVALID.format(value=value))
    return date(year, month, 1)


def month_format(day: date) -> str:
    return f"{day:%Y-%m}"
