"""Staleness: the syncs the numbers depend on must have succeeded recently."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from integrity.checks.base import CHECKS, CheckResult, Finding, check, sync_dashboard_url, worst
from integrity.models import State
from syncs.models import SyncRun

STALE_KINDS = {
    "copper_pull": SyncRun.Kind.COPPER_PULL,
    "customer_sync": SyncRun.Kind.CUSTOMER_SYNC,
    "metrics_apply": SyncRun.Kind.METRICS_APPLY,
}


@check("staleness", "Syncs that have not succeeded recently", unit="syncs")
def check_staleness() -> CheckResult:
    """Last successful pull, customer sync and metrics apply vs ``INTEGRITY_STALE_HOURS``.

    Stale is a warning; three times the limit, or never succeeded, is critical. The metrics apply counts only
    once it has succeeded at least once (before that, the metrics push is not in use).
    """
    now = timezone.now()
    last = dict(
        SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED, kind__in=STALE_KINDS.values())
        .values("kind")
        .annotate(last=Max("finished_at"))
        .values_list("kind", "last")
    )
    numbers: dict[str, Any] = {}
    states, findings = [], []
    action_url = sync_dashboard_url()
    for key, kind in STALE_KINDS.items():
        hours = settings.INTEGRITY_STALE_HOURS.get(key, 0)
        finished = last.get(kind)
        numbers[f"{key}_hours_ago"] = round((now - finished).total_seconds() / 3600, 1) if finished else None
        if not hours or (finished is None and key == "metrics_apply"):
            continue
        if finished is None:
            state, message = State.CRITICAL, "Never succeeded."
        elif now - finished > timedelta(hours=hours * 3):
            state, message = (
                State.CRITICAL,
                f"Last success {numbers[f'{key}_hours_ago']} h ago (limit {hours:g} h).",
            )
        elif now - finished > timedelta(hours=hours):
            state, message = (
                State.WARNING,
                f"Last success {numbers[f'{key}_hours_ago']} h ago (limit {hours:g} h).",
            )
        else:
            continue
        states.append(state)
        label = SyncRun.Kind(kind).label
        findings.append(
            Finding(
                label, message, url=action_url, action=f"Run the {label.lower()}", action_url=action_url
            ).as_dict()
        )
    check_ = CHECKS["staleness"]
    return CheckResult(
        "staleness", check_.title, worst(states), len(findings), numbers, findings, unit=check_.unit
    )
