"""Admin pages for sync runs: each run's live progress page (and the JSON it polls), the sync dashboard, and
the start and cancel buttons.

The views parse input, call one service (``sync_run_start`` or ``sync_run_cancel``) and report back through
admin messages and redirects; the numbers come from ``progress_snapshot``. ``SyncRunViewsMixin`` is mixed into
``SyncRunAdmin`` so the URLs live under ``admin/syncs/syncrun/`` with the admin's own permission checks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode

from syncs.models import SyncRun, SyncRunLog
from syncs.progress import progress_snapshot
from syncs.registry import run_kinds, start_buttons
from syncs.run_words import count_figures, options_phrases, run_links
from syncs.selectors import sync_run_log_page, sync_runs_latest_by_kind
from syncs.services.runs import (
    SyncRunAlreadyActive,
    SyncRunPermissionDenied,
    sync_run_cancel,
    sync_run_may_start,
    sync_run_start,
)

Kind = SyncRun.Kind
Status = SyncRun.Status

# Log entries per page of the progress page's log (the newest page first; a level filter and page links for the
# rest) and sent per poll; the run's log itself is bounded by SYNC_RUN_LOG_LIMIT.
LOG_PAGE_SIZE = 100
LOG_POLL_LIMIT = 200
# Cards on the dashboard, in this order (kinds no app registers are left out).
DASHBOARD_KINDS = (
    Kind.COPPER_PULL,
    Kind.CUSTOMER_SYNC,
    Kind.FISHBOWL_IMPORT,
    Kind.COMMISSIONS,
    Kind.INTEGRITY,
    Kind.METRICS_DRY_RUN,
    Kind.METRICS_APPLY,
    Kind.METRICS_ROLLBACK,
)

QUEUED_HINT_AFTER_SECONDS = 10
NOT_STARTABLE = "There is no start button called {button!r}."
ALREADY_ACTIVE = "A {kind} is already {status} (run #{pk}): here it is. Wait for it to finish or cancel it."
WAITING = "A {kind} is running; this one (run #{pk}) starts as soon as it ends."


def run_progress_url(run: SyncRun) -> str:
    """The live progress page of a run: where every start button leads."""
    return reverse("admin:syncs_syncrun_progress", args=[run.pk])


def run_start_response(
    *,
    request: HttpRequest,
    start: Callable[[], SyncRun],
    back_url: str,
    refused: tuple[type[Exception], ...] = (),
) -> HttpResponse:
    """Call ``start()`` (a service that queues a run) and open the run's progress page: the one way every admin
    page starts a run.

    No permission is a 403; a refused start (bad options, or one of the caller's ``refused`` errors) goes
    back to ``back_url`` with the reason; a busy kind opens the active run with a warning; a run that waits for its
    kind says so.
    """
    try:
        run = start()
    except SyncRunAlreadyActive as exc:
        active = exc.run
        messages.warning(
            request,
            ALREADY_ACTIVE.format(kind=active.get_kind_display().lower(), status=active.status, pk=active.pk),
        )
        return HttpResponseRedirect(run_progress_url(active))
    except SyncRunPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None
    except (ValueError, *refused) as exc:
        messages.error(request, getattr(exc, "user_message", None) or str(exc))
        return HttpResponseRedirect(back_url)
    if run.status == Status.WAITING:
        messages.info(request, WAITING.format(kind=run.get_kind_display().lower(), pk=run.pk))
    else:
        messages.info(request, f"{run} started.")
    return HttpResponseRedirect(run_progress_url(run))


def run_start_from_button(*, request: HttpRequest, key: str) -> HttpResponse:
    """Start the run of dashboard button ``key`` with its options plus the kind's parsed form data."""
    dashboard = reverse("admin:syncs_syncrun_dashboard")
    found = start_buttons().get(key)
    if found is None:
        messages.error(request, NOT_STARTABLE.format(button=key))
        return HttpResponseRedirect(dashboard)
    run_kind, button = found
    try:
        options = {**button.options, **run_kind.options_parse(request.POST)}
    except ValueError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(dashboard)
    return run_start_response(
        request=request,
        start=lambda: sync_run_start(kind=run_kind.kind, user=request.user, options=options),
        back_url=dashboard,
    )


def duration_text(seconds: float | None) -> str:
    """``75`` → ``"1 min 15 s"``; the same wording the progress page uses."""
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def snapshot_with_waiting(run: SyncRun) -> dict[str, Any]:
    """``progress_snapshot`` plus how long a queued run has waited (for the "is a worker running?" hint), its
    counts as labelled figures, and, once it has finished, its next steps and the runs it started."""
    snapshot = progress_snapshot(run)
    waiting = None
    if run.status == Status.QUEUED and run.queued_at:
        waiting = round((timezone.now() - run.queued_at).total_seconds(), 1)
    snapshot["waiting_seconds"] = waiting
    snapshot["figures"] = count_figures(snapshot)
    snapshot.update(run_links(run))
    return snapshot


def log_filter_query(log) -> str:
    """The log page's filter as the start of a query string ("code=a&level=error&"), for its page links."""
    pairs = [("code", code) for code in log.codes] + ([("level", log.level)] if log.level else [])
    return urlencode(pairs) + "&" if pairs else ""


def log_entry_dict(entry: SyncRunLog) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "level": entry.level,
        "level_display": entry.get_level_display(),
        "code": entry.code,
        "record": entry.record,
        "message": entry.message,
        "created_at": entry.created_at.isoformat() if entry.created_at else None,
    }


