"""Admin for the field mappings: the mapping form, the list, the "Check mapping" page and the first-run helper.

The Copper field is chosen from the pulled definitions (name and type, only the types that can hold the metric)
and a save is refused with the check's own message (``field_mapping_validate_one``). Views parse input, call one
service and report back with admin messages; the dry run starts a SyncRun and redirects to its progress page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from copper.models import CustomFieldDefinition
from metrics.models import FieldMapping
from metrics.services.field_mapping import (
    MAPPING_SETTING_CODES,
    definitions_current,
    field_mapping_field_types,
    field_mapping_sample,
    field_mapping_validate,
    field_mapping_validate_one,
    field_mapping_warnings,
)
from metrics.services.mapping_proposals import field_mapping_proposals, field_mapping_proposals_create
from metrics.services.starts import change_set_build_start
from metrics.values import Definition
from syncs.admin_views import run_start_response
from syncs.models import SyncRun
from syncs.services.runs import sync_run_may_start

SYNC_BUTTON_LABEL = "Sync Sales Metrics to Copper"
PROPOSE_BUTTON_LABEL = "Propose mappings"
NO_DEFINITIONS_HELP = (
    "No Copper fields have been pulled yet, so there is nothing to choose from. Start a Copper pull from the "
    '<a href="{}">Sync dashboard</a>, then come back to this page.'
)


class DefinitionSelect(forms.Select):
    """A select whose options carry their Copper data type (the add page hides those that do not fit)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.option_attrs: dict[str, dict[str, Any]] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].update(self.option_attrs.get(str(value), {}))
        return option


def _field_choices(
    *, definitions: Iterable[Definition], metric: str, current: str
) -> tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]:
    """The select's choices ("Total Sales — Currency") and per-option attributes.

    Only company fields; with a ``metric``, only those whose type fits it. Protected fields are shown but cannot
    be picked. The mapping's ``current`` field is always offered (marked when it is missing or does not fit), so
    opening a wrong mapping never silently changes it: saving it is refused with the check's message instead.
    """
    protected = {name.strip().lower() for name in settings.METRICS_PROTECTED_FIELDS}
    types = field_mapping_field_types(metric=metric) if metric else None
    company = sorted((d for d in definitions if "company" in d.available_on), key=lambda d: d.name.lower())
    choices: list[tuple[str, str]] = [("", "— choose a Copper field —")]
    attrs: dict[str, dict[str, Any]] = {}
    for definition in company:
        if (types is not None and definition.data_type not in types) or definition.name in attrs:
            continue
        label = f"{definition.name} — {definition.data_type}"
        attrs[definition.name] = {"data-type": definition.data_type}
        if definition.name.strip().lower() in protected:
            label += " (protected: never written)"
            # A mapping already on it keeps it selectable, so its page shows it (and a save says why not).
            attrs[definition.name]["disabled"] = definition.name != current
        choices.append((definition.name, label))
    if current and current not in attrs:
        known = {d.name.strip().lower(): d for d in company}.get(current.strip().lower())
        if known is None:
            label = f"{current} — not among the pulled Copper fields"
        else:
            metric_label = FieldMapping.Metric(metric).label if metric else "this metric"
            label = f"{current} — {known.data_type} (cannot hold {metric_label})"
        choices.insert(1, (current, label))
        attrs[current] = {"data-type": known.data_type if known else ""}
    return choices, attrs


