"""Copper webhook subscriptions for companies (new / update / delete): list, create, delete, through the client.

Subscriptions live in Copper (at most 100 per account); copperhub stores none of them. Creating is idempotent:
an event already subscribed for the same target is left as it is. Every subscription carries the secret pair
(``copperhub_secret``: ``COPPER_WEBHOOK_SECRET``) that the receiver checks. Targets must be https; plain http is
allowed only on the loopback interface (the sandbox and tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from copper.services.webhooks import EVENTS, SECRET_FIELD

SUBSCRIPTION_TYPE = "company"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

TARGET_MISSING = (
    "No target given and COPPER_WEBHOOK_TARGET is not set: name the public https URL of /hooks/copper/."
)
TARGET_NOT_HTTPS = (
    "Copper posts only to https targets; {target} is not one (http is allowed on loopback only)."
)
SECRET_MISSING = "COPPER_WEBHOOK_SECRET is not set: set it before subscribing, or every notification is refused."  # noqa: S105,E501
EVENT_UNKNOWN = "Unknown event {event!r}: use {events}."


class SubscriptionError(ValueError):
    """A subscription request copperhub refuses before calling Copper; the text says what to fix."""


@dataclass
class SubscribeResult:
    created: list[dict[str, Any]] = field(default_factory=list)
    existing: list[dict[str, Any]] = field(default_factory=list)


def webhook_target_check(target: str) -> str:
    """``target`` when it is an acceptable receiver URL; raises ``SubscriptionError`` otherwise."""
    parts = urlsplit(target or "")
    if not parts.scheme or not parts.netloc:
        raise SubscriptionError(TARGET_NOT_HTTPS.format(target=target or '""'))
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return target
    raise SubscriptionError(TARGET_NOT_HTTPS.format(target=target))


def copper_webhook_subscriptions(*, client: Any) -> list[dict[str, Any]]:
    """Copper's company subscriptions (others, for leads or tasks, are not copperhub's), ordered by id."""
    rows = client.webhooks_list() or []
    return sorted(
        (r for r in rows if r.get("type") == SUBSCRIPTION_TYPE), key=lambda r: int(r.get("id") or 0)
    )


def copper_webhook_subscribe(
    *, client: Any, target: str | None = None, events: tuple[str, ...] = EVENTS
) -> SubscribeResult:
    """Subscribe ``target`` (default ``COPPER_WEBHOOK_TARGET``) to company ``events``; idempotent."""
    target = (target or settings.COPPER_WEBHOOK_TARGET or "").strip()
    if not target:
        raise SubscriptionError(TARGET_MISSING)
    webhook_target_check(target)
    if not settings.COPPER_WEBHOOK_SECRET:
        raise SubscriptionError(SECRET_MISSING)
    for event in events:
        if event not in EVENTS:
            raise SubscriptionError(EVENT_UNKNOWN.format(event=event, events=", ".join(EVENTS)))
    result = SubscribeResult()
    current = {(r.get("target"), r.get("event")): r for r in copper_webhook_subscriptions(client=client)}
    for event in events:
        if (target, event) in current:
            result.existing.append(current[(target, event)])
            continue
        result.created.append(
            client.webhook_create(
                target=target,
                type=SUBSCRIPTION_TYPE,
                event=event,
                secret={SECRET_FIELD: settings.COPPER_WEBHOOK_SECRET},
            )
        )
    return result


def copper_webhook_unsubscribe(*, client: Any, subscription_id: int) -> None:
    """Delete one subscription (``CopperNotFound`` from the client when Copper has no such id)."""
    client.webhook_delete(int(subscription_id))
