"""Admin for the metrics push: field mappings (with the "Check mapping" page) and change sets.

Views parse input, call one service and report back with admin messages; domain errors become error messages,
never a 500. Long work (dry run, apply, rollback) starts a SyncRun and redirects to its progress page.
"""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from metrics.admin_confirm import ChangeSetConfirmViews
from metrics.models import Change, ChangeSet, FieldMapping
from metrics.services.changesets import ChangeSetError, change_set_reject
from metrics.services.field_mapping import (
    MAPPING_PROTECTED_FIELD,
    field_mapping_sample,
    field_mapping_validate,
    field_mapping_warnings,
)
from metrics.services.starts import change_set_build_start
from syncs.admin_views import run_progress_url, run_start_response
from syncs.csv_safe import csv_writer
from syncs.models import SyncRun
from syncs.services.runs import sync_run_may_start

SYNC_BUTTON_LABEL = "Sync Sales Metrics to Copper"
CHANGES_PER_PAGE = 200
Status = ChangeSet.Status


class FieldMappingForm(forms.ModelForm):
    class Meta:
        model = FieldMapping
        fields = ["metric", "copper_field", "policy", "enabled", "notes"]

    def clean_copper_field(self) -> str:
        field = self.cleaned_data["copper_field"].strip()
        if field.lower() in {name.strip().lower() for name in settings.METRICS_PROTECTED_FIELDS}:
            # The changelist's inline form edits copper_field alone: the metric then comes from the row.
            metric = self.cleaned_data.get("metric") or self.instance.metric
            metric = FieldMapping.Metric(metric).label if metric else "this metric"
            raise forms.ValidationError(MAPPING_PROTECTED_FIELD.format(field=field, metric=metric))
        return field


@admin.register(FieldMapping)
class FieldMappingAdmin(SimpleHistoryAdmin):
    form = FieldMappingForm
    list_display = ["metric", "copper_field", "policy", "enabled", "notes"]
    list_editable = ["copper_field", "policy", "enabled"]
    list_filter = ["policy", "enabled"]
    change_list_template = "metrics/fieldmapping_change_list.html"

    def get_changelist_form(self, request, **kwargs):
        # The list's in-place editing must refuse protected fields too (Django does not use ``form`` there).
        kwargs.setdefault("form", FieldMappingForm)
        return super().get_changelist_form(request, **kwargs)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("check/", view(self.check_view), name="metrics_fieldmapping_check"),
            path("dry-run/", view(self.dry_run_view), name="metrics_fieldmapping_dry_run"),
            *super().get_urls(),
        ]

    def check_view(self, request: HttpRequest) -> HttpResponse:
        """Problems with the mapping, a sample of three companies, and the button that starts a dry run."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        problems = field_mapping_validate()
        context = {
            **self.admin_site.each_context(request),
            "title": "Check the metrics field mapping",
            "opts": self.model._meta,
            "mappings": FieldMapping.objects.all(),
            "problems": problems,
            "warnings": field_mapping_warnings(),
            "sample": [] if problems else field_mapping_sample(n=3),
            "button_label": SYNC_BUTTON_LABEL,
            "protected": settings.METRICS_PROTECTED_FIELDS,
            "can_start": sync_run_may_start(user=request.user, kind=SyncRun.Kind.METRICS_DRY_RUN),
        }
        return TemplateResponse(request, "metrics/fieldmapping_check.html", context)

    def dry_run_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        back = reverse("admin:metrics_fieldmapping_check")
        problems = field_mapping_validate()
        if problems:
            messages.error(request, f"The mapping has {len(problems)} problem(s); fix them before a dry run.")
            return HttpResponseRedirect(back)
        return run_start_response(
            request=request, start=lambda: change_set_build_start(user=request.user), back_url=back
        )


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
    def changes(self, obj: ChangeSet) -> int:
        return obj.counts.get("changes", 0)

    @admin.display(description="Flagged")
    def flagged(self, obj: ChangeSet) -> int:
        return obj.counts.get("flagged", 0)

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
    def _filtered(self, request: HttpRequest, change_set: ChangeSet):
        changes = change_set.changes.all()
        q = request.GET
        if q.get("outcome"):
            changes = changes.filter(outcome=q["outcome"])
        if q.get("field"):
            changes = changes.filter(field_name=q["field"])
        if q.get("flagged") == "1":
            changes = changes.filter(flagged=True)
        if q.get("q"):
            changes = changes.filter(company_name__icontains=q["q"].strip())
        return changes.order_by("-flagged", "company_name", "company_id", "field_name")

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        change_set = get_object_or_404(
            ChangeSet.objects.select_related("built_by", "approved_by", "rejected_by", "applied_by"), pk=pk
        )
        page = Paginator(self._filtered(request, change_set), CHANGES_PER_PAGE).get_page(
            request.GET.get("page")
        )
        user = request.user
        status = change_set.status
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            **self.admin_site.each_context(request),
            "title": str(change_set),
            "opts": self.model._meta,
            "change_set": change_set,
            "page": page,
            "query": query.urlencode(),
            "filters": request.GET,
            "fields": change_set.changes.order_by("field_name")
            .values_list("field_name", flat=True)
            .distinct(),
            "outcomes": Change.Outcome.choices,
            "counts": sorted(change_set.counts.items()),
            "outcome_counts": _outcome_counts(change_set),
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
        """The (filtered) changes as CSV, streamed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        change_set = get_object_or_404(ChangeSet, pk=pk)

        class Echo:
            def write(self, value: str) -> str:
                return value

        writer = csv_writer(Echo())
        header = ["company_id", "company", "field", "data_type", "old", "new", "old_raw", "new_raw"]
        header += ["flags", "rule", "outcome", "message"]

        def rows():
            yield writer.writerow(header)
            for c in self._filtered(request, change_set).iterator(chunk_size=2000):
                yield writer.writerow(
                    [
                        c.company_id,
                        c.company_name,
                        c.field_name,
                        c.data_type,
                        c.old_display,
                        c.new_display,
                        json.dumps(c.old_value),
                        json.dumps(c.new_value),
                        " ".join(c.flags),
                        c.rule,
                        c.outcome,
                        c.message,
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="change-set-{change_set.pk}.csv"'
        return response

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


def _outcome_counts(change_set: ChangeSet) -> list[tuple[str, int]]:
    from django.db.models import Count

    rows = change_set.changes.values("outcome").annotate(n=Count("id")).order_by("outcome")
    labels = dict(Change.Outcome.choices)
    return [(labels.get(r["outcome"], r["outcome"]), r["n"]) for r in rows]
