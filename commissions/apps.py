from django.apps import AppConfig

from commissions.months import month_format, month_parse
from syncs.registry import RunKind, StartButton, run_kind_register


def _month_option(data) -> dict:
    """The dashboard's month field as the run's option (``ValueError`` names a bad month)."""
    return {"month": month_format(month_parse(data.get("month", "")))}


class CommissionsConfig(AppConfig):
    name = "commissions"

    def ready(self) -> None:
        from commissions import run_steps  # why: apps not ready at import
        from commissions.services import commission_calculate_run  # why: apps not ready at import
        from syncs.models import SyncRun  # why: apps not ready at import

        run_kind_register(
            RunKind(
                kind=SyncRun.Kind.COMMISSIONS,
                runner=commission_calculate_run,
                permission="commissions.calculate_commissions",
                buttons=(StartButton("commissions", "Calculate commissions", needs_month=True, primary=True),),
                options_parse=_month_option,
                next_steps=run_steps.commissions_next_steps,
                options_text=run_steps.commissions_options_text,
                count_labels=run_steps.COUNT_LABELS,
                month_default=run_steps.commissions_month_default,
            )
        )
