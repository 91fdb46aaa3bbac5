"""Copper Date custom fields: unix seconds at local midnight of the Copper account's timezone.

A recorded real payload stores 2025-08-01 as 1754031600, 00:00 in US Pacific time, not 00:00 UTC: a value written
at UTC midnight shows a US account the previous day. ``COPPER_TIMEZONE`` names the account's zone (an IANA name
such as ``America/Los_Angeles``); it has no default, because guessing it is exactly the bug. The functions below
are pure (they take the zone); only ``copper_timezone()`` reads settings.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.core.exceptions import ImproperlyConfigured

COPPER_TIMEZONE_MISSING = (
    "COPPER_TIMEZONE is not set: Copper keeps a Date field at local midnight of the account's timezone, so "
    "copperhub cannot write or compare dates without it. Set it to the account's zone (for example "
    "America/Los_Angeles, as shown in Copper's settings) and check the mapping again."
)
COPPER_TIMEZONE_INVALID = (
    'COPPER_TIMEZONE is "{name}", which is not a timezone name (e.g. America/Los_Angeles).'
)


def copper_timezone(*, required: bool = True) -> dt.tzinfo | None:
    """The account's zone from ``COPPER_TIMEZONE``.

    Unset: raises ``ImproperlyConfigured`` (``required``) or returns ``None``. A bad name always raises.
    """
    from django.conf import settings

    name = (getattr(settings, "COPPER_TIMEZONE", "") or "").strip()
    if not name:
        if required:
            raise ImproperlyConfigured(COPPER_TIMEZONE_MISSING)
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(COPPER_TIMEZONE_INVALID.format(name=name)) from exc


def date_to_seconds(day: dt.date, tz: dt.tzinfo) -> int:
    """Unix seconds of 00:00 on ``day`` in ``tz`` (how Copper stores that date)."""
    return int(dt.datetime.combine(day, dt.time.min, tzinfo=tz).timestamp())


def seconds_to_local(value: Any, tz: dt.tzinfo) -> dt.datetime | None:
    """Unix seconds (int, float or numeric string) as an aware datetime in ``tz``; unset/garbled → ``None``."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return dt.datetime.fromtimestamp(float(value), tz=tz)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def seconds_to_date(value: Any, tz: dt.tzinfo) -> dt.date | None:
    """The calendar day a stored Date value shows in ``tz``."""
    local = seconds_to_local(value, tz)
    return local.date() if local is not None else None


def is_local_midnight(value: Any, tz: dt.tzinfo) -> bool:
    """Whether a stored Date value sits exactly at 00:00 of its day in ``tz`` (unset values count as fine)."""
    local = seconds_to_local(value, tz)
    return local is None or (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)
