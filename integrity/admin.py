"""Admin for integrity: reports, alerts, the per-check detail page, "run checks now", the audit trail and the
run rollback (preview → confirm). The health board itself is its own page (copperhub's /admin/health/).
"""

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from integrity.audit import AuditFilters, audit_page
from integrity.checks import CHECKS, check_title
from integrity.models import Alert, CheckResultRecord, CheckState, IntegrityReport
from integrity.rollback import rollback_items_describe, run_rollback_apply, run_rollback_preview
from integrity.selectors import check_detail
from syncs.admin_base import ReadOnlyAdminMixin
from syncs.admin_views import run_start_response
from syncs.models import SyncRun
from syncs.run_words import key_words, value_words
from syncs.services.runs import sync_run_start

ROLLBACK_PER_PAGE = 50


class CheckFilter(admin.SimpleListFilter):
    """Filter by check, listed by title (the registry's, one source), in the dashboard's order."""

    title = "check"
    parameter_name = "check_name"

    def lookups(self, request, model_admin):
        return [(name, registered.title) for name, registered in CHECKS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(check_name=self.value()) if self.value() else queryset


@admin.display(description="Check", ordering="check_name")
def check_column(obj) -> str:
    return check_title(obj.check_name, getattr(obj, "title", ""))


def _pairs(numbers: dict) -> str:
    """A JSON dict of figures as a person reads it: "Unknown: 26 · Differs from Copper: 0"."""
    return " · ".join(f"{key_words(key)}: {value_words(value)}" for key, value in (numbers or {}).items()) or "—"


@admin.display(description="Check")
def check_link(obj) -> str:
    """The check's title, linked to this report's findings of it."""
    url = reverse("admin:integrity_check_detail", args=[obj.check_name]) + f"?report={obj.report_id}"
    return format_html('<a href="{}">{}</a>', url, check_column(obj))


@admin.display(description="Figures")
def numbers_text(obj) -> str:
    return _pairs(obj.numbers)


class CheckResultInline(admin.TabularInline):
    model = CheckResultRecord
    extra = 0
    can_delete = False
    fields = [check_link, "state", "count", numbers_text, "note"]
    readonly_fields = fields
    max_num = 0


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@admin.register(IntegrityReport)
class IntegrityReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # A report is the record of what the checks saw; alerts and the board refer to it.
    list_display = ["__str__", "created_at", "trigger", "run", "state", "duration_seconds"]
    list_filter = ["state", "trigger"]
    fields = ["created_at", "trigger", "run", "state", "duration_seconds", "summary_text"]
    readonly_fields = fields
    inlines = [CheckResultInline]

    @admin.display(description="Summary")
    def summary_text(self, obj):
        return _pairs(obj.summary)


    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("checks/<slug:name>/", view(self.check_detail_view), name="integrity_check_detail"),
            path("run-now/", view(self.run_now_view), name="integrity_run_now"),
            path("audit/", view(self.audit_view), name="integrity_audit"),
            path("audit/rollback/<int:run_id>/", view(self.rollback_view), name="integrity_rollback"),
            *super().get_urls(),
        ]

    def _context(self, request, title: str, **extra):
        return {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta, **extra}

    def check_detail_view(self, request, name: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        report_id = request.GET.get("report")
        detail = check_detail(
            name=name,
            report_id=int(report_id) if report_id and report_id.isdigit() else None,
            page=request.GET.get("page", 1),
        )
        if detail is None:
            raise Http404("No report holds this check yet.")
        query = request.GET.copy()
        query.pop("page", None)
        context = self._context(request, detail["record"].title or name, query=query.urlencode(), **detail)
        return TemplateResponse(request, "integrity/check_detail.html", context)

    def run_now_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return run_start_response(
            request=request,
            start=lambda: sync_run_start(
                kind=SyncRun.Kind.INTEGRITY, user=request.user, options={"trigger": "on_demand"}
            ),
            back_url=reverse("admin:index"),
        )

    def audit_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = request.GET.get("run", "").strip().lstrip("#")
        filters = AuditFilters(
            model=request.GET.get("model", ""),
            run=int(run) if run.isdigit() else None,
            user=request.GET.get("user", "").strip(),
            date_from=_parse_date(request.GET.get("date_from", "")),
            date_to=_parse_date(request.GET.get("date_to", "")),
        )
        page = request.GET.get("page", "1")
        try:
            result = audit_page(filters=filters, page=int(page) if page.isdigit() else 1)
        except ValueError as exc:
            messages.error(request, str(exc))
            filters.model = ""
            result = audit_page(filters=filters)
        query = request.GET.copy()
        query.pop("page", None)
        context = self._context(
            request,
            "Audit trail",
            filters=filters,
            query=query.urlencode(),
            can_rollback=request.user.has_perm("integrity.rollback_run"),
            **result,
        )
        return TemplateResponse(request, "integrity/audit.html", context)

    def rollback_view(self, request, run_id: int):
        if not request.user.has_perm("integrity.rollback_run"):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            plan = run_rollback_apply(run_id=run_id, user=request.user)
            messages.success(
                request,
                f"Rolled back run #{run_id}: {len(plan.restorable)} object(s) restored, {len(plan.skipped)} skipped.",
            )
            return HttpResponseRedirect(f"{reverse('admin:integrity_audit')}?run={run_id}")
        plan = run_rollback_preview(run_id=run_id)
        run = SyncRun.objects.filter(pk=run_id).first()
        # Every object is restored; the page shows one page of each list, its values described in batches.
        restorable = Paginator(plan.restorable, ROLLBACK_PER_PAGE).get_page(request.GET.get("page"))
        skipped = Paginator(plan.skipped, ROLLBACK_PER_PAGE).get_page(request.GET.get("skipped_page"))
        rollback_items_describe(list(restorable))
        context = self._context(
            request,
            f"Roll back run #{run_id}",
            plan=plan,
            run=run,
            restorable=restorable,
            skipped=skipped,
            restorable_count=len(plan.restorable),
            skipped_count=len(plan.skipped),
        )
        return TemplateResponse(request, "integrity/rollback.html", context)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # An alert is the record that a check changed state (and whether it was delivered): kept.
    list_display = [
        "created_at",
        check_column,
        "from_state",
        "to_state",
        "count",
        "status",
        "attempts",
        "last_error",
    ]
    list_filter = ["status", "to_state", CheckFilter]
    # The check by its title, not its internal name.
    exclude = ["check_name"]
    readonly_fields = [check_column, *(f.name for f in Alert._meta.fields if f.name != "check_name")]



@admin.register(CheckState)
class CheckStateAdmin(admin.ModelAdmin):
    list_display = [check_column, "state", "count", "changed_at", "report"]
    exclude = ["check_name"]
    readonly_fields = [check_column, *(f.name for f in CheckState._meta.fields if f.name != "check_name")]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
