"""Admin for the Fishbowl mirrors and the customer sync.

Imported orders are read-only here: they change only by an import. Fishbowl customers are editable; a field a
person changes is locked against the sync.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.admin import SimpleHistoryAdmin

from copper.models import CopperCompany
from customers.admin_import import fishbowl_import_urls
from customers.models import AccountNumberOwner, FishbowlCustomer, SalesOrder, SalesOrderLine
from customers.selectors import (
    account_number_conflicts,
    customer_sync_flag_counts,
    customer_sync_latest_preview_run,
    customer_sync_preview,
)
from customers.services.sync import (
    LOCKABLE_FIELDS,
    account_number_owner_choose,
    customer_fields_unlock,
    customer_locked_fields,
)
from syncs.admin_base import ReadOnlyMirrorAdmin
from syncs.admin_views import run_progress_url
from syncs.models import SyncRun
from syncs.services.runs import (
    SyncRunAlreadyActive,
    SyncRunPermissionDenied,
    sync_run_may_start,
    sync_run_start,
)


def sync_flag_words() -> dict[str, str]:
    """What each kind of entry the customer sync flags means, for the confirmation page."""
    return {
        "duplicate_account_number": "Account number held by several active Copper companies (not linked)",
        "invalid_account_number": "Account number that is not a valid number (skipped)",
        "unknown_account_type": "Account type the mapping does not know",
        "locked_field_differs": "Field changed by hand here, differs from Copper (kept)",
        "probable_match_by_name": "Customer that probably matches a company by name (not linked)",
        "linked_company_inactive": "Customer linked to a company that is no longer an active customer",
        "linked_company_id_changed": "Customer whose Copper company lost or changed its account number",
        "page_failed": "Batch that failed (the run went on)",
    }


@admin.register(FishbowlCustomer)
class FishbowlCustomerAdmin(SimpleHistoryAdmin):
    """Customers are editable; every field a person changes here is locked against the customer sync."""

    list_display = [
        "account_number",
        "name",
        "account_type",
        "sales_rep",
        "is_active",
        "copper_company_name",
        "source",
        "locked_fields_text",
        "updated_text",
    ]
    list_filter = ["account_type", "source", "is_active", ("copper_company", admin.EmptyFieldListFilter)]
    search_fields = ["account_number", "name", "sales_rep", "=fishbowl_id"]
    list_select_related = ["copper_company"]
    raw_id_fields = ["copper_company"]
    readonly_fields = ["locked_fields", "created_at", "updated_at"]
    # Fishbowl's own keys: an import matches its rows by them, so an edit here would split a customer in two.
    FISHBOWL_KEYS = ["fishbowl_id", "account_number"]
    show_full_result_count = False
    actions = ["unlock_fields"]

    def get_readonly_fields(self, request, obj=None):
        keys = self.FISHBOWL_KEYS if obj is not None else []
        return [*keys, *super().get_readonly_fields(request, obj)]

    def has_delete_permission(self, request, obj=None):
        # Deleting a customer loses its history and unlinks its orders and its Copper company (commissions and
        # the sync would lose track of it): a customer that is gone is marked inactive instead.
        return False

    def save_model(self, request, obj, form, change):
        """A hand edit of a field the sync manages locks that field (the sync reports, never overwrites it)."""
        if change:
            obj.locked_fields = customer_locked_fields(customer=obj, changed=form.changed_data)
        super().save_model(request, obj, form, change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        for name in LOCKABLE_FIELDS:
            if name in form.base_fields:
                form.base_fields[name].help_text = (
                    "Changing this here locks it: the customer sync will report differences instead of "
                    "overwriting it (until “Let the sync manage these fields again”)."
                )
        if "is_active" in form.base_fields:
            form.base_fields["is_active"].help_text = (
                "Untick to retire this customer. Customers are never deleted here: deleting one would lose its "
                "history and its links to its orders and its Copper company."
            )
        if "copper_company" in form.base_fields:
            form.base_fields["copper_company"].help_text = (
                "Set by the customer sync from the account number. To give a number claimed by several "
                "companies to one of them, choose its owner under Account number conflicts."
            )
        return form

    # A foreign key column never wraps in the admin's lists; these names are long, so they are shown as text.
    @admin.display(description="Copper company", ordering="copper_company__name")
    def copper_company_name(self, customer: FishbowlCustomer) -> str:
        return customer.copper_company.name if customer.copper_company_id else "–"

    @admin.display(description="Locked fields")
    def locked_fields_text(self, customer: FishbowlCustomer) -> str:
        names = [FishbowlCustomer._meta.get_field(name).verbose_name for name in customer.locked_fields or []]
        return ", ".join(names).capitalize() if names else "–"

    @admin.display(description="Updated", ordering="updated_at")
    def updated_text(self, customer: FishbowlCustomer) -> str:
        """Date and time as text, so the two may wrap onto two lines (a date column never wraps)."""
        return date_format(timezone.localtime(customer.updated_at), "DATETIME_FORMAT")

    @admin.action(description="Let the sync manage these fields again", permissions=["change"])
    def unlock_fields(self, request, queryset):
        count = customer_fields_unlock(customers=list(queryset), user=request.user)
        self.message_user(request, f"{count} customer(s) handed back to the customer sync.", messages.SUCCESS)

    # --- customer sync preview and account-number conflicts -------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("sync/", view(self.sync_start_view), name="customers_customer_sync"),
            path("sync/<int:run_id>/", view(self.sync_preview_view), name="customers_customer_sync_preview"),
            path(
                "sync/<int:run_id>/confirm/", view(self.sync_confirm_view), name="customers_customer_sync_confirm"
            ),
            path("conflicts/", view(self.conflicts_view), name="customers_account_number_conflicts"),
            *fishbowl_import_urls(self),
            *super().get_urls(),
        ]

    def _start_run(self, request, *, apply: bool, parent: SyncRun | None = None) -> SyncRun:
        """Start a customer sync for the requesting user (the active one if the kind is busy)."""
        try:
            return sync_run_start(
                kind=SyncRun.Kind.CUSTOMER_SYNC, user=request.user, options={"apply": apply}, parent=parent
            )
        except SyncRunPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except SyncRunAlreadyActive as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return exc.run

    def sync_start_view(self, request):
        """GET: the latest dry run and a button; POST: start a dry run and show its preview page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            run = self._start_run(request, apply=False)
            return HttpResponseRedirect(reverse("admin:customers_customer_sync_preview", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Customer sync",
            "latest": customer_sync_latest_preview_run(),
            "can_start": sync_run_may_start(user=request.user, kind=SyncRun.Kind.CUSTOMER_SYNC),
        }
        return TemplateResponse(request, "admin/customers/customer_sync_start.html", context)

    def _preview_of(self, request, run_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(SyncRun, pk=run_id, kind=SyncRun.Kind.CUSTOMER_SYNC)
        preview = customer_sync_preview(run=run)
        # Only a finished dry run that would create or update something can be confirmed.
        confirmable = preview.is_dry_run and run.status == SyncRun.Status.SUCCEEDED and preview.has_changes
        return run, preview, confirmable

    def sync_preview_view(self, request, run_id: int):
        """What a customer-sync run would do (dry run) or did; a finished dry run with something to create or
        update offers “Confirm and apply” (its confirmation page), one with nothing says so."""
        run, preview, confirmable = self._preview_of(request, run_id)
        if request.method == "POST":
            return HttpResponseRedirect(reverse("admin:customers_customer_sync_confirm", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Customer sync {'preview' if preview.is_dry_run else 'result'}: run #{run.pk}",
            "run": run,
            "preview": preview,
            "progress_url": run_progress_url(run),
            "nothing_to_apply": preview.is_dry_run and run.status == SyncRun.Status.SUCCEEDED
            and not preview.has_changes,
            "can_apply": confirmable
            and sync_run_may_start(user=request.user, kind=SyncRun.Kind.CUSTOMER_SYNC),
            "confirm_url": reverse("admin:customers_customer_sync_confirm", args=[run.pk]),
        }
        return TemplateResponse(request, "admin/customers/customer_sync_preview.html", context)

    def sync_confirm_view(self, request, run_id: int):
        """GET: what applying the dry run will create, update and flag, with counts; POST: start the apply
        (a new run, on the data as it is then) and open its progress page."""
        run, preview, confirmable = self._preview_of(request, run_id)
        back = reverse("admin:customers_customer_sync_preview", args=[run.pk])
        if not confirmable:
            self.message_user(
                request,
                "Nothing to apply: this run created or updated nothing."
                if preview.is_dry_run and run.status == SyncRun.Status.SUCCEEDED
                else "Only a finished dry run can be confirmed.",
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        if request.method == "POST":
            applied = self._start_run(request, apply=True, parent=run)
            return HttpResponseRedirect(run_progress_url(applied))
        words = sync_flag_words()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Apply customer sync run #{run.pk}?",
            "run": run,
            "preview": preview,
            "back_url": back,
            "flags": [
                (words.get(code, code.replace("_", " ").capitalize()), n)
                for code, n in customer_sync_flag_counts(run=run)
            ],
            "can_apply": sync_run_may_start(user=request.user, kind=SyncRun.Kind.CUSTOMER_SYNC),
        }
        return TemplateResponse(request, "admin/customers/customer_sync_confirm.html", context)

    def conflicts_view(self, request):
        """Account numbers on several active companies; a person chooses the owner, remembered by later syncs."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            if not request.user.has_perm("customers.add_accountnumberowner"):
                raise PermissionDenied
            number = request.POST.get("account_number", "")
            company = CopperCompany.objects.filter(pk=request.POST.get("company") or 0).first()
            if company is None:
                self.message_user(
                    request, f"Choose a company to own account number {number}.", messages.ERROR
                )
            else:
                try:
                    account_number_owner_choose(
                        account_number=number,
                        company=company,
                        user=request.user,
                        note=request.POST.get("note", ""),
                    )
                except ValueError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"Account number {number} now belongs to #{company.pk} {company.name}; the next customer "
                        "sync links its customer to that company.",
                        messages.SUCCESS,
                    )
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Account number conflicts",
            "conflicts": account_number_conflicts(),
            "can_choose": request.user.has_perm("customers.add_accountnumberowner"),
        }
        return TemplateResponse(request, "admin/customers/account_number_conflicts.html", context)


@admin.register(AccountNumberOwner)
class AccountNumberOwnerAdmin(SimpleHistoryAdmin):
    list_display = ["account_number", "company", "chosen_by", "chosen_at"]
    search_fields = ["account_number", "company__name"]
    raw_id_fields = ["company"]
    readonly_fields = ["chosen_by", "chosen_at"]

    def save_model(self, request, obj, form, change):
        """The person who saves the choice is the one who made it (the conflicts page records it the same way)."""
        obj.chosen_by = request.user
        super().save_model(request, obj, form, change)


class SalesOrderLineInline(admin.TabularInline):
    model = SalesOrderLine
    extra = 0
    can_delete = False
    fields = [
        "so_item_id",
        "product_number",
        "description",
        "line_type",
        "quantity_fulfilled",
        "unit_price",
        "total_price",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SalesOrder)
class SalesOrderAdmin(ReadOnlyMirrorAdmin):
    list_display = [
        "number",
        "date_issued",
        "status",
        "customer_text",
        "customer_account_number",
        "sales_person",
    ]
    list_filter = ["status", "sales_person", ("customer", admin.EmptyFieldListFilter)]
    search_fields = ["number", "customer_account_number", "customer_name", "sales_person"]
    list_select_related = ["customer"]
    date_hierarchy = "date_issued"
    inlines = [SalesOrderLineInline]
    show_full_result_count = False

    @admin.display(description="Customer", ordering="customer__name")
    def customer_text(self, order: SalesOrder) -> str:
        """The linked customer's name, as text: a foreign key column would not wrap a long name."""
        return order.customer.name if order.customer_id else "–"


@admin.register(SalesOrderLine)
class SalesOrderLineAdmin(ReadOnlyMirrorAdmin):
    list_display = ["order", "so_item_id", "product_number", "line_type", "quantity_fulfilled", "total_price"]
    list_filter = ["line_type"]
    search_fields = ["order__number", "product_number", "description"]
    list_select_related = ["order"]
    show_full_result_count = False
