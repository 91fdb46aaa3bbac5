"""Copper webhook notifications: receive (check, record, queue) and process (fetch by ids, refresh the mirror).

``copper_webhook_receive`` is what ``/hooks/copper/`` calls: it checks the secret echoed in the body (constant-time
compare), validates the fields, stores one ``CopperWebhookNotification`` (a duplicate, same dedupe key, is
stored once) and, after commit, queues ``copper_webhooks_process_task`` when no notification was already
waiting for a worker. It never calls Copper, so the endpoint answers at once.

``copper_webhooks_process`` claims every pending notification (a burst is handled together), decides per
company id: ids only named by new/update notifications older than the mirror row's ``date_modified`` are late
and skipped; the rest are fetched with a search by ``ids`` (200 per request, so a burst costs
ceil(ids / 200) searches, each id fetched once), upserted into the mirror with history naming the newest
notification that named them, and ids a delete notification named that Copper no longer returns are marked
missing (the row and its history kept). Copper delivers at most once and up to 15 minutes late, so this only
speeds the mirror up: the periodic full reconciliation stays the safety net.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from copper.models import CopperCompany, CopperWebhookNotification
from copper.services.mirror_refresh import copper_companies_mark_missing, copper_companies_refresh
from syncs.queue import enqueue

Outcome = CopperWebhookNotification.Outcome

# The key of the secret pair every subscription carries (Copper echoes the pair in each notification).
SECRET_FIELD = "copperhub_secret"  # noqa: S105 - the name of the pair, not its value
EVENTS = ("new", "update", "delete")
MAX_IDS = 200  # Copper sends 1-30; more is refused as not a Copper notification
SEARCH_BATCH = 200
# A pending notification older than this with no worker on it gets a new task (a worker died).
REQUEUE_AFTER = timedelta(minutes=2)
PROCESS_TASK = "copper.tasks.copper_webhooks_process_task"

WEBHOOK_DISABLED = "COPPER_WEBHOOK_SECRET is not set: copperhub accepts no webhook notification until it is."
WEBHOOK_BAD_SECRET = "The notification does not carry this installation's webhook secret."  # noqa: S105 - a message, not a secret
WEBHOOK_NOT_JSON = "The body is not a JSON object."
WEBHOOK_BAD_FIELD = "The notification's {field} is invalid: {problem}."


class WebhookRefused(Exception):
    """A notification the receiver does not accept; ``status`` is the HTTP answer (400 or 403)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Received:
    notification: CopperWebhookNotification
    duplicate: bool = False


def copper_webhook_receive(*, body: bytes) -> Received:
    """Check and record one notification; queue its processing after commit. Raises ``WebhookRefused``."""
    secret = settings.COPPER_WEBHOOK_SECRET
    if not secret:
        raise WebhookRefused(WEBHOOK_DISABLED, status=403)
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise WebhookRefused(WEBHOOK_NOT_JSON, status=400)
    sent = payload.get(SECRET_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), secret.encode()):
        raise WebhookRefused(WEBHOOK_BAD_SECRET, status=403)
    fields = _validated(payload)
    key = _dedupe_key(fields, payload.get("timestamp"))
    ignored = fields["type"] != "company"
    try:
        with transaction.atomic():
            notification = CopperWebhookNotification.objects.create(
                **fields,
                dedupe_key=key,
                updated_attributes=payload.get("updated_attributes"),
                outcome=Outcome.IGNORED if ignored else Outcome.PENDING,
                processed_at=timezone.now() if ignored else None,
            )
            if not ignored and _needs_a_worker(notification):
                enqueue(PROCESS_TASK, task_name=f"copper-webhooks-{notification.pk}")
    except IntegrityError:
        return Received(CopperWebhookNotification.objects.get(dedupe_key=key), duplicate=True)
    return Received(notification)


