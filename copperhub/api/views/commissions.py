"""Commission lines, the monthly report (the same numbers as the admin report) and starting a calculation."""

from decimal import Decimal

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from commissions.models import CommissionLine
from commissions.months import month_parse
from commissions.selectors import (
    commission_month_totals,
    commission_rep_summary,
    commission_unattributed_summary,
)
from commissions.services import commission_calculate_start
from copperhub.api.errors import StateConflict
from copperhub.api.views.base import ListApi
from copperhub.api.views.syncs import SyncRunOutput
from syncs.models import SyncRun
from syncs.services.runs import SyncRunAlreadyActive, sync_run_permission


def _money_as_text(value):
    """Money stays exact in JSON: Decimals become strings, as in every other endpoint."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _money_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_money_as_text(item) for item in value]
    return value


def _month(value: str | None, *, field: str = "month"):
    try:
        return month_parse(value or "")
    except (ValueError, TypeError) as exc:
        raise ValidationError({field: [str(exc)]}) from None


class CommissionLineOutput(serializers.ModelSerializer):
    rep_name = serializers.CharField(source="rep.name", default=None, allow_null=True, read_only=True)

    class Meta:
        model = CommissionLine
        fields = [
            "id", "month", "order_id", "order_number", "date_issued", "sales_person", "rep_id", "rep_name",
            "customer_id", "customer_account_number", "segment", "customer_status", "status_pinned", "revenue",
            "base", "rate", "amount", "spiff_amount", "override_applied", "attributed", "reason",
        ]  # fmt: skip


# Months 1900-01 to 9999-12, as commissions.months.month_parse reads them.
MONTH_SCHEMA = {"type": "string", "pattern": "^(19[0-9]{2}|[2-9][0-9]{3})-(0[1-9]|1[0-2])$"}


@extend_schema_field(MONTH_SCHEMA)
class MonthFilter(django_filters.CharFilter):
    pass


class CommissionLineFilter(django_filters.FilterSet):
    month = MonthFilter(method="filter_month", help_text="YYYY-MM")

    class Meta:
        model = CommissionLine
        fields = ["attributed", "reason", "sales_person", "segment", "customer_status"]

    def filter_month(self, queryset, name, value):
        return queryset.filter(month=_month(value))


class CommissionLineListApi(ListApi):
    """One line per order and month: who is paid what and why, including unattributed orders."""

    serializer_class = CommissionLineOutput
    filterset_class = CommissionLineFilter
    ordering_fields = ["id", "month", "order_number", "amount", "revenue"]
    ordering = ["id"]
    csv_filename = "commission_lines.csv"

    def get_queryset(self):
        return CommissionLine.objects.select_related("rep")


class CommissionReportOutput(serializers.Serializer):
    month = serializers.CharField()
    totals = serializers.DictField()
    reps = serializers.ListField(child=serializers.DictField())
    unattributed = serializers.DictField()


class CommissionReportApi(APIView):
    """The monthly report: totals, the summary per rep, and unattributed orders by reason."""

    read_models = [CommissionLine]

    @extend_schema(
        parameters=[OpenApiParameter("month", MONTH_SCHEMA, required=True, description="YYYY-MM")],
        responses={200: CommissionReportOutput},
    )
    def get(self, request):
        month = _month(request.query_params.get("month"))
        data = {
            "month": month.strftime("%Y-%m"),
            "totals": commission_month_totals(month=month),
            "reps": commission_rep_summary(month=month),
            "unattributed": commission_unattributed_summary(month=month),
        }
        return Response(CommissionReportOutput(_money_as_text(data)).data)


class CommissionCalculationInput(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    sales_person = serializers.CharField(required=False, allow_blank=True, max_length=64)


class CommissionCalculationStartApi(APIView):
    """Recalculate a month (replacing its lines, keeping overrides) as a run with progress."""

    @property
    def required_permission(self) -> str:
        return sync_run_permission(kind=SyncRun.Kind.COMMISSIONS)

    @extend_schema(request=CommissionCalculationInput, responses={202: SyncRunOutput})
    def post(self, request):
        serializer = CommissionCalculationInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        month = _month(serializer.validated_data["month"])
        try:
            run = commission_calculate_start(
                month=month, sales_person=serializer.validated_data.get("sales_person"), user=request.user
            )
        except SyncRunAlreadyActive as exc:
            raise StateConflict(str(exc)) from None
        return Response(SyncRunOutput(run).data, status=status.HTTP_202_ACCEPTED)
