"""Sales metrics per Fishbowl customer linked to a Copper company (what a dry run would push), page by page.

Metrics are computed, not stored: each page pages over the linked customers' ids and computes the metrics of
that page's customers only (``metrics_for_customers(customer_ids=...)``, a constant number of aggregate queries),
so no request computes every customer at once. ``?format=csv`` streams every filtered customer in chunks.
"""

import datetime as dt

import django_filters
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from copperhub.api.renderers import csv_rows
from copperhub.api.views.base import IdFilter, ListApi
from customers.models import FishbowlCustomer, SalesOrder
from customers.selectors import copper_companies_active_with_number
from metrics.selectors import Metrics, metrics_for_customers
from metrics.values import products_text

CSV_CHUNK = 500
# Any real "as of" day; outside this range date arithmetic (a year back) would overflow.
AS_OF_RANGE = (dt.date(1900, 1, 1), dt.date(9998, 12, 31))
# The same range in the schema, so a tool (and schemathesis) knows which days are accepted.
AS_OF_SCHEMA = {
    "type": "string",
    "format": "date",
    "pattern": "^(19[0-9]{2}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-[0-9]{2}-[0-9]{2}$",
}


class MetricsOutput(serializers.Serializer):
    customer_id = serializers.IntegerField(help_text="The Fishbowl customer (local id).")
    account_number = serializers.CharField()
    copper_company_id = serializers.IntegerField()
    total_orders = serializers.IntegerField()
    total_spent = serializers.DecimalField(max_digits=16, decimal_places=2)
    average_order_value = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    first_order_date = serializers.DateField(allow_null=True)
    last_order_date = serializers.DateField(allow_null=True)
    days_since_last_order = serializers.IntegerField(allow_null=True)
    top_products = serializers.CharField(allow_blank=True, help_text='"SKU (qty), …", best first, at most 3.')
    sample_kit_sent = serializers.BooleanField()
    sample_kit_date = serializers.DateField(allow_null=True)
    spent_last_12_months = serializers.DecimalField(max_digits=16, decimal_places=2)


class MetricsQueryInput(serializers.Serializer):
    as_of = serializers.DateField(
        required=False, help_text="Day the relative metrics are taken at (default today)."
    )

    def validate_as_of(self, value: dt.date) -> dt.date:
        if not AS_OF_RANGE[0] <= value <= AS_OF_RANGE[1]:
            raise ValidationError(f"Give a day between {AS_OF_RANGE[0]} and {AS_OF_RANGE[1]}.")
        return value


def _row(customer: FishbowlCustomer, metrics: Metrics) -> dict:
    return {
        "customer_id": customer.pk,
        "account_number": customer.account_number,
        "copper_company_id": metrics.copper_company_id,
        "total_orders": metrics.total_orders,
        "total_spent": metrics.total_spent,
        "average_order_value": metrics.average_order_value,
        "first_order_date": metrics.first_order_date,
        "last_order_date": metrics.last_order_date,
        "days_since_last_order": metrics.days_since_last_order,
        "top_products": products_text(metrics.top_products),
        "sample_kit_sent": metrics.sample_kit_sent,
        "sample_kit_date": metrics.sample_kit_date,
        "spent_last_12_months": metrics.spent_last_12_months,
    }


def _rows(customers: list[FishbowlCustomer], as_of: dt.date | None) -> list[dict]:
    metrics = metrics_for_customers(customer_ids=[c.pk for c in customers], as_of=as_of)
    return [_row(c, metrics[c.pk]) for c in customers if c.pk in metrics]


class MetricsFilter(django_filters.FilterSet):
    customer_id = IdFilter(field_name="id")
    copper_company_id = IdFilter()

    class Meta:
        model = FishbowlCustomer
        fields = ["account_number"]


class MetricsListApi(ListApi):
    """Sales metrics of each Fishbowl customer linked to a Copper company (the numbers a dry run pushes)."""

    serializer_class = MetricsOutput
    filterset_class = MetricsFilter
    ordering_fields = ["id"]
    ordering = ["id"]
    csv_filename = "metrics.csv"
    queryset = FishbowlCustomer.objects.all()  # the model, for filters and the schema
    read_models = [FishbowlCustomer, SalesOrder]  # the metrics are sums over the customers' orders

    def get_queryset(self):
        linked = FishbowlCustomer.objects.filter(copper_company__in=copper_companies_active_with_number())
        return linked.only("id", "account_number", "copper_company_id")

    @extend_schema(parameters=[OpenApiParameter("as_of", AS_OF_SCHEMA, description="YYYY-MM-DD; default today.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        query = MetricsQueryInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of")
        queryset = self.filter_queryset(self.get_queryset())
        if getattr(request.accepted_renderer, "format", None) == "csv":
            fields = list(MetricsOutput().fields)
            response = StreamingHttpResponse(
                csv_rows(self._csv_data(queryset, as_of), fields), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{self.csv_filename}"'
            return response
        page = self.paginate_queryset(queryset)
        data = MetricsOutput(_rows(list(page), as_of), many=True).data
        return self.get_paginated_response(data)

    def _csv_data(self, queryset, as_of):
        chunk: list[FishbowlCustomer] = []
        for customer in queryset.iterator(chunk_size=2000):
            chunk.append(customer)
            if len(chunk) == CSV_CHUNK:
                yield from MetricsOutput(_rows(chunk, as_of), many=True).data
                chunk = []
        if chunk:
            yield from MetricsOutput(_rows(chunk, as_of), many=True).data
