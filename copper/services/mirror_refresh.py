"""Refreshing mirror rows from company records Copper just returned (a PUT's answer, a search by ids).

The pull walks every company; these writers take a handful of records Copper handed over for another reason and
bring their mirror rows up to date, so the mirror holds what Copper holds right after copperhub wrote to it or
Copper told it (webhook) that something changed. Each written row gets a history row with an explicit user and
a change reason, per row (``reasons`` maps a company id to its own reason: the notification that named it).

Never moves a row back in time: a record whose ``date_modified`` is older than the row's is skipped (a late
answer or notification changes nothing). Only the columns whose source keys the record carries are written,
so a partial record cannot blank the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from copper.custom_fields import CustomFieldCatalog
from copper.models import CopperCompany
from copper.selectors import custom_field_catalog
from copper.services.pull import COMPANY_FIELDS, TYPED_COLUMNS, _CompanyExtractor
from syncs.progress import Progress

# Mirror column -> the key of a Copper company record it comes from.
SOURCE_KEYS = {
    "name": "name",
    "assignee_id": "assignee_id",
    "contact_type_id": "contact_type_id",
    "email_domain": "email_domain",
    "address": "address",
    "tags": "tags",
    "custom_fields": "custom_fields",
    **dict.fromkeys(TYPED_COLUMNS, "custom_fields"),
    "account_number": "custom_fields",
    "date_created": "date_created",
    "date_modified": "date_modified",
    "missing_from_copper_since": "id",  # Copper returned the record: it is not missing
}


@dataclass
class RefreshCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0  # records older than the mirror row: skipped
    marked_missing: int = 0
    # company id -> "created" / "updated" / "unchanged" / "older"
    by_id: dict[int, str] = field(default_factory=dict)


def _catalog() -> CustomFieldCatalog:
    return custom_field_catalog()


def copper_companies_refresh(
    *,
    records: Iterable[dict[str, Any]],
    reasons: Mapping[int, str] | str,
    user: AbstractBaseUser | None,
) -> RefreshCounts:
    """Upsert mirror rows from full or partial Copper company records, with history (see the module docstring).

    ``reasons``: one change reason for every row, or one per company id. One query reads the existing rows;
    one bulk insert and one bulk update (each with its history rows) write them, in one transaction.
    """
    incoming = {int(r["id"]): r for r in records if isinstance(r, dict) and r.get("id") is not None}
    counts = RefreshCounts()
    if not incoming:
        return counts
    extractor = _CompanyExtractor(_catalog(), Progress.null())
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    now = timezone.now()
    with transaction.atomic():
        existing = CopperCompany.objects.in_bulk(list(incoming))
        creates, updates, changed_fields = [], [], set()
        for pk, record in incoming.items():
            values = dict(zip(COMPANY_FIELDS, extractor.values(record), strict=True))
            present = {name for name in COMPANY_FIELDS if SOURCE_KEYS[name] in record}
            row = existing.get(pk)
            reason = reasons if isinstance(reasons, str) else reasons.get(pk, "copper refresh")
            if row is None:
                row = CopperCompany(copper_id=pk, pulled_at=now, **{name: values[name] for name in present})
                row._change_reason = reason[:100]
                creates.append(row)
                counts.by_id[pk] = "created"
                continue
            if _older(values.get("date_modified") if "date_modified" in present else None, row.date_modified):
                counts.older += 1
                counts.by_id[pk] = "older"
                continue
            diff = [name for name in present if getattr(row, name) != values[name]]
            if not diff:
                counts.unchanged += 1
                counts.by_id[pk] = "unchanged"
                continue
            for name in diff:
                setattr(row, name, values[name])
            row.pulled_at = now
            row._change_reason = reason[:100]
            changed_fields.update(diff)
            updates.append(row)
            counts.by_id[pk] = "updated"
        if creates:
            bulk_create_with_history(
                creates, CopperCompany, batch_size=500, default_user=user, default_date=now
            )
        if updates:
            bulk_update_with_history(
                updates,
                CopperCompany,
                sorted(changed_fields) + ["pulled_at"],
                batch_size=500,
                default_user=user,
                default_date=now,
            )
    counts.created, counts.updated = len(creates), len(updates)
    return counts


def copper_companies_mark_missing(
    *, ids: Iterable[int], reasons: Mapping[int, str] | str, user: AbstractBaseUser | None
) -> int:
    """Stamp ``missing_from_copper_since`` on mirror rows Copper confirmed gone (rows and history are kept).

    Rows already marked stay as they are (the first date stands); returns the number newly marked.
    """
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    now = timezone.now()
    with transaction.atomic():
        rows = list(CopperCompany.objects.filter(pk__in=list(ids), missing_from_copper_since__isnull=True))
        for row in rows:
            row.missing_from_copper_since = now
            row._change_reason = (reasons if isinstance(reasons, str) else reasons.get(row.pk, "gone"))[:100]
        if rows:
            bulk_update_with_history(
                rows, CopperCompany, ["missing_from_copper_since"], default_user=user, default_date=now
            )
    return len(rows)


def _older(incoming: datetime | None, held: datetime | None) -> bool:
    return incoming is not None and held is not None and incoming < held
