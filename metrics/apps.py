from django.apps import AppConfig

from syncs.registry import RunKind, run_kind_register


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Sync Sales Metrics to Copper"

    def ready(self) -> None:
        from metrics import run_steps  # why: apps not ready at import
        from metrics.services import changesets  # why: apps not ready at import
        from syncs.models import SyncRun  # why: apps not ready at import

        Kind = SyncRun.Kind
        for kind, runner, permission, where in (
            (Kind.METRICS_DRY_RUN, changesets.change_set_build_run, "syncs.start_syncrun", "the field mappings' check page"),
            (Kind.METRICS_APPLY, changesets.change_set_apply_run, "metrics.apply_changeset", "an approved change set"),
            (Kind.METRICS_ROLLBACK, changesets.change_set_rollback_run, "metrics.rollback_changeset", "an applied change set"),
        ):
            dry_run = kind == Kind.METRICS_DRY_RUN
            run_kind_register(
                RunKind(
                    kind=kind,
                    runner=runner,
                    permission=permission,
                    started_elsewhere=f"Started from {where}.",
                    next_steps=run_steps.dry_run_next_steps if dry_run else run_steps.write_next_steps,
                    options_text=None if dry_run else run_steps.write_options_text,
                    count_labels=run_steps.DRY_RUN_COUNT_LABELS if dry_run else run_steps.WRITE_COUNT_LABELS,
                )
            )
