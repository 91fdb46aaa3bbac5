"""Admin for commissions: reps, rates, settings, pins, overrides, spiffs, computed lines and the monthly report.

The report page (month picker, per-rep summary, unattributed orders, CSV export) and the "Calculate" button
hang off the commission lines' admin URLs; the button queues a run and shows its progress page.
"""

from datetime import date

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from commissions.models import (
    CommissionLine,
    CommissionOverride,
    CommissionRate,
    CommissionSettings,
    CustomerStatusPin,
    SalesRep,
    Spiff,
)
from commissions.months import month_format, month_parse
from commissions.reconciliation import commission_reconciliation
from commissions.selectors import (
    commission_lines_csv_rows,
    commission_month_default,
    commission_month_totals,
    commission_months,
    commission_rep_summary,
    commission_runs_recent,
    commission_unattributed_lines,
)
from commissions.services import commission_calculate_start
from syncs.admin_base import ReadOnlyAdminMixin
from syncs.admin_views import run_start_response
from syncs.csv_safe import csv_writer

UNATTRIBUTED_SHOWN = 500


@admin.register(SalesRep)
class SalesRepAdmin(SimpleHistoryAdmin):
    list_display = ["name", "fishbowl_username", "title", "is_commissioned", "is_active", "copper_user"]
    list_editable = ["title", "is_commissioned", "is_active"]
    list_filter = ["title", "is_commissioned", "is_active"]
    search_fields = ["name", "fishbowl_username"]
    raw_id_fields = ["copper_user"]


@admin.register(CommissionRate)
class CommissionRateAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "title", "segment", "customer_status", "rate"]
    list_editable = ["rate"]
    list_filter = ["title", "segment", "customer_status"]
    list_per_page = 200


@admin.register(CommissionSettings)
class CommissionSettingsAdmin(SimpleHistoryAdmin):
    """One row: the list opens it directly."""

    def has_add_permission(self, request):
        return not CommissionSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings_row, _ = CommissionSettings.objects.get_or_create(pk=1)
        return redirect("admin:commissions_commissionsettings_change", settings_row.pk)


class RecordsWhoMixin:
    """Fills the "who" field of a row with the person saving it."""

    who_field = ""

    def save_model(self, request, obj, form, change):
        setattr(obj, self.who_field, request.user)
        super().save_model(request, obj, form, change)


@admin.register(CustomerStatusPin)
class CustomerStatusPinAdmin(RecordsWhoMixin, SimpleHistoryAdmin):
    who_field = "pinned_by"
    list_display = ["customer", "status", "reason", "pinned_by", "pinned_at"]
    list_filter = ["status"]
    search_fields = ["customer__account_number", "customer__name", "reason"]
    raw_id_fields = ["customer"]
    readonly_fields = ["pinned_by", "pinned_at"]


@admin.register(CommissionOverride)
class CommissionOverrideAdmin(RecordsWhoMixin, SimpleHistoryAdmin):
    """Reason is a required field: an override without one cannot be saved."""

    who_field = "created_by"
    list_display = ["order", "rate", "amount", "reason", "created_by", "updated_at"]
    search_fields = ["order__number", "reason"]
    raw_id_fields = ["order"]
    readonly_fields = ["created_by", "created_at", "updated_at"]


@admin.register(Spiff)
class SpiffAdmin(SimpleHistoryAdmin):
    list_display = ["product_number", "kind", "value", "start_date", "end_date", "description"]
    list_filter = ["kind"]
    search_fields = ["product_number", "description"]


