"""Admin for the Copper mirror: users, custom-field definitions and companies, read-only (a pull writes them)."""

import datetime as dt

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils import timezone

from copper.custom_fields_display import custom_field_rows
from copper.models import CopperCompany, CopperUser, CustomFieldDefinition
from copper.selectors import custom_field_catalog
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
        "assignee_name",
        "modified",
        "missing_since",
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
    # The raw list (ids, option ids, unix seconds) is replaced by a labelled table of typed values.
    exclude = ["custom_fields"]
    readonly_fields = ["custom_fields_table"]

    def get_object(self, request, object_id, from_field=None):
        """The company, with the definitions catalog read once for its custom-field table."""
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            try:
                obj._custom_field_catalog = custom_field_catalog()
            except ImproperlyConfigured as exc:  # a bad COPPER_TIMEZONE: say so, read Dates in UTC
                obj._custom_field_catalog_problem = str(exc)
                obj._custom_field_catalog = custom_field_catalog(tz=dt.UTC)
        return obj

    # Plain text that wraps (a linked foreign key and a full timestamp do not): the list fits 1400 px.
    @admin.display(description="Assignee", ordering="assignee__name")
    def assignee_name(self, obj):
        return obj.assignee.name if obj.assignee else "—"

    @admin.display(description="Modified in Copper", ordering="date_modified")
    def modified(self, obj):
        return f"{timezone.localtime(obj.date_modified):%Y-%m-%d %H:%M}" if obj.date_modified else "—"

    @admin.display(description="Missing since", ordering="missing_from_copper_since")
    def missing_since(self, obj):
        return f"{timezone.localtime(obj.missing_from_copper_since):%Y-%m-%d}" if obj.missing_from_copper_since else "—"

    @admin.display(description="Custom fields")
    def custom_fields_table(self, obj):
        catalog = getattr(obj, "_custom_field_catalog", None) or custom_field_catalog(tz=dt.UTC)
        return render_to_string(
            "copper/custom_fields_table.html",
            {
                "rows": custom_field_rows(obj.custom_fields, catalog),
                "problem": getattr(obj, "_custom_field_catalog_problem", ""),
            },
        )


from copper import admin_webhooks  # noqa: E402,F401,I001 - registers the webhook admin
