"""Full reconciliation: which mirrored companies Copper no longer has, proved by asking for them by id.

A full pull's walk (``copper.keyset``) reads every company modified up to the run's start. A mirrored company
it did not read is only a *candidate*: it may have been edited during the walk (its ``date_modified`` moved
past the walk's upper bound) or Copper may have deleted it. ``companies_reconcile`` asks Copper for the
candidates by ``ids`` (200 per search); those Copper returns are written to the mirror with their new values,
and only those it does not return are marked ``missing_from_copper_since`` (the row and its history are kept).
Nothing is marked unless the walk covered every window.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_update_with_history

from copper.models import CopperCompany
from copper.services.mirror_writes import Counts, MirrorWriter

LOOKUP_BATCH = 200  # Copper's page size limit: one search answers 200 ids at once
MARK_BATCH = 2000


class IdSet:
    """The ids a walk saw, 8 bytes each (a 250,000-company walk holds 2 MB, not a 15 MB ``set``)."""

    def __init__(self) -> None:
        self._ids = array("q")
        self._sorted = True

    def update(self, ids: Iterable[int]) -> None:
        self._ids.extend(ids)
        self._sorted = False

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, value: int) -> bool:
        if not self._sorted:
            self._ids = array("q", sorted(set(self._ids)))
            self._sorted = True
        index = bisect_left(self._ids, value)
        return index < len(self._ids) and self._ids[index] == value


@dataclass
class ReconcileResult:
    candidates: int = 0
    still_in_copper: int = 0
    marked_missing: int = 0
    lookups: int = 0
    written: Counts | None = None


def companies_reconcile(
    *,
    client: Any,
    seen: IdSet,
    writer: MirrorWriter,
    values: Callable[[dict[str, Any]], tuple],
    fields: tuple[str, ...],
    now: datetime,
) -> ReconcileResult:
    """Confirm by id which unseen mirrored companies Copper still has; mark the rest missing.

    ``values(row)`` turns a Copper company into the values of ``fields`` (the pull's extractor). Side
    effects: upserts the companies Copper returned (history rows naming the run), stamps
    ``missing_from_copper_since`` on the others in batches, each batch one transaction.
    """
    result = ReconcileResult(written=Counts())
    present = CopperCompany.objects.filter(missing_from_copper_since__isnull=True).order_by("pk")
    candidates = [pk for pk in present.values_list("pk", flat=True).iterator() if pk not in seen]
    result.candidates = len(candidates)
    missing: list[int] = []
    for start in range(0, len(candidates), LOOKUP_BATCH):
        batch = candidates[start : start + LOOKUP_BATCH]
        rows = list(client.companies_by_ids(batch, batch_size=LOOKUP_BATCH))
        result.lookups += 1
        wanted = set(batch)
        found = {int(row["id"]): values(row) for row in rows if int(row["id"]) in wanted}
        if found:
            with transaction.atomic():
                result.written += writer.upsert(CopperCompany, found, fields, fast=True)
        result.still_in_copper += len(found)
        missing.extend(pk for pk in batch if pk not in found)
    result.marked_missing = companies_mark_missing(ids=missing, now=now, writer=writer)
    return result


def companies_mark_missing(*, ids: list[int], now: datetime, writer: MirrorWriter) -> int:
    """Stamp ``missing_from_copper_since`` on ``ids`` (with history naming the run); returns how many."""
    for start in range(0, len(ids), MARK_BATCH):
        with transaction.atomic():
            rows = list(CopperCompany.objects.filter(pk__in=ids[start : start + MARK_BATCH]))
            for row in rows:
                row.missing_from_copper_since = now
            bulk_update_with_history(
                rows,
                CopperCompany,
                ["missing_from_copper_since"],
                default_user=writer.user,
                default_change_reason=writer.reason,
            )
    return len(ids)
