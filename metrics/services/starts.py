"""Starting the metrics push's runs: the one place each write action's guard lives.

The admin's buttons, the API and ``metrics_push`` call these, so a refused action reads the same at every
door: ``ChangeSetPermissionDenied`` (403), ``ChangeSetStateConflict`` (409) or ``SyncRunAlreadyActive`` (409).
Each returns the queued run (the worker then builds, applies or rolls back).
"""

from django.contrib.auth.models import AbstractBaseUser

from metrics.models import ChangeSet
from metrics.services.apply import change_set_require_appliable, change_set_require_rollbackable
from metrics.services.base import _require
from syncs.models import SyncRun
from syncs.services.runs import sync_run_start


def change_set_build_start(*, user: AbstractBaseUser | None) -> SyncRun:
    """Queue a dry run ("Sync Sales Metrics to Copper"): it builds a change set awaiting approval."""
    return sync_run_start(kind=SyncRun.Kind.METRICS_DRY_RUN, user=user, options={})


def change_set_apply_start(*, change_set: ChangeSet, user: AbstractBaseUser | None) -> SyncRun:
    """Queue the apply of an approved set (or the resumption of an interrupted apply)."""
    _require(user, "apply_changeset", "apply")
    change_set_require_appliable(ChangeSet.objects.get(pk=change_set.pk))
    return sync_run_start(kind=SyncRun.Kind.METRICS_APPLY, user=user, options={"change_set_id": change_set.pk})


def change_set_rollback_start(*, change_set: ChangeSet, user: AbstractBaseUser | None) -> SyncRun:
    """Queue the rollback of an applied set (recorded as a new change set)."""
    _require(user, "rollback_changeset", "roll back")
    change_set_require_rollbackable(ChangeSet.objects.get(pk=change_set.pk))
    return sync_run_start(
        kind=SyncRun.Kind.METRICS_ROLLBACK, user=user, options={"change_set_id": change_set.pk}
    )
