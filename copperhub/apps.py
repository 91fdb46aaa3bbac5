"""The top floor: it knows every app, so the flow between their jobs is declared here, in one place."""

from django.apps import AppConfig

from syncs.registry import FollowUp, NextSteps, follow_up_register, next_steps_register


class CopperhubConfig(AppConfig):
    name = "copperhub"
    verbose_name = "copperhub"

    def ready(self) -> None:
        from customers.services.sync import customer_sync_after_pull  # why: apps not ready at import
        from integrity.run_steps import integrity_report_after_run_steps  # why: apps not ready at import
        from integrity.services import (  # why: apps not ready at import
            REPORT_AFTER_KINDS,
            integrity_report_after_run,
        )
        from syncs.models import SyncRun  # why: apps not ready at import

        # What happens when a run ends, in this order (each follow-up checks the run's status itself):
        # a successful pull starts an applying customer sync (queued behind any customer sync that is busy),
        # and every pull, customer sync and metrics apply or rollback stores an integrity report.
        follow_up_register(
            FollowUp(
                after=(SyncRun.Kind.COPPER_PULL,),
                action=customer_sync_after_pull,
                label="customer sync after a pull",
            )
        )
        follow_up_register(
            FollowUp(after=REPORT_AFTER_KINDS, action=integrity_report_after_run, label="integrity report")
        )
        # The report stored after a run is offered on that run's page (the customer sync a pull started is listed
        # there through its parent link).
        next_steps_register(
            NextSteps(
                after=REPORT_AFTER_KINDS, steps=integrity_report_after_run_steps, label="integrity report after it"
            )
        )
