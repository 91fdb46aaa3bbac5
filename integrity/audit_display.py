"""Recorded field values in plain words, for the audit trail and the rollback preview.

A field is named by its verbose name; a foreign key by the related object's name (a user by full name, else
username), looked up in one query per related model for a whole page, never per row; a choice by its label; a
checkbox as Yes/No; a time to the minute in the site's timezone; an empty value as "—". A Copper company's raw
``custom_fields`` list becomes one change per custom field, named and typed as the company page shows them
(``copper.custom_fields_display``, the definitions read once per page).

Usage: ``formatter = ValueFormatter()``; ``formatter.collect(model, name, value)`` for every value of the page;
then ``formatter.label(model, name)`` and ``formatter.text(model, name, value)``, or ``changes(model, triples)``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import capfirst

from copper.custom_fields_display import custom_field_changes
from copper.selectors import custom_field_catalog

EMPTY = "—"
MAX_TEXT = 120


class StoredJSON:
    """A JSON value as its stored text: compared by text, decoded only when shown (``decoded()``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoredJSON) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def decoded(self) -> Any:
        return json.loads(self.text) if isinstance(self.text, str) else self.text


def user_label(user) -> str:
    """A user as a person reads it: full name, else username."""
    if user is None:
        return ""
    return (user.get_full_name() or "").strip() or user.get_username()


def _field(model: type[models.Model], name: str) -> models.Field | None:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        for field in model._meta.concrete_fields:
            if field.attname == name:
                return field
    return None


class ValueFormatter:
    """Plain words for recorded values, with the names of related objects fetched in batches."""

    def __init__(self) -> None:
        self._wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self._names: dict[type[models.Model], dict[Any, str]] = {}
        self._catalog = None

    # --- collecting and resolving --------------------------------------------------------------------------

    def collect(self, model: type[models.Model], name: str, *values: Any) -> None:
        """Note the values of field ``name`` that will be shown, so related names are read in one go."""
        field = _field(model, name)
        if field is not None and field.is_relation and field.many_to_one:
            related = field.related_model
            self._wanted[related].update(value for value in values if value not in (None, ""))
            self._names.pop(related, None)

    def _names_of(self, related: type[models.Model]) -> dict[Any, str]:
        if related not in self._names:
            pks = self._wanted.get(related, set())
            names: dict[Any, str] = {}
            if pks and related is get_user_model():
                for user in related._default_manager.filter(pk__in=pks):
                    names[user.pk] = user_label(user)
            elif pks:
                for pk, obj in related._default_manager.in_bulk(list(pks)).items():
                    names[pk] = str(obj)
            self._names[related] = names
        return self._names[related]

    def _custom_field_catalog(self):
        if self._catalog is None:
            try:
                self._catalog = custom_field_catalog()
            except ImproperlyConfigured:  # a bad COPPER_TIMEZONE: still readable, Dates in UTC
                self._catalog = custom_field_catalog(tz=dt.UTC)
        return self._catalog

    # --- words ---------------------------------------------------------------------------------------------

    def label(self, model: type[models.Model], name: str) -> str:
        field = _field(model, name)
        if field is None:
            return capfirst(name.replace("_", " "))
        return capfirst(str(field.verbose_name))

    def text(self, model: type[models.Model], name: str, value: Any) -> str:
        """One value of field ``name`` in plain words (``"—"`` when empty)."""
        field = _field(model, name)
        if isinstance(value, StoredJSON):
            value = value.decoded()
        if isinstance(field, models.BooleanField) or isinstance(value, bool):
            return EMPTY if value is None else ("Yes" if value else "No")
        if value is None or value == "" or value == [] or value == {}:
            return EMPTY
        if field is not None and field.is_relation and field.many_to_one:
            pk = value.pk if isinstance(value, models.Model) else value
            name_of = self._names_of(field.related_model).get(pk)
            return name_of or f"{field.related_model._meta.verbose_name} #{pk} (no longer exists)"
        if field is not None and field.flatchoices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, dt.datetime):
            moment = timezone.localtime(value) if timezone.is_aware(value) else value
            return f"{moment:%Y-%m-%d %H:%M}"
        if isinstance(value, dt.date):
            return f"{value:%Y-%m-%d}"
        if isinstance(value, Decimal | float):
            return number_format(value, force_grouping=True, use_l10n=True)
        if isinstance(value, dict | list):
            text = json.dumps(value, ensure_ascii=False, default=str)
        else:
            text = str(value)
        return text if len(text) <= MAX_TEXT else f"{text[: MAX_TEXT - 1]}…"

    def changes(
        self, model: type[models.Model], triples: list[tuple[str, Any, Any]]
    ) -> list[tuple[str, str, str]]:
        """``(label, old, new)`` in plain words for ``(field name, old, new)`` triples, in their order.

        A company's ``custom_fields`` becomes one triple per custom field that differs.
        """
        shown = []
        for name, old, new in triples:
            old, new = (v.decoded() if isinstance(v, StoredJSON) else v for v in (old, new))
            if name == "custom_fields" and _is_copper_company(model):
                for label, before, after in custom_field_changes(old, new, self._custom_field_catalog()):
                    shown.append((label, str(before), str(after)))
                continue
            shown.append((self.label(model, name), self.text(model, name, old), self.text(model, name, new)))
        return shown


def _is_copper_company(model: type[models.Model]) -> bool:
    return model._meta.label_lower == "copper.coppercompany"
