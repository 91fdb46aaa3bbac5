from django.apps import AppConfig


class IntegrityConfig(AppConfig):
    name = "integrity"
    verbose_name = "Integrity"

    def ready(self) -> None:
        # Imported here, not at the top: services import models, which exist only once apps are ready.
        from integrity.services import integrity_report_run
        from syncs.models import SyncRun
        from syncs.registry import RunKind, StartButton, run_kind_register

        run_kind_register(
            RunKind(
                kind=SyncRun.Kind.INTEGRITY,
                runner=integrity_report_run,
                permission="syncs.start_syncrun",
                buttons=(StartButton("integrity", "Integrity check", {"trigger": "on_demand"}, primary=True),),
            )
        )
