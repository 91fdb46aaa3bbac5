"""Commissions as a sync run: ``commission_calculate_start`` queues one, ``commission_calculate_run`` runs it."""

from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from commissions.months import month_format, month_parse
from commissions.services.calculate import commission_calculate
from syncs.models import SyncRun
from syncs.progress import Progress
from syncs.services.runs import sync_run_start


def commission_calculate_start(
    *, month: str | date, sales_person: str | None = None, user: AbstractBaseUser | None = None
) -> SyncRun:
    """Validate the month and queue a commissions run (``ValueError`` for a bad month; ``SyncRunAlreadyActive``)."""
    options: dict[str, Any] = {"month": month_format(month_parse(month))}
    if sales_person:
        options["sales_person"] = sales_person.strip()
    return sync_run_start(kind=SyncRun.Kind.COMMISSIONS, user=user, options=options)


def commission_calculate_run(*, run: SyncRun, progress: Progress) -> None:
    """Runner: reads ``run.options["month"]`` ("YYYY-MM") and optional ``"sales_person"``."""
    options = run.options or {}
    result = commission_calculate(
        month=month_parse(options.get("month", "")),
        sales_person=options.get("sales_person") or None,
        progress=progress,
        run=run,
        user=run.started_by,
    )
    progress.set_message(result.summary())
