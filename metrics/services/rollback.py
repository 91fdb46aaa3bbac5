"""Rolling an applied change set back: a rollback is a change set like any other.

Asking for a rollback (``change_set_rollback_build``) writes nothing to Copper: it builds a new set awaiting
approval (``rollback_of`` the original) whose changes put the old values back, with the person who asked as
its builder. A different person approves it (``change_set_approve``, the same two-person rule, the one-person
setting aside) and it is applied like any set (``change_set_apply``); when that apply ends,
``change_set_rollback_finish`` marks the original's reverted changes and the original ``rolled_back``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from metrics.models import Change, ChangeSet
from metrics.services.base import (
    CHANGE_SET_NOT_APPLIED,
    CHANGE_SET_ROLLBACK_OF_ROLLBACK,
    ChangeSetStateConflict,
    _locked,
    _require,
    _save,
    _who,
)

Status = ChangeSet.Status
Outcome = Change.Outcome
# A rollback set still on its way (not rejected, not ended): asking again lands on it, never builds twice.
OPEN = (Status.BUILT, Status.APPROVED, Status.APPLYING)


def change_set_require_rollbackable(change_set: ChangeSet) -> None:
    """The state guard of a rollback (``ChangeSetStateConflict``): an applied set that is not itself one."""
    if change_set.rollback_of_id:
        raise ChangeSetStateConflict(CHANGE_SET_ROLLBACK_OF_ROLLBACK.format(pk=change_set.pk))
    if change_set.status not in (Status.APPLIED, Status.PARTIALLY_APPLIED):
        raise ChangeSetStateConflict(
            CHANGE_SET_NOT_APPLIED.format(pk=change_set.pk, status=change_set.get_status_display().lower())
        )


def change_set_rollback_open(*, change_set: ChangeSet) -> ChangeSet | None:
    """The rollback set of ``change_set`` still awaiting approval or apply, if any."""
    return change_set.rollbacks.filter(status__in=OPEN).order_by("-pk").first()


def change_set_rollback_build(*, change_set: ChangeSet, user: AbstractBaseUser | None) -> ChangeSet:
    """Build the rollback of an applied set, awaiting approval; writes nothing to Copper.

    Needs ``metrics.rollback_changeset``; refuses (``ChangeSetStateConflict``) a set that is not applied or is
    itself a rollback. Its changes are the original's applied changes, old and new swapped (one INSERT …
    SELECT); ``built_by`` is the person who asked, so someone else must approve it. A rollback already open
    (awaiting approval or apply) is returned as it is rather than built twice. One transaction.
    """
    _require(user, "rollback_changeset", "roll back")
    with transaction.atomic():
        original = _locked(change_set)
        change_set_require_rollbackable(original)
        existing = change_set_rollback_open(change_set=original)
        if existing is not None:
            return existing
        rollback = ChangeSet(
            status=Status.BUILT,
            built_by=user if user is not None and user.is_authenticated else None,
            definitions_fingerprint=original.definitions_fingerprint,
            mapping_snapshot=original.mapping_snapshot,
            rollback_of=original,
        )
        _save(rollback, user=user, reason=f"rollback of {original} asked for by {_who(user)}"[:100])
        _changes_copy_swapped(original=original, rollback=rollback)
        changes = rollback.changes.all()
        rollback.counts = {
            "changes": changes.count(),
            "flagged": 0,
            "companies_changed": changes.values("company_id").distinct().count(),
        }
        ChangeSet.objects.filter(pk=rollback.pk).update(counts=rollback.counts)  # counts keep no history
    return rollback


def _changes_copy_swapped(*, original: ChangeSet, rollback: ChangeSet) -> None:
    """Copy the original's applied changes into ``rollback``, old and new swapped: ONE ``INSERT … SELECT``.

    A rollback of a 9,600-change set is asked for from a page; building 9,600 model instances for
    ``bulk_create`` took seconds, the database copies the rows in a fraction of that. Columns the rollback
    does not set itself (company, field, type…) are copied as they are; the JSON ``flags`` is prepared by the
    database's own adapter, so SQLite and PostgreSQL both get what they expect.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    quote = conn.ops.quote_name
    swapped = {"old_value": "new_value", "new_value": "old_value", "old_display": "new_display"}
    swapped["new_display"] = "old_display"
    given = {
        "change_set_id": rollback.pk,
        "rule": f"rollback of {original}",
        "flags": conn.ops.adapt_json_value([], None),
        "flagged": False,
        "outcome": Outcome.PENDING,
        "message": "",
        "outcome_at": None,
    }
    fields = [f for f in Change._meta.concrete_fields if not f.primary_key]
    columns, selects, params = [], [], []
    for f in fields:
        columns.append(quote(f.column))
        if f.attname in given:
            selects.append("%s")
            params.append(given[f.attname])
        else:
            source = Change._meta.get_field(swapped[f.attname]).column if f.attname in swapped else f.column
            selects.append(quote(source))
    table = quote(Change._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selects)} FROM {table} "  # noqa: S608
        f"WHERE {quote(Change._meta.get_field('change_set').column)} = %s "
        f"AND {quote(Change._meta.get_field('outcome').column)} = %s"
    )
    with conn.cursor() as cursor:
        cursor.execute(sql, [*params, original.pk, Outcome.APPLIED])


def change_set_rollback_finish(*, rollback: ChangeSet, user: AbstractBaseUser | None) -> ChangeSet:
    """After a rollback set's apply: the original's changes it reverted become ``rolled_back``, and so does
    the original (``rolled_back_by`` the person who applied the rollback). Returns the original."""
    reverted = set(
        rollback.changes.filter(outcome=Outcome.APPLIED).values_list("company_id", "definition_id")
    )
    with transaction.atomic():
        original = _locked(rollback.rollback_of)
        originals = [
            c
            for c in original.changes.filter(outcome=Outcome.APPLIED)
            if (c.company_id, c.definition_id) in reverted
        ]
        for change in originals:
            change.outcome, change.message = Outcome.ROLLED_BACK, f"Rolled back by {rollback}."
        Change.objects.bulk_update(originals, ["outcome", "message"], batch_size=500)
        original.status = Status.ROLLED_BACK
        original.rolled_back_by = user
        original.rolled_back_at = timezone.now()
        original.counts = {**original.counts, "rolled_back": len(originals)}
        _save(original, user=user, reason=f"rolled back by {_who(user)} ({rollback})"[:100])
    return original
