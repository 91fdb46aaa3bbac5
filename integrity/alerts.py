"""Delivery of integrity alerts by email and to a Slack-compatible webhook, with retries and backoff.

Each ``Alert`` remembers which channels are done, so a retry resends only what failed. Delivery is attempted
after the report commits, again on every later report and every scheduled run (whichever comes first once the
backoff has passed), and given up after ``INTEGRITY_ALERT_MAX_ATTEMPTS``. Nothing here raises to its caller.
"""

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from integrity.checks import check_title
from integrity.models import Alert, State

logger = logging.getLogger(__name__)

EMOJI = {State.OK: ":white_check_mark:", State.WARNING: ":warning:", State.CRITICAL: ":rotating_light:"}


def alert_channels() -> list[str]:
    """The channels configured now: email (alert list, else ADMINS) and the webhook."""
    channels = []
    if settings.INTEGRITY_ALERT_EMAILS or settings.ADMINS:
        channels.append("email")
    if settings.INTEGRITY_ALERT_WEBHOOK_URL:
        channels.append("webhook")
    return channels


def dashboard_url(check_name: str = "") -> str:
    if check_name:
        return settings.SITE_URL + reverse("admin:integrity_check_detail", args=[check_name])
    return settings.SITE_URL + reverse("admin:index")


def alert_text(alert: Alert) -> tuple[str, str]:
    """Subject and body naming the check, the move, the counts and the dashboard."""
    title = check_title(alert.check_name, alert.title)
    if alert.to_state == State.OK:
        subject = f"[copperhub] Recovered: {title} is ok again"
    else:
        subject = f"[copperhub] {alert.to_state.upper()}: {title} ({alert.count})"
    numbers = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in alert.numbers.items() if v is not None)
    body = (
        f"{title}: {alert.get_from_state_display()} → {alert.get_to_state_display()}.\n"
        f"Count: {alert.count}" + (f" ({numbers})" if numbers else "") + ".\n"
        f"Details: {dashboard_url(alert.check_name)}\n"
        f"Dashboard: {dashboard_url()}\n"
    )
    return subject, body


def webhook_payload(alert: Alert) -> dict:
    subject, body = alert_text(alert)
    return {
        "text": f"{EMOJI.get(alert.to_state, '')} {subject.removeprefix('[copperhub] ')}\n{body}".strip(),
        "check": alert.check_name,
        "title": check_title(alert.check_name, alert.title),
        "from_state": alert.from_state,
        "to_state": alert.to_state,
        "count": alert.count,
        "numbers": alert.numbers,
        "report_id": alert.report_id,
        "url": dashboard_url(alert.check_name),
    }


def _send_email(alert: Alert) -> None:
    subject, body = alert_text(alert)
    if settings.INTEGRITY_ALERT_EMAILS:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, settings.INTEGRITY_ALERT_EMAILS)
    else:
        mail_admins(subject.removeprefix("[copperhub] "), body)


def _send_webhook(alert: Alert) -> None:
    response = requests.post(
        settings.INTEGRITY_ALERT_WEBHOOK_URL,
        json=webhook_payload(alert),
        timeout=settings.INTEGRITY_ALERT_TIMEOUT_SECONDS,
    )
    response.raise_for_status()


def alert_deliver(*, alert: Alert) -> bool:
    """Try each channel not yet delivered; record the outcome and the next attempt. True when all are done."""
    errors = []
    for channel, done_field, send in (
        ("email", "email_delivered", _send_email),
        ("webhook", "webhook_delivered", _send_webhook),
    ):
        if channel not in alert.channels or getattr(alert, done_field):
            continue
        try:
            send(alert)
        except Exception as exc:
            logger.warning("Integrity alert %s: %s delivery failed: %s", alert.pk, channel, exc)
            errors.append(f"{channel}: {type(exc).__name__}: {exc}")
        else:
            setattr(alert, done_field, True)
    now = timezone.now()
    alert.attempts += 1
    if errors:
        alert.last_error = "; ".join(errors)[:2000]
        if alert.attempts >= settings.INTEGRITY_ALERT_MAX_ATTEMPTS:
            alert.status = Alert.Status.FAILED
            logger.error("Integrity alert %s given up after %s attempts", alert.pk, alert.attempts)
        else:
            # 1, 2, 4 … minutes, at most 6 hours.
            alert.next_attempt_at = now + timedelta(minutes=min(2 ** (alert.attempts - 1), 360))
    else:
        alert.status = Alert.Status.DELIVERED
        alert.delivered_at = now
    alert.save(
        update_fields=[
            "email_delivered",
            "webhook_delivered",
            "attempts",
            "last_error",
            "status",
            "next_attempt_at",
            "delivered_at",
        ]
    )
    return not errors


def alert_deliver_pending(*, limit: int = 50) -> int:
    """Deliver the pending alerts whose next attempt is due, oldest first; returns how many are now delivered."""
    now = timezone.now()
    due = Alert.objects.filter(status=Alert.Status.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    delivered = 0
    for alert in due.order_by("created_at", "id")[:limit]:
        try:
            delivered += alert_deliver(alert=alert)
        except Exception:
            logger.exception("Integrity alert %s could not be processed", alert.pk)
    return delivered
