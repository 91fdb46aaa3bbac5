"""Admin for the field mappings: the mapping form, the list, and the "Check mapping" page with the sync button.

Views parse input, call one service and report back with admin messages; domain errors become error messages,
never a 500. The dry run starts a SyncRun and redirects to its progress page.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from metrics.models import FieldMapping
from metrics.services.field_mapping import (
    MAPPING_PROTECTED_FIELD,
    field_mapping_sample,
    field_mapping_validate,
    field_mapping_warnings,
)
from metrics.services.starts import change_set_build_start
from syncs.admin_views import run_start_response
from syncs.models import SyncRun
from syncs.services.runs import sync_run_may_start

SYNC_BUTTON_LABEL = "Sync Sales Metrics to Copper"


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
