"""django-q2 tasks of the Copper wing (thin: one service call each, no model objects as arguments)."""

import time

from django.conf import settings

from copper.client import copper_client_from_settings
from copper.services.schedule import copper_full_pull_start_if_due
from copper.services.webhooks import copper_webhooks_process


def copper_full_pull_scheduled() -> int | None:
    """The hourly schedule (migration 0004): queue the full reconciliation pull when it is due; its run id."""
    run = copper_full_pull_start_if_due()
    return run.pk if run is not None else None


def copper_webhooks_process_task() -> str:
    """Wait ``COPPER_WEBHOOK_BATCH_SECONDS`` so a burst lands together, then process every pending notification."""
    if settings.COPPER_WEBHOOK_BATCH_SECONDS > 0:
        time.sleep(settings.COPPER_WEBHOOK_BATCH_SECONDS)
    return copper_webhooks_process(client=copper_client_from_settings()).summary()
