"""The changes of a change set as an admin changelist: filters, search, paging, links and CSV of the rows shown.

Reached from a change set's page as ``/admin/metrics/change/?change_set__id__exact=N``. Read-only: changes are
written by the build and the apply (``metrics.services``), never by hand. Each row links to the company in
Copper's own web app (``COPPER_APP_URL``), to its local mirror and to the customer's Fishbowl orders. The page
costs a constant number of queries whatever the set's size: the links' ids come in the rows' query.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict, StreamingHttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from copper.models import CopperCompany
from customers.models import FishbowlCustomer
from metrics import values as mv
from metrics.models import Change, ChangeSet
from syncs.admin_base import ReadOnlyAdminMixin
from syncs.csv_safe import csv_writer

CHANGES_PER_PAGE = 100
CHANGE_SET_PARAM = "change_set__id__exact"


def copper_app_url(company_id: int) -> str:
    """The company's page in Copper's own web app, or "" when the account id the URL needs is not set.

    The form (``COPPER_APP_URL``, with ``{account_id}`` and ``{company_id}``) is what Copper's web app shows in
    the address bar for a company; it is not part of Copper's API documentation, hence a setting.
    """
    template = settings.COPPER_APP_URL
    if "{account_id}" in template and not settings.COPPER_ACCOUNT_ID:
        return ""
    return template.format(account_id=settings.COPPER_ACCOUNT_ID, company_id=company_id)


def mirror_url(company_id: int) -> str:
    return reverse("admin:copper_coppercompany_change", args=[company_id])


def orders_url(customer_id: int) -> str:
    return f"{reverse('admin:customers_salesorder_changelist')}?customer__id__exact={customer_id}"


def changes_url(change_set_id: int, **filters: Any) -> str:
    """The changelist of one change set, narrowed by the filters below (``field``, ``flag``, ``outcome``)."""
    query = QueryDict(mutable=True)
    query[CHANGE_SET_PARAM] = str(change_set_id)
    for key, value in filters.items():
        query[key] = str(value)
    return f"{reverse('admin:metrics_change_changelist')}?{query.urlencode()}"


def _selected_change_set(request: HttpRequest) -> int | None:
    value = request.GET.get(CHANGE_SET_PARAM, "")
    return int(value) if value.isdigit() else None


class FieldFilter(admin.SimpleListFilter):
    title = "Copper field"
    parameter_name = "field"

    def lookups(self, request, model_admin):
        changes = Change.objects.all()
        change_set_id = _selected_change_set(request)
        if change_set_id is not None:
            changes = changes.filter(change_set_id=change_set_id)
        names = changes.order_by("field_name").values_list("field_name", flat=True).distinct()
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        return queryset.filter(field_name=self.value()) if self.value() else queryset


class FlagFilter(admin.SimpleListFilter):
    title = "flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [
            ("any", "Any flag"),
            ("none", "No flag"),
            *((flag, label) for flag, label in mv.FLAG_LABELS.items()),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.filter(flagged=True)
        if value == "none":
            return queryset.filter(flagged=False)
        if value in mv.FLAG_LABELS:
            # Flags are a JSON list of codes; no code is part of another, so a text match on the quoted code is
            # exact and works on SQLite and PostgreSQL alike.
            return queryset.filter(flagged=True, flags__icontains=value)
        return queryset


class OutcomeFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return Change.Outcome.choices

    def queryset(self, request, queryset):
        return queryset.filter(outcome=self.value()) if self.value() else queryset


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only list of changes; a change set's page links here with ``change_set__id__exact``."""

    list_display = ["company_cell", "field", "before", "after", "flag_cell", "outcome_cell"]
    list_display_links = None
    list_filter = [FieldFilter, FlagFilter, OutcomeFilter, "change_set"]
    search_fields = ["company_name"]
    search_help_text = "Company name, Copper id or account number."
    list_per_page = CHANGES_PER_PAGE
    # The total over every change set would mislead next to one set's count, and costs a second count.
    show_full_result_count = False
    ordering = ["-flagged", "company_name", "company_id", "field_name"]
    actions = None
    change_list_template = "metrics/change_change_list.html"


    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A change has nothing more to show than its row: open the list at its company, in its set."""
        change = self.get_object(request, object_id)
        if change is None or request.method != "GET":
            return super().change_view(request, object_id, form_url, extra_context)
        return HttpResponseRedirect(changes_url(change.change_set_id, q=str(change.company_id)))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("export.csv", view(self.export_view), name="metrics_change_export"),
            *super().get_urls(),
        ]

    def get_list_display(self, request):
        # Changes of every set at once (no set chosen) say which set each belongs to.
        if _selected_change_set(request) is None:
            return ["change_set", *self.list_display]
        return self.list_display

    def get_queryset(self, request):
        # The links need the mirror's account number and the Fishbowl customer's id: subqueries, not a join,
        # so a change whose company left the mirror still shows (the company foreign key has no constraint).
        customers = FishbowlCustomer.objects.filter(copper_company_id=OuterRef("company_id"))
        companies = CopperCompany.objects.filter(pk=OuterRef("company_id"))
        return (
            super()
            .get_queryset(request)
            .select_related("change_set")
            .annotate(
                customer_pk=Subquery(customers.values("pk")[:1]),
                account_number=Subquery(companies.values("account_number")[:1]),
                in_mirror=Subquery(companies.values("pk")[:1]),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        """Company name (part of it), Copper id (exact) or account number (part of it), for each word."""
        for term in search_term.split():
            match = Q(company_name__icontains=term) | Q(
                company_id__in=CopperCompany.objects.filter(account_number__icontains=term).values("pk")
            )
            if term.isdigit():
                match |= Q(company_id=int(term))
            queryset = queryset.filter(match)
        return queryset, False

    # --- columns -------------------------------------------------------------------------------------------
    @admin.display(description="Company", ordering="company_name")
    def company_cell(self, change: Change) -> str:
        links = []
        copper = copper_app_url(change.company_id)
        if copper:
            links.append(format_html('<a href="{}" target="_blank" rel="noopener">in Copper</a>', copper))
        if change.in_mirror is not None:
            links.append(format_html('<a href="{}">mirror</a>', mirror_url(change.company_id)))
        if change.customer_pk is not None:
            links.append(format_html('<a href="{}">Fishbowl orders</a>', orders_url(change.customer_pk)))
        details = f"Copper id {change.company_id}"
        if change.account_number:
            details += f" · account {change.account_number}"
        return format_html(
            '<strong>{}</strong><br><small>{}</small><br><small class="cs-links">{}</small>',
            change.company_name or f"Company {change.company_id}",
            details,
            format_html_join(" · ", "{}", ((link,) for link in links)),
        )

    @admin.display(description="Copper field", ordering="field_name")
    def field(self, change: Change) -> str:
        return change.field_name

    @admin.display(description="Before")
    def before(self, change: Change) -> str:
        return change.old_display

    @admin.display(description="After")
    def after(self, change: Change) -> str:
        return change.new_display

    @admin.display(description="Flags", ordering="-flagged")
    def flag_cell(self, change: Change) -> str:
        legend = {item.flag: item for item in mv.flag_legend(factor=settings.METRICS_SUSPICIOUS_FACTOR)}
        return format_html_join(
            " ",
            '<span class="cs-flag" title="{}">{}</span>',
            ((legend[f].description if f in legend else "", mv.flag_label(f)) for f in change.flags),
        )

    @admin.display(description="Outcome", ordering="outcome")
    def outcome_cell(self, change: Change) -> str:
        if change.message:
            return format_html("{}<br><small>{}</small>", change.get_outcome_display(), change.message)
        return change.get_outcome_display()

    # --- pages -------------------------------------------------------------------------------------------
    def changelist_view(self, request, extra_context=None):
        change_set_id = _selected_change_set(request)
        change_set = ChangeSet.objects.filter(pk=change_set_id).first() if change_set_id else None
        query = request.GET.copy()
        query.pop("p", None)
        context = {
            "change_set": change_set,
            "export_url": f"{reverse('admin:metrics_change_export')}?{query.urlencode()}",
            "legend": mv.flag_legend(factor=settings.METRICS_SUSPICIOUS_FACTOR),
            "title": f"Changes of {change_set}" if change_set else "Changes",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def filtered_changes(self, request: HttpRequest, params: QueryDict | None = None) -> QuerySet:
        """The changes the changelist shows for ``params`` (default: the request's query), in its order.

        Raises ``IncorrectLookupParameters`` for a filter the changelist would refuse.
        """
        if params is not None:
            request = copy.copy(request)
            request.GET = params
        changelist = self.get_changelist_instance(request)
        return changelist.get_queryset(request)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The changes the changelist shows for this query (every page of them) as CSV, streamed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self.csv_response(request, params=None)

    def csv_response(self, request: HttpRequest, *, params: QueryDict | None) -> HttpResponse:
        source = params if params is not None else request.GET
        try:
            changes = self.filtered_changes(request, params)
        except IncorrectLookupParameters:
            messages.error(request, "That filter is not known; the export was not made.")
            return HttpResponseRedirect(reverse("admin:metrics_change_changelist"))
        change_set_id = source.get(CHANGE_SET_PARAM, "")
        name = f"change-set-{change_set_id}" if change_set_id.isdigit() else "changes"
        response = StreamingHttpResponse(_csv_rows(changes), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "company_id",
    "company",
    "account_number",
    "field",
    "data_type",
    "old",
    "new",
    "old_raw",
    "new_raw",
    "flags",
    "rule",
    "outcome",
    "message",
]


def _csv_rows(changes: QuerySet):
    """The header, then one CSV line per change; cells pass through ``syncs.csv_safe`` (no formulas)."""
    writer = csv_writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for c in changes.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                c.company_id,
                c.company_name,
                getattr(c, "account_number", "") or "",
                c.field_name,
                c.data_type,
                c.old_display,
                c.new_display,
                json.dumps(c.old_value),
                json.dumps(c.new_value),
                "; ".join(mv.flag_label(f) for f in c.flags),
                c.rule,
                c.outcome,
                c.message,
            ]
        )
