from django.apps import AppConfig

from syncs.registry import RunKind, StartButton, run_kind_register


class IntegrityConfig(AppConfig):
    name = "integrity"
    verbose_name = "Integrity"

    def ready(self) -> None:
        from integrity import run_steps  # why: apps not ready at import
        from integrity.services import integrity_report_run  # why: apps not ready at import
        from syncs.models import SyncRun  # why: apps not ready at import

        run_kind_register(
            RunKind(
                kind=SyncRun.Kind.INTEGRITY,
                runner=integrity_report_run,
                permission="syncs.start_syncrun",
                buttons=(StartButton("integrity", "Integrity check", {"trigger": "on_demand"}, primary=True),),
                next_steps=run_steps.integrity_next_steps,
                options_text=run_steps.integrity_options_text,
                count_labels=run_steps.COUNT_LABELS,
            )
        )
