"""Reads of the Copper mirror that several pages and services share (and pages above the Copper wing show)."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, tzinfo

from django.db.models import Count, Max

from copper.custom_fields import CustomFieldCatalog
from copper.dates import copper_timezone
from copper.models import CustomFieldDefinition


def custom_field_definitions_pulled() -> tuple[int, dt.datetime | None]:
    """How many of Copper's custom-field definitions are stored and when they were last pulled (one query;
    ``(0, None)``: never pulled)."""
    row = CustomFieldDefinition.objects.aggregate(n=Count("pk"), last=Max("pulled_at"))
    return row["n"], row["last"]


def custom_field_catalog(*, tz: tzinfo | None = None) -> CustomFieldCatalog:
    """The pulled company custom-field definitions as a catalog, in one query.

    Dates are read in ``tz``, by default the account's ``COPPER_TIMEZONE`` (UTC while it is unset), so a Date
    decodes to the day Copper shows. A bad ``COPPER_TIMEZONE`` name raises ``ImproperlyConfigured``.
    """
    rows = CustomFieldDefinition.objects.values(
        "copper_id", "name", "data_type", "options", "available_on", "currency"
    )
    zone = tz or copper_timezone(required=False) or UTC
    return CustomFieldCatalog(({**row, "id": row["copper_id"]} for row in rows), tz=zone)
