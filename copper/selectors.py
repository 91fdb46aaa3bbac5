"""Reads about the Copper mirror that pages above the Copper wing show."""

import datetime as dt

from django.db.models import Count, Max

from copper.models import CustomFieldDefinition


def custom_field_definitions_pulled() -> tuple[int, dt.datetime | None]:
    """How many of Copper's custom-field definitions are stored and when they were last pulled (one query;
    ``(0, None)``: never pulled)."""
    row = CustomFieldDefinition.objects.aggregate(n=Count("pk"), last=Max("pulled_at"))
    return row["n"], row["last"]
