"""Admin for sync runs: the run list, each run's live progress page, the sync dashboard and its start buttons.

The pages themselves are in ``syncs.admin_views`` (mixed into ``SyncRunAdmin``); a run's change view is its
progress page.
"""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from syncs.admin_base import ReadOnlyAdminMixin
from syncs.admin_views import SyncRunViewsMixin, duration_text
from syncs.models import SyncRun
from syncs.progress import progress_snapshot
from syncs.run_words import options_sentence

STATUS_COLOURS = {
    SyncRun.Status.QUEUED: "#6b7280",
    SyncRun.Status.RUNNING: "#1d6fb8",
    SyncRun.Status.SUCCEEDED: "#2f7d46",
    SyncRun.Status.FAILED: "#b42318",
    SyncRun.Status.CANCELLED: "#a15c07",
}


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdminMixin, SyncRunViewsMixin, admin.ModelAdmin):
    # Never deleted either: an active run's row is how its worker reports and how it is cancelled.
    list_display = [
        "run_link",
        "what",
        "status_badge",
        "step",
        "percent",
        "processed_of_total",
        "started_by",
        "queued_finished",
        "duration",
    ]
    list_display_links = None
    list_filter = ["kind", "status"]
    list_select_related = ["started_by", "parent"]
    date_hierarchy = "queued_at"


    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A run has nothing to edit: its page is the progress page."""
        if not str(object_id).isdigit():
            return super().change_view(request, object_id, form_url, extra_context)
        return HttpResponseRedirect(reverse("admin:syncs_syncrun_progress", args=[int(object_id)]))

    @admin.display(description="Run (kind #id)", ordering="kind")
    def run_link(self, run: SyncRun):
        return format_html('<a href="{}">{}</a>', reverse("admin:syncs_syncrun_progress", args=[run.pk]), run)

    @admin.display(description="What it was asked to do")
    def what(self, run: SyncRun):
        return options_sentence(run)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, run: SyncRun):
        return format_html(
            '<span class="sync-badge sync-badge-{}" style="display:inline-block;padding:1px 8px;'
            'border-radius:9px;color:#fff;background:{};font-weight:bold;font-size:11px">{}</span>',
            run.status,
            STATUS_COLOURS.get(run.status, "#6b7280"),
            run.get_status_display(),
        )

    @admin.display(description="%")
    def percent(self, run: SyncRun):
        value = progress_snapshot(run)["percent"]
        if value is None:
            return "working (no total yet)" if run.status == SyncRun.Status.RUNNING else ""
        return f"{value:.0f}%"

    @admin.display(description="Queued → finished", ordering="queued_at")
    def queued_finished(self, run: SyncRun):
        queued = timezone.localtime(run.queued_at)
        text = date_format(queued, "m-d H:i")
        if run.finished_at:
            finished = timezone.localtime(run.finished_at)
            same_day = finished.date() == queued.date()
            text += " → " + date_format(finished, "H:i" if same_day else "m-d H:i")
        return format_html('<span style="white-space:nowrap" title="{}">{}</span>', queued.isoformat(), text)

    @admin.display(description="Processed / total")
    def processed_of_total(self, run: SyncRun):
        total = "?" if run.total is None else f"{run.total:,}"
        return f"{run.processed:,} / {total}"

    @admin.display(description="Duration")
    def duration(self, run: SyncRun):
        return duration_text(progress_snapshot(run)["elapsed_seconds"]) if run.started_at else "–"
