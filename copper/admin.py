"""Admin for the Copper mirror: users, custom-field definitions and companies, read-only (a pull writes them)."""

from django.contrib import admin

from copper.models import CopperCompany, CopperUser, CustomFieldDefinition
from syncs.admin_base import ReadOnlyMirrorAdmin


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
from copper import admin_webhooks  # noqa: E402,F401,I001 - registers the webhook admin
