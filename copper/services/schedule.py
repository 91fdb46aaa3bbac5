"""When the full reconciliation pull is due, and starting it as an ordinary recorded run.

Copper sends no tombstones and its webhooks are delivered at most once, so a periodic full pull is what
proves which companies are gone (only a full pull marks companies missing, see ``copper.services.reconcile``).
The django-q2 schedule (migration ``0003``) asks every hour; a full pull starts when the last successful one
started ``COPPER_FULL_PULL_EVERY_HOURS`` ago (24: daily, at about the hour the previous one ran; 0: never),
so changing the interval needs no migration, and a day skipped because another pull was running is made up
within the hour.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from copper.services.pull import copper_pull_start
from syncs.models import SyncRun
from syncs.services.runs import SyncRunAlreadyActive

logger = logging.getLogger(__name__)

# The schedule asks hourly: a pull that started a little after the hour is still due the next day at that hour.
TOLERANCE = timedelta(minutes=30)


def copper_full_pull_due(*, now: datetime) -> bool:
    """True when ``COPPER_FULL_PULL_EVERY_HOURS`` have passed since the last successful full pull started."""
    hours = float(getattr(settings, "COPPER_FULL_PULL_EVERY_HOURS", 24) or 0)
    if hours <= 0:
        return False
    last = (
        SyncRun.objects.filter(
            kind=SyncRun.Kind.COPPER_PULL, status=SyncRun.Status.SUCCEEDED, options__full=True
        )
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    return last is None or now - last >= timedelta(hours=hours) - min(TOLERANCE, timedelta(hours=hours / 2))


def copper_full_pull_start_if_due(*, now: datetime | None = None) -> SyncRun | None:
    """Queue the full reconciliation pull (a normal ``SyncRun``, ``trigger`` "schedule") when it is due.

    Returns the queued run, or ``None`` when it is not due or another pull is queued or running (logged; the
    next hourly call tries again).
    """
    if not copper_full_pull_due(now=now or timezone.now()):
        return None
    try:
        return copper_pull_start(user=None, full=True, trigger="schedule")
    except SyncRunAlreadyActive as exc:
        logger.info("Scheduled full Copper pull not started: %s", exc)
        return None
