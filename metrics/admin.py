"""Admin for the metrics push: change sets (the field mappings' admin is in ``metrics.admin_mappings``).

Views parse input, call one service and report back with admin messages; domain errors become error messages,
never a 500. Long work (dry run, apply, rollback) starts a SyncRun and redirects to its progress page.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from metrics.admin_changes import ChangeAdmin, changes_url  # noqa: F401 - ChangeAdmin registers itself
from metrics.admin_confirm import ChangeSetConfirmViews

# The field mappings' admin lives in its own module: importing it registers it (and keeps these names here).
from metrics.admin_mappings import SYNC_BUTTON_LABEL, FieldMappingAdmin, FieldMappingForm  # noqa: F401
from metrics.admin_review import LEGACY_FILTERS, changelist_params, review_context
from metrics.models import Change, ChangeSet
from metrics.services.changesets import ChangeSetError, change_set_reject
from syncs.admin_views import run_progress_url

Status = ChangeSet.Status


@admin.register(ChangeSet)
class ChangeSetAdmin(ChangeSetConfirmViews, SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "status",
        "built_by",
        "built_at",
        "approved_by",
        "changes",
        "flagged",
        "applied_at",
    ]
    list_filter = ["status"]
    list_select_related = ["built_by", "approved_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Changes")
    def changes(self, obj: ChangeSet) -> str:
        return format_html('<a href="{}">{}</a>', changes_url(obj.pk), f"{obj.counts.get('changes', 0):,}")

    @admin.display(description="Flagged")
    def flagged(self, obj: ChangeSet) -> str:
        n = obj.counts.get("flagged", 0)
        return format_html('<a href="{}">{}</a>', changes_url(obj.pk, flag="any"), f"{n:,}") if n else "0"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/review/", view(self.review_view), name="metrics_changeset_review"),
            path("<int:pk>/export.csv", view(self.export_view), name="metrics_changeset_export"),
            path("<int:pk>/approve/", view(self.approve_view), name="metrics_changeset_approve"),
            path("<int:pk>/reject/", view(self.reject_view), name="metrics_changeset_reject"),
            path("<int:pk>/apply/", view(self.apply_view), name="metrics_changeset_apply"),
            path("<int:pk>/rollback/", view(self.rollback_view), name="metrics_changeset_rollback"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if str(object_id).isdigit():
            return HttpResponseRedirect(reverse("admin:metrics_changeset_review", args=[int(object_id)]))
        return super().change_view(request, object_id, form_url, extra_context)

    # --- the change-set page ---------------------------------------------------------------------------------
    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if LEGACY_FILTERS & set(request.GET):  # a link from before the changes had their own list
            params = changelist_params(change_set=get_object_or_404(ChangeSet, pk=pk), query=request.GET)
            return HttpResponseRedirect(f"{reverse('admin:metrics_change_changelist')}?{params.urlencode()}")
        change_set = get_object_or_404(
            ChangeSet.objects.select_related(
                "built_by", "approved_by", "rejected_by", "applied_by", "rolled_back_by", "rollback_of"
            ),
            pk=pk,
        )
        user = request.user
        status = change_set.status
        context = {
            **self.admin_site.each_context(request),
            "title": str(change_set),
            "opts": self.model._meta,
            "change_set": change_set,
            **review_context(change_set=change_set),
            "history": change_set.history.select_related("history_user").order_by("-history_date")[:50],
            "rollbacks": change_set.rollbacks.all(),
            "progress_url": run_progress_url(change_set.apply_run) if change_set.apply_run_id else "",
            "source_url": run_progress_url(change_set.source_run) if change_set.source_run_id else "",
            "can_approve": status == Status.BUILT and user.has_perm("metrics.approve_changeset"),
            "can_reject": status in (Status.BUILT, Status.APPROVED)
            and user.has_perm("metrics.approve_changeset"),
            "can_apply": status in (Status.APPROVED, Status.APPLYING)
            and user.has_perm("metrics.apply_changeset"),
            "can_rollback": (
                status in (Status.APPLIED, Status.PARTIALLY_APPLIED)
                and not change_set.rollback_of_id
                and user.has_perm("metrics.rollback_changeset")
            ),
            "self_built": change_set.built_by_id == user.pk and not settings.METRICS_ALLOW_SELF_APPROVAL,
        }
        return TemplateResponse(request, "metrics/changeset_detail.html", context)

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The set's changes as CSV, streamed: the changes' changelist export, narrowed by the query."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        change_set = get_object_or_404(ChangeSet, pk=pk)
        changes_admin = self.admin_site.get_model_admin(Change)
        params = changelist_params(change_set=change_set, query=request.GET)
        return changes_admin.csv_response(request, params=params)

    # --- state changes (approve, apply and roll back: metrics.admin_confirm) --------------------------------
    def _post(self, request: HttpRequest, pk: int, perm: str) -> ChangeSet:
        if request.method != "POST":
            raise PermissionDenied("POST only")
        if not request.user.has_perm(f"metrics.{perm}"):
            raise PermissionDenied
        return get_object_or_404(ChangeSet, pk=pk)

    def _back(self, change_set: ChangeSet) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:metrics_changeset_review", args=[change_set.pk]))

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        change_set = self._post(request, pk, "approve_changeset")
        try:
            change_set_reject(change_set=change_set, user=request.user, reason=request.POST.get("reason", ""))
        except ChangeSetError as exc:
            messages.error(request, exc.user_message)
        else:
            messages.success(request, f"{change_set} rejected; it is kept for the record.")
        return self._back(change_set)

