"""Applying an approved change set to Copper (a rollback set too: see ``metrics.services.rollback``).

Per page of companies: one re-read (search by ids); per company at most one PUT, of the fields that still hold
the value the preview showed. A field edited in Copper since is marked stale and kept. Outcomes are recorded per
change, per page, so a run that dies half-way resumes with the pending changes only.

PUT bodies (see ``_put_body``) carry ``{"custom_fields": [...]}`` with only the entries this set changes: Copper
merges them and keeps every other field, so a Copper user's edit of any other field while the apply runs
survives, and no field that no mapping names is ever sent. The stale check (before) and the kept check (after)
compare per field.

After each page the mirror rows of the companies written are refreshed from the PUT answers (the whole updated
company Copper returns), so the integrity check after an apply or a rollback compares with what Copper now holds.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from copper.errors import CopperAuthError, CopperError, CopperRateLimited
from copper.services.mirror_refresh import copper_companies_refresh
from metrics import values as mv
from metrics.models import Change, ChangeSet
from metrics.services.base import (
    CHANGE_COMPANY_GONE,
    CHANGE_CONFLICT,
    CHANGE_NOT_KEPT,
    CHANGE_SET_DEFINITIONS_CHANGED,
    CHANGE_SET_NOT_APPROVED,
    CHANGE_STALE,
    ChangeSetError,
    ChangeSetStateConflict,
    _batches,
    _fingerprint_now,
    _link_run,
    _locked,
    _read_companies,
    _require,
    _save,
    _values_by_definition,
    _who,
)
from metrics.services.rollback import change_set_require_rollbackable, change_set_rollback_finish
from syncs.models import SyncRun
from syncs.progress import Progress

Status = ChangeSet.Status
Outcome = Change.Outcome


def change_set_apply(
    *,
    change_set: ChangeSet,
    client: Any,
    user: AbstractBaseUser | None = None,
    run: SyncRun | None = None,
    progress: Progress | None = None,
) -> ChangeSet:
    """Write an approved set to Copper (or resume an interrupted apply); an applied set is a no-op.

    Per page of companies: one re-read; per company at most one PUT, only of fields that still hold the
    previewed old value (others are marked stale and kept). Outcomes are recorded per change; the set ends
    ``applied`` or ``partially_applied``. A rollback set (``rollback_of``) is applied the same way; a field
    edited in Copper since is a conflict (kept), and the original then ends ``rolled_back``. Auth and rate-limit failures stop the run with pending changes left
    pending, so running it again resumes.
    """
    progress = progress or Progress.null()
    _require(user, "apply_changeset", "apply")
    change_set.refresh_from_db()
    if change_set.status in (Status.APPLIED, Status.PARTIALLY_APPLIED):
        progress.set_message(f"Change set #{change_set.pk} was already applied; nothing written.")
        return change_set
    change_set_require_appliable(change_set)
    is_rollback = bool(change_set.rollback_of_id)
    if is_rollback and change_set.status == Status.APPROVED:
        # A second rollback of the same set, approved and applied before this one, already put the values back.
        change_set_require_rollbackable(change_set.rollback_of)
    # Outside the transaction: a request to Copper must not hold the database's write lock.
    _check_live_definitions(change_set, client)
    with transaction.atomic():
        change_set = _locked(change_set)
        change_set_require_appliable(change_set)
        if change_set.status == Status.APPROVED:
            change_set.status = Status.APPLYING
            change_set.applied_by = user if user is not None else change_set.applied_by
            change_set.apply_run = run
            _save(change_set, user=user, reason=f"apply started by {_who(user)}")
        _link_run(change_set, run=run, user=user, verb="apply")
    _apply_pending(
        change_set=change_set,
        client=client,
        progress=progress,
        stale_message=CHANGE_CONFLICT if is_rollback else CHANGE_STALE,
        user=user,
        reason=_mirror_reason(change_set, run, "metrics rollback" if is_rollback else "metrics apply"),
    )
    change_set = _finish(change_set, user=user, verb="rollback applied" if is_rollback else "applied")
    if is_rollback:
        change_set_rollback_finish(rollback=change_set, user=user)
    return change_set


def _mirror_reason(change_set: ChangeSet, run: SyncRun | None, what: str) -> str:
    return f"{what} of {change_set}" + (f" (run #{run.pk})" if run is not None else "")


def change_set_require_appliable(change_set: ChangeSet) -> None:
    """The state guard of an apply (``ChangeSetStateConflict``): approved, or an apply to resume."""
    if change_set.status not in (Status.APPROVED, Status.APPLYING):
        raise ChangeSetStateConflict(
            CHANGE_SET_NOT_APPROVED.format(pk=change_set.pk, status=change_set.get_status_display().lower())
        )


def _check_live_definitions(change_set: ChangeSet, client: Any) -> None:
    """Refuse to write when Copper's definitions no longer match the ones the preview was computed with."""
    live = [mv.Definition.from_any(d) for d in client.custom_field_definitions()]
    if _fingerprint_now(change_set, live) != change_set.definitions_fingerprint:
        raise ChangeSetError(CHANGE_SET_DEFINITIONS_CHANGED.format(pk=change_set.pk))


def _put_body(values: dict[int, Any]) -> dict[str, Any]:
    """The PUT body writing ``values`` (definition id → raw value): only those entries, in id order."""
    return {"custom_fields": [{"custom_field_definition_id": d, "value": v} for d, v in sorted(values.items())]}


