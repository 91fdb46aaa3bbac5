"""Read endpoints over the Copper and Fishbowl mirrors."""

import django_filters
from django.db.models import Count, DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from rest_framework import serializers

from copper.models import CopperCompany
from copperhub.api.views.base import DetailApi, IdFilter, ListApi, UtcIsoDateTimeFilter
from customers.models import FishbowlCustomer, SalesOrder


class CopperCompanyOutput(serializers.ModelSerializer):
    assignee_name = serializers.CharField(source="assignee.name", default=None, allow_null=True, read_only=True)
    fishbowl_account_number = serializers.SerializerMethodField()

    class Meta:
        model = CopperCompany
        fields = [
            "copper_id", "name", "assignee_id", "assignee_name", "contact_type_id", "email_domain", "address", "tags",
            "account_order_id", "account_number", "is_active_customer", "account_type", "region",
            "fishbowl_sales_person", "fishbowl_account_number", "date_created", "date_modified", "pulled_at",
            "missing_from_copper_since", "custom_fields",
        ]  # fmt: skip

    def get_fishbowl_account_number(self, obj) -> str | None:
        customer = getattr(obj, "fishbowl_customer", None)
        return customer.account_number if customer else None


class CopperCompanyFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    modified_since = UtcIsoDateTimeFilter(field_name="date_modified", lookup_expr="gte")
    assignee_id = IdFilter()
    has_fishbowl_customer = django_filters.BooleanFilter(
        field_name="fishbowl_customer", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = CopperCompany
        fields = ["is_active_customer", "account_number", "account_type", "region"]


class CopperCompanyListApi(ListApi):
    """Copper companies as last pulled."""

    serializer_class = CopperCompanyOutput
    filterset_class = CopperCompanyFilter
    ordering_fields = ["copper_id", "name", "date_modified"]
    ordering = ["copper_id"]
    csv_filename = "copper_companies.csv"

    def get_queryset(self):
        return CopperCompany.objects.select_related("assignee", "fishbowl_customer")


class CopperCompanyDetailApi(DetailApi):
    serializer_class = CopperCompanyOutput
    lookup_field = "copper_id"

    def get_queryset(self):
        return CopperCompany.objects.select_related("assignee", "fishbowl_customer")


class FishbowlCustomerOutput(serializers.ModelSerializer):
    class Meta:
        model = FishbowlCustomer
        fields = [
            "id", "account_number", "fishbowl_id", "name", "account_type", "sales_rep", "is_active",
            "copper_company_id", "region", "billing_address", "shipping_address", "source", "locked_fields",
            "created_at", "updated_at",
        ]  # fmt: skip


class FishbowlCustomerFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    linked = django_filters.BooleanFilter(field_name="copper_company", lookup_expr="isnull", exclude=True)
    copper_company_id = IdFilter()

    class Meta:
        model = FishbowlCustomer
        fields = ["account_number", "account_type", "sales_rep", "is_active", "source"]


class FishbowlCustomerListApi(ListApi):
    """Fishbowl customers (the local ``fishbowl_customers`` table)."""

    serializer_class = FishbowlCustomerOutput
    filterset_class = FishbowlCustomerFilter
    ordering_fields = ["id", "account_number", "name", "updated_at"]
    ordering = ["id"]
    csv_filename = "fishbowl_customers.csv"

    def get_queryset(self):
        return FishbowlCustomer.objects.all()


class FishbowlCustomerDetailApi(DetailApi):
    serializer_class = FishbowlCustomerOutput
    queryset = FishbowlCustomer.objects.all()


class SalesOrderOutput(serializers.ModelSerializer):
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    status_name = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = SalesOrder
        fields = [
            "id", "number", "fishbowl_id", "customer_id", "customer_account_number", "customer_name", "status",
            "status_name", "date_issued", "sales_person", "sales_rep", "revenue", "line_count",
        ]  # fmt: skip


class SalesOrderFilter(django_filters.FilterSet):
    issued_from = django_filters.DateFilter(field_name="date_issued", lookup_expr="gte")
    issued_to = django_filters.DateFilter(field_name="date_issued", lookup_expr="lte")
    unmatched = django_filters.BooleanFilter(field_name="customer", lookup_expr="isnull")
    customer_id = IdFilter()

    class Meta:
        model = SalesOrder
        fields = ["status", "sales_person", "customer_account_number"]


class SalesOrderListApi(ListApi):
    """Fishbowl sales orders with their revenue (sum of lines)."""

    serializer_class = SalesOrderOutput
    filterset_class = SalesOrderFilter
    ordering_fields = ["id", "number", "date_issued"]
    ordering = ["id"]
    csv_filename = "sales_orders.csv"

    def get_queryset(self):
        return SalesOrder.objects.annotate(
            revenue=Coalesce(
                Sum("lines__total_price"),
                Value(0),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            ),
            line_count=Count("lines"),
        )


class SalesOrderDetailApi(DetailApi):
    serializer_class = SalesOrderOutput

    def get_queryset(self):
        return SalesOrderListApi.get_queryset(self)
