from django.apps import AppConfig


class CopperConfig(AppConfig):
    name = "copper"
    verbose_name = "Copper"

    def ready(self) -> None:
        # Imported here, not at the top: services import models, which exist only once apps are ready.
        from copper.configuration import copper_configuration_problem
        from copper.services.pull import copper_pull_run
        from syncs.models import SyncRun
        from syncs.registry import RunKind, StartButton, run_kind_register

        run_kind_register(
            RunKind(
                kind=SyncRun.Kind.COPPER_PULL,
                runner=copper_pull_run,
                permission="syncs.start_syncrun",
                buttons=(
                    StartButton("copper_pull", "Copper pull", {"full": False}, primary=True),
                    StartButton("copper_pull_full", "Copper pull (full)", {"full": True}),
                ),
                problem=copper_configuration_problem,
            )
        )
