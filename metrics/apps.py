from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Sync Sales Metrics to Copper"

    def ready(self) -> None:
        # Imported here, not at the top: services import models, which exist only once apps are ready.
        from metrics.services.changesets import (
            change_set_apply_run,
            change_set_build_run,
            change_set_rollback_run,
        )
        from syncs.models import SyncRun
        from syncs.registry import RunKind, run_kind_register

        Kind = SyncRun.Kind
        for kind, runner, permission, where in (
            (Kind.METRICS_DRY_RUN, change_set_build_run, "syncs.start_syncrun", "the field mappings' check page"),
            (Kind.METRICS_APPLY, change_set_apply_run, "metrics.apply_changeset", "an approved change set"),
            (Kind.METRICS_ROLLBACK, change_set_rollback_run, "metrics.rollback_changeset", "an applied change set"),
        ):
            run_kind_register(
                RunKind(kind=kind, runner=runner, permission=permission, started_elsewhere=f"Started from {where}.")
            )
