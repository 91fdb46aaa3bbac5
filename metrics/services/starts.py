"""Starting the metrics push's write actions: the one place each action's guard lives.

The admin's buttons, the API and ``metrics_push`` call these, so a refused action reads the same at every
door: ``ChangeSetPermissionDenied`` (403), ``ChangeSetStateConflict`` (409) or ``SyncRunAlreadyActive`` (409).
A dry run and an apply return the queued run (the worker then builds or applies); a rollback is built at once
as a change set awaiting a second person's approval, then applied like any set.
"""

from django.contrib.auth.models import AbstractBaseUser

from metrics.models import ChangeSet
from metrics.services.apply import change_set_require_appliable
from metrics.services.base import _require
from metrics.services.rollback import change_set_rollback_build
from syncs.models import SyncRun
from syncs.services.runs import sync_run_start


def change_set_build_start(*, user: AbstractBaseUser | None) -> SyncRun:
    """Queue a dry run ("Sync Sales Metrics to Copper"): it builds a change set awaiting approval."""
    return sync_run_start(kind=SyncRun.Kind.METRICS_DRY_RUN, user=user, options={})


def change_set_apply_start(*, change_set: ChangeSet, user: AbstractBaseUser | None) -> SyncRun:
    """Queue the apply of an approved set (a rollback set too), or the resumption of an interrupted apply."""
    _require(user, "apply_changeset", "apply")
    change_set_require_appliable(ChangeSet.objects.get(pk=change_set.pk))
    return sync_run_start(kind=SyncRun.Kind.METRICS_APPLY, user=user, options={"change_set_id": change_set.pk})


def change_set_rollback_start(*, change_set: ChangeSet, user: AbstractBaseUser | None) -> ChangeSet:
    """Build the rollback of an applied set: a new change set awaiting approval by a second person (nothing is
    written to Copper until it is approved and applied). Returns the rollback set (an open one if it exists)."""
    return change_set_rollback_build(change_set=change_set, user=user)