class FieldMappingForm(forms.ModelForm):
    """A mapping, refused on save for the reasons the Check page would list (the check's own messages)."""

    # The pulled definitions, when the admin read them once for many rows (the list's in-place editing).
    definitions: list[Definition] | None = None

    class Meta:
        model = FieldMapping
        fields = ["metric", "copper_field", "policy", "enabled", "notes"]
        widgets = {"copper_field": DefinitionSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setting_warnings: list[str] = []
        field = self.fields.get("copper_field")
        if field is None:
            return
        definitions = self.definitions if self.definitions is not None else definitions_current()
        self.definitions = definitions  # clean() checks against the same rows the select offered
        # The add page lists every field (its script hides those that do not fit the chosen metric); a saved
        # mapping's metric is fixed, so its page and its row in the list offer only the fitting ones.
        metric = "" if "metric" in self.fields else self.instance.metric
        choices, attrs = _field_choices(
            definitions=definitions, metric=metric, current=self.instance.copper_field or ""
        )
        field.widget.choices = choices
        field.widget.option_attrs = attrs
        field.widget.attrs["data-allowed"] = json.dumps(
            {m: list(field_mapping_field_types(metric=m)) for m in FieldMapping.Metric.values}
        )
        protected = ", ".join(settings.METRICS_PROTECTED_FIELDS)
        if not definitions:
            field.help_text = format_html(NO_DEFINITIONS_HELP, reverse("admin:syncs_syncrun_dashboard"))
        else:
            field.help_text = (
                "The Copper company field that receives this metric, from the fields pulled from Copper; only "
                f"fields whose type can hold the metric are offered. Protected fields (never written): {protected}."
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        metric = cleaned.get("metric") if "metric" in self.fields else self.instance.metric
        chosen = (cleaned.get("copper_field") or "").strip()
        if not metric or not chosen:
            return cleaned
        cleaned["copper_field"] = chosen
        enabled = cleaned.get("enabled") if "enabled" in self.fields else self.instance.enabled
        candidate = FieldMapping(pk=self.instance.pk, metric=metric, copper_field=chosen, enabled=enabled)
        for problem in field_mapping_validate_one(mapping=candidate, definitions=self.definitions):
            if problem.code in MAPPING_SETTING_CODES:
                self.setting_warnings.append(problem.message)
            else:
                self.add_error("copper_field", problem.message)
        return cleaned


def _form_with_definitions(definitions: list[Definition]) -> type[FieldMappingForm]:
    class FieldMappingListForm(FieldMappingForm):
        pass

    FieldMappingListForm.definitions = definitions
    return FieldMappingListForm


@admin.register(FieldMapping)
class FieldMappingAdmin(SimpleHistoryAdmin):
    form = FieldMappingForm
    fields = ["metric", "copper_field", "policy", "enabled", "notes"]  # the metric first, read-only once saved
    list_display = ["metric", "copper_field", "policy", "enabled", "notes"]
    list_editable = ["copper_field", "policy", "enabled"]
    list_filter = ["policy", "enabled"]
    change_list_template = "metrics/fieldmapping_change_list.html"
    change_form_template = "metrics/fieldmapping_change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # A mapping is the mapping *of* a metric: to map another metric, add its own mapping.
        return ("metric",) if obj is not None else ()

    def get_changelist_form(self, request, **kwargs):
        # The list's in-place editing is checked like the form (Django does not use ``form`` there), against
        # definitions read once for every row.
        kwargs.setdefault("form", _form_with_definitions(definitions_current()))
        return super().get_changelist_form(request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for warning in getattr(form, "setting_warnings", ()):
            messages.warning(request, f"Saved, but the metrics push stays blocked: {warning}")

    def changelist_view(self, request, extra_context=None):
        extra = {
            "mapping_count": FieldMapping.objects.count(),
            "definitions_pulled": CustomFieldDefinition.objects.exists(),
            "propose_label": PROPOSE_BUTTON_LABEL,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=extra)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("check/", view(self.check_view), name="metrics_fieldmapping_check"),
            path("dry-run/", view(self.dry_run_view), name="metrics_fieldmapping_dry_run"),
            path("propose/", view(self.propose_view), name="metrics_fieldmapping_propose"),
            *super().get_urls(),
        ]

    def check_view(self, request: HttpRequest) -> HttpResponse:
        """Problems with the mapping (each linked to the mapping to fix), a sample, and the dry-run button."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        mappings = list(FieldMapping.objects.all())
        change_urls = {m.metric: reverse("admin:metrics_fieldmapping_change", args=[m.pk]) for m in mappings}
        problems = field_mapping_validate()
        context = {
            **self.admin_site.each_context(request),
            "title": "Check the metrics field mapping",
            "opts": self.model._meta,
            "mappings": [(m, change_urls[m.metric]) for m in mappings],
            "problems": [(p, _fix_link(p.metric, change_urls)) for p in problems],
            "warnings": [(w, _fix_link(w.metric, change_urls)) for w in field_mapping_warnings()],
            "sample": [] if problems else field_mapping_sample(n=3),
            "button_label": SYNC_BUTTON_LABEL,
            "propose_label": PROPOSE_BUTTON_LABEL,
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

    def propose_view(self, request: HttpRequest) -> HttpResponse:
        """The first-run helper: mappings proposed by name, a tick each; the ticked ones are created."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            created = field_mapping_proposals_create(metrics=request.POST.getlist("metric"), user=request.user)
            if created:
                names = "; ".join(str(m) for m in created)
                messages.success(request, f"Created {len(created)} mapping(s): {names}. Check them below.")
                return HttpResponseRedirect(reverse("admin:metrics_fieldmapping_check"))
            messages.warning(request, "No mapping was created: tick at least one proposal that is not mapped yet.")
            return HttpResponseRedirect(reverse("admin:metrics_fieldmapping_propose"))
        proposals = field_mapping_proposals()
        mapped = set(FieldMapping.objects.values_list("metric", flat=True))
        proposed = {p.metric for p in proposals}
        context = {
            **self.admin_site.each_context(request),
            "title": "Propose field mappings by name",
            "opts": self.model._meta,
            "proposals": proposals,
            "unmatched": [m.label for m in FieldMapping.Metric if m.value not in mapped | proposed],
            "mapped_count": len(mapped),
            "definitions_pulled": CustomFieldDefinition.objects.exists(),
            "dashboard_url": reverse("admin:syncs_syncrun_dashboard"),
        }
        return TemplateResponse(request, "metrics/fieldmapping_propose.html", context)


def _fix_link(metric: str, change_urls: dict[str, str]) -> str:
    """Where to fix a problem: the mapping's change page (the list for "no mapping is enabled")."""
    return change_urls.get(metric) or reverse("admin:metrics_fieldmapping_changelist")
