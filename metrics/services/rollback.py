"""Rolling an applied change set back: a rollback is a change set like any other.

Asking for a rollback (``change_set_rollback_build``) writes nothing to Copper: it builds a new set awaiting
approval (``rollback_of`` the original) whose changes put the old values back, with the person who asked as its
builder. A different person approves it (``change_set_approve``, the same two-person rule, the one-person
setting aside) and it is applied like any set (``change_set_apply``); when that apply ends,
``change_set_rollback_finish`` marks the original's reverted changes and the original ``rolled_back``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
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
# A rollback set still on its way (not rejected, not ended): asking again lands on it instead of building twice.
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
    itself a rollback. Its changes are the original's applied changes, old and new swapped; ``built_by`` is the
    person who asked, so someone else must approve it. A rollback already open (awaiting approval or apply) is
    returned as it is rather than built twice. One transaction.
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
        changes = [
            Change(
                change_set=rollback,
                company_id=c.company_id,
                company_name=c.company_name,
                metric=c.metric,
                field_name=c.field_name,
                definition_id=c.definition_id,
                data_type=c.data_type,
                old_value=c.new_value,
                new_value=c.old_value,
                old_display=c.new_display,
                new_display=c.old_display,
                rule=f"rollback of {original}",
            )
            for c in original.changes.filter(outcome=Outcome.APPLIED).iterator(chunk_size=2000)
        ]
        Change.objects.bulk_create(changes, batch_size=1000)
        rollback.counts = {
            "changes": len(changes),
            "flagged": 0,
            "companies_changed": len({c.company_id for c in changes}),
        }
        ChangeSet.objects.filter(pk=rollback.pk).update(counts=rollback.counts)  # counts keep no history
    return rollback


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