def _apply_pending(
    *,
    change_set: ChangeSet,
    client: Any,
    progress: Progress,
    stale_message: str,
    user: AbstractBaseUser | None,
    reason: str,
) -> None:
    company_ids = sorted(
        set(change_set.changes.filter(outcome=Outcome.PENDING).values_list("company_id", flat=True))
    )
    progress.step(f"Writing {change_set} to Copper", total=len(company_ids))
    stats: dict[str, float] = {}
    for chunk in _batches(company_ids, settings.METRICS_BATCH_SIZE):
        progress.check_cancelled()
        records = _read_companies(client, chunk, stats)
        progress.add(copper_reads=1)
        pending: dict[int, list[Change]] = defaultdict(list)
        for change in change_set.changes.filter(outcome=Outcome.PENDING, company_id__in=chunk):
            pending[change.company_id].append(change)
        decided: list[Change] = []
        answers: list[dict[str, Any]] = []
        try:
            for company_id in chunk:
                changes = pending.get(company_id, [])
                added = _apply_company(
                    client=client,
                    company_id=company_id,
                    record=records.get(company_id),
                    changes=changes,
                    stale_message=stale_message,
                    progress=progress,
                    answers=answers,
                )
                decided += [c for c in changes if c.outcome != Outcome.PENDING]
                # Per company, not per page: at Copper's 3 writes a second a page of 200 takes a minute.
                progress.add(
                    processed=1,
                    updated=added["puts"],
                    errors=added["failed"],
                    skipped=added["stale"],
                    copper_puts=added["puts"],
                )
        finally:
            # Record what was decided even when the batch stops half-way, so a resume skips those writes; and
            # mirror what Copper answered, so the local copy never lags a write that landed.
            _record(decided)
            copper_companies_refresh(records=answers, reasons=reason, user=user)


def _record(decided: list[Change]) -> None:
    """Store outcomes with one UPDATE per (outcome, message) group: a page's changes mostly share both.

    ``Change`` keeps no history of its own (the set's history records the run), so ``update()`` is fine here;
    ``bulk_update`` spent more time building CASE expressions than the whole page's Copper writes.
    """
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    stamps: dict[tuple[str, str], Any] = {}
    for change in decided:
        key = (change.outcome, change.message)
        groups[key].append(change.pk)
        stamps.setdefault(key, change.outcome_at)
    for (outcome, message), pks in groups.items():
        for chunk in _batches(pks, 500):
            Change.objects.filter(pk__in=chunk).update(
                outcome=outcome, message=message, outcome_at=stamps[(outcome, message)]
            )


def _decide(change: Change, outcome: str, message: str = "") -> None:
    change.outcome, change.message, change.outcome_at = outcome, message, timezone.now()


def _apply_company(
    *,
    client: Any,
    company_id: int,
    record: dict[str, Any] | None,
    changes: list[Change],
    stale_message: str,
    progress: Progress,
    answers: list[dict[str, Any]],
) -> dict[str, int]:
    """Decide (and write, with at most one PUT) the pending changes of one company; returns counts.

    The updated company Copper answers is appended to ``answers`` (the mirror is refreshed from it). Auth and
    rate-limit errors propagate (the run stops; undecided changes stay pending).
    """
    added: dict[str, int] = defaultdict(int)
    if record is None:
        for change in changes:
            _decide(change, Outcome.FAILED, CHANGE_COMPANY_GONE)
        added["failed"] += len(changes)
        return added
    current = _values_by_definition(record)
    to_write = []
    for change in changes:
        held = current.get(change.definition_id)
        if mv.same(data_type=change.data_type, a=held, b=change.old_value):
            to_write.append(change)
        elif mv.same(data_type=change.data_type, a=held, b=change.new_value):
            # Already written (an earlier attempt died before recording it): nothing to send.
            _decide(change, Outcome.APPLIED)
            added["applied"] += 1
        else:
            shown = mv.display(value=held, definition=None, data_type=change.data_type)
            _decide(change, Outcome.STALE, stale_message.format(current=shown, expected=change.old_display))
            added["stale"] += 1
    if not to_write:
        return added
    body = _put_body({c.definition_id: c.new_value for c in to_write})
    try:
        answer = client.company_update(company_id, body)
    except (CopperAuthError, CopperRateLimited):
        raise
    except CopperError as exc:
        for change in to_write:
            _decide(change, Outcome.FAILED, str(exc))
        added["failed"] += len(to_write)
        progress.log(level="error", code="put_failed", record=str(company_id), message=str(exc))
        return added
    added["puts"] += 1
    if isinstance(answer, dict) and answer.get("id") is not None:
        answers.append(answer)
    kept = _values_by_definition(answer) if isinstance(answer, dict) else {}
    for change in to_write:
        held = kept.get(change.definition_id)
        if kept and not mv.same(data_type=change.data_type, a=held, b=change.new_value):
            _decide(change, Outcome.FAILED, CHANGE_NOT_KEPT.format(current=held))
            added["failed"] += 1
        else:
            _decide(change, Outcome.APPLIED)
            added["applied"] += 1
    return added


def _finish(change_set: ChangeSet, *, user: AbstractBaseUser | None, verb: str) -> ChangeSet:
    tally = defaultdict(int)
    for outcome in change_set.changes.values_list("outcome", flat=True):
        tally[outcome] += 1
    with transaction.atomic():
        change_set = _locked(change_set)
        change_set.counts = {**change_set.counts, **{f"outcome_{k}": v for k, v in tally.items()}}
        clean = not tally[Outcome.STALE] and not tally[Outcome.FAILED]
        change_set.status = Status.APPLIED if clean else Status.PARTIALLY_APPLIED
        change_set.applied_at = timezone.now()
        summary = ", ".join(f"{v} {k}" for k, v in sorted(tally.items()))
        _save(change_set, user=user, reason=f"{verb} by {_who(user)}: {summary}"[:100])
    return change_set
