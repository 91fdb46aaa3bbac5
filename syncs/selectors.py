"""Reads about sync runs, shared by the sync dashboard and the health dashboard."""

import datetime as dt

from django.db.models import Max

from syncs.models import SyncRun


def sync_runs_latest_by_kind() -> dict[str, SyncRun]:
    """The newest run of each kind, in one query (for the sync dashboard and the health dashboard)."""
    newest = SyncRun.objects.values("kind").annotate(newest=Max("pk")).values("newest")
    return {run.kind: run for run in SyncRun.objects.filter(pk__in=newest).select_related("started_by")}


def sync_runs_last_success_by_kind() -> dict[str, dt.datetime]:
    """When each kind last finished successfully, in one query."""
    rows = (
        SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED, finished_at__isnull=False)
        .values("kind")
        .annotate(last=Max("finished_at"))
        .order_by()
    )
    return {row["kind"]: row["last"] for row in rows}


def sync_runs_latest_heartbeat() -> dt.datetime | None:
    """The freshest heartbeat of a running run: a worker renews it on a timer while it holds a run."""
    return (
        SyncRun.objects.filter(status=SyncRun.Status.RUNNING, heartbeat_at__isnull=False)
        .aggregate(latest=Max("heartbeat_at"))["latest"]
    )
