"""Admin for the Copper and Fishbowl mirrors.

Mirror rows (Copper companies, users, definitions, imported orders) are read-only here: they change only by a
pull or an import. Fishbowl customers are editable; a field a person changes is locked against the sync.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from customers.models import (
    AccountNumberOwner,
    CopperCompany,
    CopperUser,
    CustomFieldDefinition,
    FishbowlCustomer,
    SalesOrder,
    SalesOrderLine,
)


class ReadOnlyMirrorAdmin(SimpleHistoryAdmin):
    """A mirror of another system: viewable with history, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CopperUser)
class CopperUserAdmin(ReadOnlyMirrorAdmin):
    list_display = ["copper_id", "name", "email", "pulled_at"]
    search_fields = ["name", "email", "=copper_id"]


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(ReadOnlyMirrorAdmin):
    list_display = ["copper_id", "name", "data_type", "available_on", "pulled_at"]
    list_filter = ["data_type"]
    search_fields = ["name", "=copper_id"]


@admin.register(CopperCompany)
class CopperCompanyAdmin(ReadOnlyMirrorAdmin):
    list_display = [
        "name",
        "copper_id",
        "account_order_id",
        "is_active_customer",
        "account_type",
        "region",
        "assignee",
        "date_modified",
        "missing_from_copper_since",
    ]
    list_filter = [
        "is_active_customer",
        "account_type",
        "region",
        ("missing_from_copper_since", admin.EmptyFieldListFilter),
    ]
    search_fields = ["name", "=copper_id", "account_order_id", "account_number", "email_domain"]
    list_select_related = ["assignee"]
    date_hierarchy = "date_modified"
    show_full_result_count = False


@admin.register(FishbowlCustomer)
class FishbowlCustomerAdmin(SimpleHistoryAdmin):
    list_display = [
        "account_number",
        "name",
        "account_type",
        "sales_rep",
        "is_active",
        "copper_company",
        "source",
        "updated_at",
    ]
    list_filter = ["account_type", "source", "is_active", ("copper_company", admin.EmptyFieldListFilter)]
    search_fields = ["account_number", "name", "sales_rep", "=fishbowl_id"]
    list_select_related = ["copper_company"]
    raw_id_fields = ["copper_company"]
    readonly_fields = ["locked_fields", "created_at", "updated_at"]
    show_full_result_count = False


@admin.register(AccountNumberOwner)
class AccountNumberOwnerAdmin(SimpleHistoryAdmin):
    list_display = ["account_number", "company", "chosen_by", "chosen_at"]
    search_fields = ["account_number", "company__name"]
    raw_id_fields = ["company"]
    readonly_fields = ["chosen_by", "chosen_at"]


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
    list_display = ["number", "date_issued", "status", "customer", "customer_account_number", "sales_person"]
    list_filter = ["status", "sales_person", ("customer", admin.EmptyFieldListFilter)]
    search_fields = ["number", "customer_account_number", "customer_name", "sales_person"]
    list_select_related = ["customer"]
    date_hierarchy = "date_issued"
    inlines = [SalesOrderLineInline]
    show_full_result_count = False


@admin.register(SalesOrderLine)
class SalesOrderLineAdmin(ReadOnlyMirrorAdmin):
    list_display = ["order", "so_item_id", "product_number", "line_type", "quantity_fulfilled", "total_price"]
    list_filter = ["line_type"]
    search_fields = ["order__number", "product_number", "description"]
    list_select_related = ["order"]
    show_full_result_count = False