def _validated(payload: dict[str, Any]) -> dict[str, Any]:
    def bad(name: str, problem: str) -> WebhookRefused:
        return WebhookRefused(WEBHOOK_BAD_FIELD.format(field=name, problem=problem), status=400)

    ids = payload.get("ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_IDS:
        raise bad("ids", f"expected a list of 1 to {MAX_IDS} record ids")
    try:
        ids = sorted({_int(v) for v in ids})
    except ValueError:
        raise bad("ids", "every id must be a number") from None
    event = payload.get("event")
    if event not in EVENTS:
        raise bad("event", f"expected one of {', '.join(EVENTS)}, not {event!r}")
    kind = payload.get("type")
    if not isinstance(kind, str) or not kind:
        raise bad("type", "missing")
    subscription = payload.get("subscription_id")
    try:
        subscription = None if subscription in (None, "") else _int(subscription)
    except ValueError:
        raise bad("subscription_id", "not a number") from None
    stamp = _timestamp(payload.get("timestamp"))
    if stamp is None:
        raise bad("timestamp", "expected unix seconds or an ISO 8601 date and time")
    return {"ids": ids, "event": event, "type": kind, "subscription_id": subscription, "timestamp": stamp}


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    number = int(value)
    if number <= 0:
        raise ValueError(value)
    return number


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Unix seconds, or milliseconds (a value past the year 33658 in seconds cannot be meant as such).
        seconds = value / 1000 if value > 1e12 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.replace(".", "", 1).isdigit():
            return _timestamp(float(text))
        parsed = parse_datetime(text.replace("Z", "+00:00"))
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _dedupe_key(fields: dict[str, Any], raw_timestamp: Any) -> str:
    text = json.dumps(
        [fields["subscription_id"], fields["type"], fields["event"], fields["ids"], str(raw_timestamp)]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _needs_a_worker(notification: CopperWebhookNotification) -> bool:
    """Queue a task only for the first notification of a burst (or when the waiting ones were forgotten)."""
    waiting = CopperWebhookNotification.objects.filter(outcome=Outcome.PENDING).exclude(pk=notification.pk)
    oldest = waiting.order_by("received_at").values_list("received_at", flat=True).first()
    return oldest is None or oldest < timezone.now() - REQUEUE_AFTER


# --- processing ---------------------------------------------------------------------------------------------
@dataclass
class ProcessResult:
    notifications: int = 0
    ids: int = 0  # distinct company ids named
    fetched: int = 0  # ids asked from Copper
    searches: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    late: int = 0
    marked_missing: int = 0
    not_returned: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"{self.notifications} notifications, {self.ids} companies: {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged, {self.marked_missing} marked missing, "
            f"{self.late} late (skipped), {self.not_returned} not returned; {self.searches} searches."
        )


def copper_webhooks_process(*, client: Any, user: AbstractBaseUser | None = None) -> ProcessResult:
    """Process every pending notification (see the module docstring); idempotent, safe to run concurrently.

    A Copper failure puts the claimed notifications back to pending (they are retried by the next task or
    ``copper_webhooks process``) and re-raises.
    """
    token = uuid.uuid4().hex
    claimed = CopperWebhookNotification.objects.filter(outcome=Outcome.PENDING).update(
        outcome=Outcome.PROCESSING, claim=token
    )
    result = ProcessResult(notifications=claimed)
    if not claimed:
        return result
    notifications = list(
        CopperWebhookNotification.objects.filter(claim=token, outcome=Outcome.PROCESSING).order_by(
            "timestamp", "pk"
        )
    )
    try:
        per_id = _process(notifications, client=client, user=user, result=result)
    except Exception as exc:
        CopperWebhookNotification.objects.filter(claim=token, outcome=Outcome.PROCESSING).update(
            outcome=Outcome.PENDING, claim="", message=f"Will retry: {exc}"[:500]
        )
        raise
    now = timezone.now()
    for notification in notifications:
        detail: dict[str, list[int]] = {}
        for company_id in notification.ids:
            detail.setdefault(per_id.get(company_id, "unchanged"), []).append(company_id)
        if set(detail) & {"created", "updated", "marked_missing"}:
            outcome = Outcome.APPLIED
        elif set(detail) == {"late"}:
            outcome = Outcome.LATE
        else:
            outcome = Outcome.UNCHANGED
        notification.outcome, notification.detail, notification.processed_at = outcome, detail, now
        notification.message = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in sorted(detail.items()))
        result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
    # Notifications keep no history: a bulk update records the outcomes.
    CopperWebhookNotification.objects.bulk_update(
        notifications, ["outcome", "detail", "processed_at", "message"], batch_size=500
    )
    return result


def _process(
    notifications: list[CopperWebhookNotification],
    *,
    client: Any,
    user: AbstractBaseUser | None,
    result: ProcessResult,
) -> dict[int, str]:
    """Per company id, what happened to it: created / updated / unchanged / late / marked_missing / ..."""
    newest: dict[int, CopperWebhookNotification] = {}  # id -> the newest notification naming it
    deleted: set[int] = set()
    changed_at: dict[int, datetime] = {}  # id -> the newest new/update timestamp
    for notification in notifications:  # in timestamp order
        for company_id in notification.ids:
            newest[company_id] = notification
            if notification.event == "delete":
                deleted.add(company_id)
            else:
                changed_at[company_id] = notification.timestamp
    result.ids = len(newest)
    held: dict[int, tuple[datetime | None, datetime | None]] = {}
    ids = sorted(newest)
    for start in range(0, len(ids), 500):
        for pk, modified, missing in CopperCompany.objects.filter(
            pk__in=ids[start : start + 500]
        ).values_list("pk", "date_modified", "missing_from_copper_since"):
            held[pk] = (modified, missing)
    per_id: dict[int, str] = {}
    to_fetch = []
    for company_id in ids:
        modified = held.get(company_id, (None, None))[0]
        if company_id not in deleted and modified is not None and changed_at[company_id] < modified:
            per_id[company_id] = "late"
        else:
            to_fetch.append(company_id)
    result.late = len(per_id)
    reasons = {
        cid: f"copper webhook #{n.pk} (company {n.event}, {n.timestamp:%Y-%m-%d %H:%M:%S})"
        for cid, n in newest.items()
    }
    seen: set[int] = set()
    for start in range(0, len(to_fetch), SEARCH_BATCH):
        # One search per 200 ids, refreshed as it arrives: memory stays at one page whatever the burst.
        batch = to_fetch[start : start + SEARCH_BATCH]
        records = list(client.companies_by_ids(batch, batch_size=SEARCH_BATCH))
        result.searches += 1
        counts = copper_companies_refresh(records=records, reasons=reasons, user=user)
        result.created += counts.created
        result.updated += counts.updated
        result.unchanged += counts.unchanged
        result.late += counts.older
        per_id.update({cid: "late" if state == "older" else state for cid, state in counts.by_id.items()})
        seen.update(counts.by_id)
    result.fetched = len(to_fetch)
    gone = [cid for cid in to_fetch if cid not in seen and cid in deleted]
    result.marked_missing = copper_companies_mark_missing(ids=gone, reasons=reasons, user=user)
    for company_id in gone:
        newly = company_id in held and held[company_id][1] is None
        per_id[company_id] = "marked_missing" if newly else "unchanged"
    result.not_returned = len([cid for cid in to_fetch if cid not in seen and cid not in deleted])
    for company_id in to_fetch:
        per_id.setdefault(company_id, "not_returned")
    return per_id
