"""The Copper webhook receiver: ``POST /hooks/copper/``.

Answers 202 as soon as the notification is recorded (processing happens in a worker), 403 for a missing or
wrong secret, 400 for a body that is not a Copper notification; a duplicate is answered 202 and changes nothing.
"""

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from copper.services.webhooks import WebhookRefused, copper_webhook_receive

logger = logging.getLogger(__name__)


@csrf_exempt  # Copper cannot send a CSRF token; the shared secret authenticates the sender
@require_POST
def copper_webhook_view(request: HttpRequest) -> JsonResponse:
    try:
        received = copper_webhook_receive(body=request.body)
    except WebhookRefused as exc:
        logger.warning("Copper webhook refused (%s): %s", exc.status, exc)
        return JsonResponse({"accepted": False, "message": str(exc)}, status=exc.status)
    notification = received.notification
    return JsonResponse(
        {
            "accepted": True,
            "id": notification.pk,
            "duplicate": received.duplicate,
            "outcome": notification.outcome,
        },
        status=202,
    )
