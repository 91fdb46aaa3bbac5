from django.apps import AppConfig

from syncs.registry import RunKind, StartButton, run_kind_register


class CopperConfig(AppConfig):
    name = "copper"
    verbose_name = "Copper"

    def ready(self) -> None:
        from copper.configuration import copper_configuration_problem  # why: apps not ready at import
        from copper.run_steps import (  # why: apps not ready
            PULL_COUNT_LABELS,
            pull_next_steps,
            pull_options_text,
        )
        from copper.services.pull import copper_pull_run  # why: apps not ready at import
        from syncs.models import SyncRun  # why: apps not ready at import

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
                next_steps=pull_next_steps,
                options_text=pull_options_text,
                count_labels=PULL_COUNT_LABELS,
            )
        )
