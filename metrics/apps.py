from django.apps import AppConfig

from syncs.registry import RunKind, run_kind_register


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Sync Sales Metrics to Copper"

    def ready(self) -> None:
        from metrics.services import changesets  # why: apps not ready at import
        from syncs.models import SyncRun  # why: apps not ready at import

        Kind = SyncRun.Kind
        for kind, runner, permission, where in (
            (Kind.METRICS_DRY_RUN, changesets.change_set_build_run, "syncs.start_syncrun", "the field mappings' check page"),
            (Kind.METRICS_APPLY, changesets.change_set_apply_run, "metrics.apply_changeset", "an approved change set"),
            (Kind.METRICS_ROLLBACK, changesets.change_set_rollback_run, "metrics.rollback_changeset", "an applied change set"),
        ):
            run_kind_register(
                RunKind(kind=kind, runner=runner, permission=permission, started_elsewhere=f"Started from {where}.")
            )
