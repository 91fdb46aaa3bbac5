"""Shared parts of the change-set services: refusal messages, typed errors and small helpers.

Messages are module constants (the admin, the API and the tests read the same words); ``ChangeSetStateConflict``
maps to HTTP 409, ``ChangeSetPermissionDenied`` to 403, any other ``ChangeSetError`` to 400.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from metrics import values as mv
from metrics.models import ChangeSet
from metrics.services.field_mapping import MappingProblem, definitions_current, definitions_fingerprint
from syncs.models import SyncRun

CHANGE_SET_INVALID_MAPPING = "The field mapping has {count} problem(s); nothing was built. {problems}"
CHANGE_SET_NO_PERMISSION = "{user} lacks the permission to {action} change sets."
CHANGE_SET_SELF_APPROVAL = "Change set #{pk} was built by {user}; a different person must approve it."
CHANGE_SET_NOT_AWAITING = "Change set #{pk} is {status}; only a built set awaiting approval can be {action}."
CHANGE_SET_TOO_OLD = (
    "Change set #{pk} was built {hours:.1f} hours ago (the limit is {limit:g}); build a fresh dry run."
)
CHANGE_SET_DEFINITIONS_CHANGED = (
    "Copper's custom-field definitions changed since change set #{pk} was built; build a fresh dry run."
)
CHANGE_SET_REASON_REQUIRED = "Give a reason for rejecting change set #{pk}."
CHANGE_SET_NOT_APPROVED = "Change set #{pk} is {status}; only an approved set can be applied."
CHANGE_SET_NOT_APPLIED = "Change set #{pk} is {status}; only an applied set can be rolled back."
CHANGE_SET_ROLLBACK_OF_ROLLBACK = "Change set #{pk} is itself a rollback; build a fresh dry run instead."
CHANGE_SET_ROLLBACK_RUNNING = "A rollback of change set #{pk} is already under way."
CHANGE_STALE = "Copper now holds {current}; the preview expected {expected}. Kept, not overwritten."
CHANGE_CONFLICT = "Conflict: Copper now holds {current}, not the {expected} this set wrote. Kept."
CHANGE_COMPANY_GONE = "Copper no longer returns this company."
CHANGE_NOT_KEPT = "Copper answered the update but does not hold the new value (it holds {current})."


class ChangeSetError(Exception):
    """A refused change-set operation; ``user_message`` is what a person reads."""

    http_status = 400

    @property
    def user_message(self) -> str:
        return str(self)


class ChangeSetStateConflict(ChangeSetError):
    """The set is not in a state that allows the operation (the API maps it to 409)."""

    http_status = 409


class ChangeSetPermissionDenied(ChangeSetError):
    http_status = 403


class ChangeSetInvalidMapping(ChangeSetError):
    def __init__(self, problems: list[MappingProblem]) -> None:
        self.problems = problems
        text = " ".join(p.message for p in problems)
        super().__init__(CHANGE_SET_INVALID_MAPPING.format(count=len(problems), problems=text))


def _who(user: AbstractBaseUser | None) -> str:
    return user.get_username() if user is not None else "the command line"


def _require(user: AbstractBaseUser | None, perm: str, action: str) -> None:
    """``user=None`` is a trusted caller (command line, a run with no starter); people need the permission."""
    if user is not None and not user.has_perm(f"metrics.{perm}"):
        raise ChangeSetPermissionDenied(CHANGE_SET_NO_PERMISSION.format(user=_who(user), action=action))


def _save(change_set: ChangeSet, *, user: AbstractBaseUser | None, reason: str) -> None:
    """Save with an explicit history user and reason (services also run outside requests)."""
    change_set._history_user = user
    change_set._change_reason = reason
    change_set.save()


def _locked(change_set: ChangeSet) -> ChangeSet:
    return ChangeSet.objects.select_for_update().get(pk=change_set.pk)


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _read_companies(client: Any, ids: list[int], stats: dict[str, float]) -> dict[int, dict[str, Any]]:
    """Re-read ``ids`` (≤ one page) from Copper: one search request per page, never one per company."""
    started = time.perf_counter()
    wanted = set(ids)
    found: dict[int, dict[str, Any]] = {}
    for record in client.companies_by_ids(ids):
        found[int(record["id"])] = record
        # Stop consuming as soon as every id is in: a full page would otherwise trigger one more request.
        if wanted <= found.keys():
            break
    stats["copper_seconds"] = stats.get("copper_seconds", 0.0) + time.perf_counter() - started
    stats["reads"] = stats.get("reads", 0) + 1
    return found


def _values_by_definition(record: dict[str, Any]) -> dict[int, Any]:
    return {
        int(entry["custom_field_definition_id"]): entry.get("value")
        for entry in record.get("custom_fields") or []
        if entry.get("custom_field_definition_id") is not None
    }


def _fingerprint_now(change_set: ChangeSet, definitions: Iterable[mv.Definition] | None = None) -> str:
    """The fingerprint of the definitions the set uses, as they are now (pulled rows, or ``definitions``)."""
    ids = {item["definition_id"] for item in change_set.mapping_snapshot}
    pool = definitions if definitions is not None else definitions_current()
    return definitions_fingerprint(d for d in pool if d.id in ids)


def _link_run(change_set: ChangeSet, *, run: SyncRun | None, user: AbstractBaseUser | None, verb: str) -> None:
    """Point the set at the run now working on it (a resume after a crash takes over from the dead run).

    ``counts["apply_runs"]`` lists every run that wrote for the set, oldest first; the outcome counts are always
    recomputed from the changes themselves at the end (``_finish``), so they are true whichever run finished.
    Call inside the transaction that holds the set's row lock.
    """
    if run is None:
        return
    runs = list(change_set.counts.get("apply_runs") or [])
    if run.pk in runs and change_set.apply_run_id == run.pk:
        return
    if run.pk not in runs:
        runs.append(run.pk)
    change_set.counts = {**change_set.counts, "apply_runs": runs}
    if change_set.apply_run_id == run.pk:
        ChangeSet.objects.filter(pk=change_set.pk).update(counts=change_set.counts)  # counts keep no history
        return
    previous = change_set.apply_run_id
    change_set.apply_run = run
    reason = f"{verb} resumed by run #{run.pk}" + (f" (run #{previous} stopped)" if previous else "")
    _save(change_set, user=user, reason=reason)
