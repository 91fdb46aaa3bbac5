"""The month's commission reconciliation: orders and revenue at each step of the chain, and what fell out where.

The same numbers as the admin commission report's "Where the revenue went" (``commissions.reconciliation``).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from commissions.models import CommissionLine
from commissions.reconciliation import commission_reconciliation
from copperhub.api.views.commissions import MONTH_SCHEMA, _money_as_text, _month
from customers.models import SalesOrder


class CommissionReconciliationOutput(serializers.Serializer):
    month = serializers.CharField()
    total = serializers.DictField(help_text="Every order issued in the month: orders and revenue.")
    paid = serializers.DictField(help_text="Orders paid on a commission line: orders, revenue, commission.")
    unattributed = serializers.DictField()
    excluded = serializers.DictField(
        help_text="Not counted, duplicates, not calculated yet, and unpaid lines."
    )
    reconciles = serializers.BooleanField(help_text="paid + unattributed + excluded == total, to the cent.")
    steps = serializers.ListField(
        child=serializers.DictField(),
        help_text="imported → linked → attributed → paid: what remains at each step and what fell out, why.",
    )
    duplicates = serializers.ListField(child=serializers.DictField())
    stale_lines = serializers.DictField(help_text="Lines a recalculation would remove.")


class CommissionReconciliationApi(APIView):
    """Where every dollar of a month's orders went, step by step (read-only)."""

    # It reads orders and commission lines: the same two view permissions the admin report needs.
    read_models = [SalesOrder, CommissionLine]

    @extend_schema(
        parameters=[OpenApiParameter("month", MONTH_SCHEMA, required=True, description="YYYY-MM")],
        responses={200: CommissionReconciliationOutput},
    )
    def get(self, request):
        month = _month(request.query_params.get("month"))
        data = commission_reconciliation(month=month)
        return Response(CommissionReconciliationOutput(_money_as_text(data)).data)
