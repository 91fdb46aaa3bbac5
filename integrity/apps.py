import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


def _report_after_run(sender, run, **kwargs) -> None:
    """``run_finished`` hook: a report after each successful pull, customer sync, metrics apply and rollback."""
    try:
        from integrity.services import integrity_report_after_run

        integrity_report_after_run(run=run)
    except Exception:  # never let an integrity problem reach the sync that just finished
        logger.exception("Integrity report hook failed for sync run %s", getattr(run, "pk", None))


class IntegrityConfig(AppConfig):
    name = "integrity"
    verbose_name = "Integrity"

    def ready(self) -> None:
        from syncs.services.runs import run_finished

        run_finished.connect(_report_after_run, dispatch_uid="integrity_report_after_run")
