"""django-q2 task of the Copper wing: process the webhook notifications waiting for a worker."""

import time

from django.conf import settings


def copper_webhooks_process_task() -> str:
    """Wait ``COPPER_WEBHOOK_BATCH_SECONDS`` so a burst lands together, then process every pending notification."""
    from copper.client import copper_client_from_settings
    from copper.services.webhooks import copper_webhooks_process

    if settings.COPPER_WEBHOOK_BATCH_SECONDS > 0:
        time.sleep(settings.COPPER_WEBHOOK_BATCH_SECONDS)
    return copper_webhooks_process(client=copper_client_from_settings()).summary()