@admin.register(CommissionLine)
class CommissionLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Ten narrow columns fit beside the filters at 1400 px; the month is the filter's, the rep's Fishbowl
    # username shows only when no rep matches it, segment and status share a column, the spiff and the
    # override sit with the commission they change.
    list_display = [
        "order_number",
        "date_issued",
        "rep_text",
        "account_text",
        "customer_kind",
        "revenue_text",
        "base_text",
        "rate_text",
        "commission_text",
        "outcome_text",
    ]
    list_filter = ["month", "rep", "attributed", "reason", "segment", "customer_status"]
    search_fields = ["order_number", "sales_person", "customer_account_number"]
    list_select_related = ["rep"]
    show_full_result_count = False
    change_list_template = "commissions/commissionline_change_list.html"


    @admin.display(description="Rep", ordering="sales_person")
    def rep_text(self, line: CommissionLine) -> str:
        if line.rep_id:
            return line.rep.name
        return f"{line.sales_person} (no rep)" if line.sales_person else "–"

    @admin.display(description="Account", ordering="customer_account_number")
    def account_text(self, line: CommissionLine) -> str:
        return line.customer_account_number or "–"

    @admin.display(description="Customer", ordering="segment")
    def customer_kind(self, line: CommissionLine) -> str:
        segment = line.segment.capitalize() if line.segment else "Unknown type"
        return f"{segment}, {line.get_customer_status_display()}" if line.customer_status else segment

    @admin.display(description="Revenue", ordering="revenue")
    def revenue_text(self, line: CommissionLine) -> str:
        return f"{line.revenue:,.2f}"

    @admin.display(description="Base", ordering="base")
    def base_text(self, line: CommissionLine) -> str:
        return f"{line.base:,.2f}"

    @admin.display(description="Rate", ordering="rate")
    def rate_text(self, line: CommissionLine) -> str:
        return "–" if line.rate is None else f"{line.rate * 100:.2f}\u00a0%"  # never "8.00" and "%" apart

    @admin.display(description="Commission", ordering="amount")
    def commission_text(self, line: CommissionLine) -> str:
        text = f"{line.amount:,.2f}"
        if line.spiff_amount:
            text += f" + {line.spiff_amount:,.2f} spiff"
        return text

    @admin.display(description="Outcome", ordering="reason")
    def outcome_text(self, line: CommissionLine) -> str:
        return line.get_reason_display() + (" (override)" if line.override_applied else "")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("report/", view(self.report_view), name="commissions_commissionline_report"),
            path("report/calculate/", view(require_POST(self.calculate_view)), name="commissions_calculate"),
            path("report/export.csv", view(self.export_view), name="commissions_commissionline_export"),
            *super().get_urls(),
        ]

    def _month(self, request) -> date:
        raw = request.GET.get("month") or request.POST.get("month")
        if raw:
            try:
                return month_parse(raw)
            except ValueError as exc:
                messages.error(request, str(exc))
        months = commission_months()
        return months[0] if months else commission_month_default()

    def report_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        month = self._month(request)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Commissions {month_format(month)}",
            "opts": self.model._meta,
            "month": month_format(month),
            "months": [month_format(m) for m in commission_months()],
            "totals": commission_month_totals(month=month),
            "reconciliation": commission_reconciliation(month=month),
            "reps": commission_rep_summary(month=month),
            "unattributed": commission_unattributed_lines(month=month).select_related("customer")[
                :UNATTRIBUTED_SHOWN
            ],
            "unattributed_shown": UNATTRIBUTED_SHOWN,
            "runs": commission_runs_recent(),
            "can_calculate": request.user.has_perm("commissions.calculate_commissions"),
        }
        return TemplateResponse(request, "commissions/report.html", context)

    def calculate_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return run_start_response(
            request=request,
            start=lambda: commission_calculate_start(
                month=request.POST.get("month", ""),
                sales_person=request.POST.get("sales_person") or None,
                user=request.user,
            ),
            back_url=reverse("admin:commissions_commissionline_report"),
        )

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        month = self._month(request)

        class Echo:
            def write(self, value):
                return value

        writer = csv_writer(Echo())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in commission_lines_csv_rows(month=month)), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="commissions-{month_format(month)}.csv"'
        return response
