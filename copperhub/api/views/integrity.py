"""Integrity reports with their findings, the health summary the admin dashboard shows, and running checks."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from copperhub.api.views.base import DetailApi, ListApi, UtcIsoDateTimeFilter
from copperhub.api.views.syncs import StartRunApi, SyncRunOutput
from integrity.models import CheckResultRecord, IntegrityReport
from integrity.selectors import dashboard, last_runs
from syncs.models import SyncRun


class CheckResultOutput(serializers.ModelSerializer):
    class Meta:
        model = CheckResultRecord
        fields = ["check_name", "title", "state", "count", "numbers", "findings", "note"]


class IntegrityReportOutput(serializers.ModelSerializer):
    class Meta:
        model = IntegrityReport
        fields = ["id", "created_at", "trigger", "run_id", "state", "summary", "duration_seconds"]


class IntegrityReportDetailOutput(IntegrityReportOutput):
    results = CheckResultOutput(many=True, read_only=True)

    class Meta(IntegrityReportOutput.Meta):
        fields = [*IntegrityReportOutput.Meta.fields, "results"]


class IntegrityReportFilter(django_filters.FilterSet):
    created_from = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = IntegrityReport
        fields = ["state", "trigger"]


class IntegrityReportListApi(ListApi):
    """Stored integrity reports, newest first (one after every sync, schedule or request)."""

    serializer_class = IntegrityReportOutput
    filterset_class = IntegrityReportFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]
    csv_filename = "integrity_reports.csv"
    queryset = IntegrityReport.objects.all()


class IntegrityReportDetailApi(DetailApi):
    """One report with every check's state, counts and (capped) findings."""

    serializer_class = IntegrityReportDetailOutput
    queryset = IntegrityReport.objects.prefetch_related("results")


class HealthCheckOutput(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    count = serializers.IntegerField()
    numbers = serializers.DictField()
    note = serializers.CharField(allow_blank=True)


class HealthRunOutput(serializers.Serializer):
    kind = serializers.CharField()
    status = serializers.CharField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    last_success = serializers.DateTimeField(allow_null=True)


class HealthOutput(serializers.Serializer):
    state = serializers.CharField(allow_null=True)
    report_id = serializers.IntegerField(allow_null=True)
    report_created_at = serializers.DateTimeField(allow_null=True)
    checks = HealthCheckOutput(many=True)
    chain = serializers.DictField(child=serializers.IntegerField(allow_null=True))
    runs = HealthRunOutput(many=True)


class HealthApi(APIView):
    """The health dashboard in one document: each check's state and count, the chain, the last runs."""

    read_models = [IntegrityReport]  # the admin's health board shows the same counts

    @extend_schema(responses={200: HealthOutput})
    def get(self, request):
        data = dashboard()
        report = data["report"]
        body = {
            "state": report.state if report else None,
            "report_id": report.pk if report else None,
            "report_created_at": report.created_at if report else None,
            "checks": data["checks"],
            "chain": {row["key"]: row["value"] for row in data["chain"]},
            "runs": [
                {
                    "kind": row["kind"],
                    "status": row["run"].status if row["run"] else None,
                    "finished_at": row["run"].finished_at if row["run"] else None,
                    "last_success": row["last_success"],
                }
                # Every kind, the integrity runs included (the board says when checks last ran in its header).
                for row in last_runs()
            ],
        }
        return Response(HealthOutput(body).data)


class IntegrityCheckStartApi(StartRunApi):
    """Run every integrity check now (stores a report; alerts only on a change of state)."""

    kind = SyncRun.Kind.INTEGRITY

    @extend_schema(request=None, responses={202: SyncRunOutput})
    def post(self, request):
        return super().post(request)
