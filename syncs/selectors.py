"""Reads about sync runs, shared by the sync dashboard and the health dashboard."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max

from syncs.models import SyncRun, SyncRunLog


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


@dataclass(frozen=True)
class LogPage:
    """One page of a run's log (oldest first within the page), for the progress page."""

    entries: list[SyncRunLog]
    number: int
    pages: int
    total: int  # entries matching the filter
    run_total: int  # all the run's entries
    first: int  # position (from 1) of the page's first entry among the matching ones
    level: str
    codes: list[str]
    last_id: int  # the run's newest entry id (polls ask for those after it)

    @property
    def is_newest(self) -> bool:
        return self.number == self.pages

    @property
    def page_numbers(self) -> list[int]:
        return list(range(1, self.pages + 1))


def sync_run_log_page(
    *, run: SyncRun, level: str = "", codes: list[str] | None = None, page: Any = None, per_page: int = 100
) -> LogPage:
    """Page ``page`` (default: the newest, the last) of the run's log, only entries of ``level`` when it is one
    and of ``codes`` when given (a page listing "the first 50" links here for the rest).

    Entries stay in the order they happened; pages are cut from the newest end, so the default page holds the
    ``per_page`` newest and page 1 the oldest few; a page number out of range gives the nearest page. Three
    queries: the filtered count, the run's newest id and count, the page.
    """
    levels = SyncRunLog.Level.values
    level = level if level in levels else ""
    entries = run.log_entries.order_by("id")
    if level:
        entries = entries.filter(level=level)
    codes = [code for code in codes or [] if code]
    if codes:
        entries = entries.filter(code__in=codes)
    total = entries.count()
    pages = max(1, -(-total // per_page))
    number = int(page) if str(page or "").isdigit() else pages
    number = min(max(number, 1), pages)
    whole = run.log_entries.aggregate(last=Max("id"), count=Count("id"))
    end = total - (pages - number) * per_page  # the page's last entry, counted from the oldest
    return LogPage(
        entries=list(entries[max(0, end - per_page) : end]) if end > 0 else [],
        number=number,
        pages=pages,
        total=total,
        run_total=whole["count"] if level or codes else total,
        first=max(0, total - (pages - number + 1) * per_page) + 1,
        level=level,
        codes=codes,
        last_id=whole["last"] or 0,
    )