class SyncRunViewsMixin:
    """Progress page, progress JSON, dashboard, start and cancel, for ``SyncRunAdmin``."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("dashboard/", view(self.dashboard_view), name="syncs_syncrun_dashboard"),
            path("start/", view(self.start_view), name="syncs_syncrun_start"),
            path("<int:run_id>/progress/", view(self.progress_view), name="syncs_syncrun_progress"),
            # Not wrapped in admin_view: a poll from an expired session gets a 403 JSON, not the login page.
            path("<int:run_id>/progress.json", self.progress_json_view, name="syncs_syncrun_progress_json"),
            path("<int:run_id>/cancel/", view(self.cancel_view), name="syncs_syncrun_cancel"),
            *super().get_urls(),
        ]

    # --- permissions -----------------------------------------------------------------------------------------
    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("syncs.cancel_syncrun")

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            **extra,
        }

    # --- progress ----------------------------------------------------------------------------------------
    def progress_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(SyncRun.objects.select_related("started_by", "parent"), pk=run_id)
        log = sync_run_log_page(
            run=run,
            level=request.GET.get("level", ""),
            codes=request.GET.getlist("code"),
            page=request.GET.get("log_page"),
            per_page=LOG_PAGE_SIZE,
        )
        snapshot = snapshot_with_waiting(run)
        page_data = {
            "snapshot": snapshot,
            "json_url": reverse("admin:syncs_syncrun_progress_json", args=[run.pk]),
            # Polls fetch only entries written after the page loaded; they are added while the newest page of the
            # whole log is shown (not an older page, not a filtered one).
            "last_log_id": log.last_id,
            "log_live": log.is_newest and not log.level and not log.codes,
            "log_total": log.run_total,
            "log_page_size": LOG_PAGE_SIZE,
            "queued_hint_after": QUEUED_HINT_AFTER_SECONDS,
        }
        context = self._context(
            request,
            f"{run} progress",
            run=run,
            snapshot=snapshot,
            page_data=page_data,
            log=log,
            log_entries=log.entries,
            log_levels=SyncRunLog.Level.choices,
            log_first=log.first,
            log_last=log.first + len(log.entries) - 1,
            log_query=log_filter_query(log),
            count_figures=snapshot["figures"],
            options_phrases=options_phrases(run),
            can_cancel=self.has_cancel_permission(request),
            duration=duration_text(snapshot["elapsed_seconds"]),
            queued_hint=bool(
                snapshot["waiting_seconds"] and snapshot["waiting_seconds"] > QUEUED_HINT_AFTER_SECONDS
            ),
        )
        return TemplateResponse(request, "syncs/progress.html", context)

    def progress_json_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        """``progress_snapshot`` (+ ``waiting_seconds``) and the log entries after ``?after=<id>``."""
        user = request.user
        if not (user.is_active and user.is_staff and self.has_view_permission(request)):
            response = JsonResponse({"error": "Sign in to the admin as staff to see sync runs."}, status=403)
        else:
            run = SyncRun.objects.filter(pk=run_id).first()
            if run is None:
                response = JsonResponse({"error": f"There is no sync run #{run_id}."}, status=404)
            else:
                after = request.GET.get("after", "0")
                entries = run.log_entries.filter(pk__gt=int(after) if after.isdigit() else 0).order_by("id")
                data = snapshot_with_waiting(run)
                data["log"] = [log_entry_dict(entry) for entry in entries[:LOG_POLL_LIMIT]]
                response = JsonResponse(data)
        response["Cache-Control"] = "no-store"
        return response

    def cancel_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_cancel_permission(request):
            raise PermissionDenied
        run = get_object_or_404(SyncRun, pk=run_id)
        was = run.status
        run = sync_run_cancel(run=run, user=request.user)
        if was == Status.QUEUED and run.status == Status.CANCELLED:
            messages.success(request, f"{run} was cancelled before it started.")
        elif run.status == Status.RUNNING and run.cancel_requested:
            messages.info(request, f"{run} was asked to stop; it stops after the batch it is on (kept).")
        else:
            messages.warning(request, f"{run} had already ended ({run.get_status_display().lower()}).")
        return HttpResponseRedirect(reverse("admin:syncs_syncrun_progress", args=[run.pk]))

    # --- dashboard and start -----------------------------------------------------------------------------
    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        registered = {run_kind.kind: run_kind for run_kind in run_kinds()}
        latest = sync_runs_latest_by_kind()
        cards = []
        for kind in DASHBOARD_KINDS:
            run_kind = registered.get(kind)
            if run_kind is None:
                continue
            last = latest.get(kind)
            cards.append(
                {
                    "kind": kind,
                    "label": Kind(kind).label,
                    "last": last,
                    "snapshot": progress_snapshot(last) if last else None,
                    # The last run's non-zero counts, labelled in its kind's words.
                    "figures": [f for f in count_figures(progress_snapshot(last)) if f[2]] if last else [],
                    "buttons": run_kind.buttons,
                    "can_start": sync_run_may_start(user=request.user, kind=kind),
                    "permission": run_kind.permission,
                    "problem": run_kind.problem() if run_kind.problem else "",
                    "started_elsewhere": run_kind.started_elsewhere,
                }
            )
        last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
        for card in cards:
            month_default = registered[card["kind"]].month_default
            card["default_month"] = month_default() if month_default else last_month.strftime("%Y-%m")
        context = self._context(request, "Sync dashboard", cards=cards)
        return TemplateResponse(request, "syncs/dashboard.html", context)

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return run_start_from_button(request=request, key=request.POST.get("button", ""))
