"""Sync runs: read with live progress (the numbers the admin progress page shows) and start new ones."""

import django_filters
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from copperhub.api.errors import StateConflict
from copperhub.api.views.base import DetailApi, ListApi, UtcIsoDateTimeFilter
from syncs.models import SyncRun
from syncs.progress import progress_snapshot
from syncs.services.runs import (
    SyncRunAlreadyActive,
    SyncRunPermissionDenied,
    sync_run_permission,
    sync_run_start,
)


class SyncRunOutput(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    progress_url = serializers.SerializerMethodField()
    admin_progress_url = serializers.SerializerMethodField()
    started_by = serializers.CharField(
        source="started_by.get_username", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = SyncRun
        fields = [
            "id", "kind", "status", "options", "step", "total", "processed", "created", "updated", "unchanged",
            "skipped", "errors", "counts", "message", "started_by", "queued_at", "started_at", "finished_at",
            "progress", "progress_url", "admin_progress_url",
        ]  # fmt: skip

    def get_progress(self, obj) -> dict:
        return progress_snapshot(obj)

    def get_progress_url(self, obj) -> str:
        return reverse("api:sync-run-detail", args=[obj.pk])

    def get_admin_progress_url(self, obj) -> str:
        try:
            return reverse("admin:syncs_syncrun_progress", args=[obj.pk])
        except Exception:
            return reverse("admin:syncs_syncrun_change", args=[obj.pk])


class SyncRunFilter(django_filters.FilterSet):
    queued_from = UtcIsoDateTimeFilter(field_name="queued_at", lookup_expr="gte")

    class Meta:
        model = SyncRun
        fields = ["kind", "status"]


class SyncRunListApi(ListApi):
    """Every long job (pull, customer sync, metrics, commissions, integrity) with its progress."""

    serializer_class = SyncRunOutput
    filterset_class = SyncRunFilter
    ordering_fields = ["id", "queued_at"]
    ordering = ["-id"]
    csv_filename = "sync_runs.csv"

    def get_queryset(self):
        return SyncRun.objects.select_related("started_by")


class SyncRunDetailApi(DetailApi):
    """One run; poll it for live progress."""

    serializer_class = SyncRunOutput

    def get_queryset(self):
        return SyncRun.objects.select_related("started_by")


class StartRunApi(APIView):
    """Start a run of ``kind``; 202 with the run and its progress URL, 409 if one is already active."""

    kind: str

    @property
    def required_permission(self) -> str:
        """The kind's one permission, the same the admin and the dashboard ask for."""
        return sync_run_permission(kind=self.kind)

    InputSerializer = serializers.Serializer

    def options_from(self, data: dict) -> dict:
        return dict(data)

    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            run = sync_run_start(
                kind=self.kind, user=request.user, options=self.options_from(serializer.validated_data)
            )
        except SyncRunAlreadyActive as exc:
            raise StateConflict(str(exc)) from None
        except SyncRunPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(SyncRunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class CopperPullStartInput(serializers.Serializer):
    full = serializers.BooleanField(
        default=False, help_text="Refresh everything and mark vanished companies."
    )


class CustomerSyncStartInput(serializers.Serializer):
    apply = serializers.BooleanField(default=False, help_text="False: dry run (writes nothing).")


class CopperPullStartApi(StartRunApi):
    kind = SyncRun.Kind.COPPER_PULL
    InputSerializer = CopperPullStartInput

    @extend_schema(request=CopperPullStartInput, responses={202: SyncRunOutput})
    def post(self, request):
        return super().post(request)


class CustomerSyncStartApi(StartRunApi):
    kind = SyncRun.Kind.CUSTOMER_SYNC
    InputSerializer = CustomerSyncStartInput

    @extend_schema(request=CustomerSyncStartInput, responses={202: SyncRunOutput})
    def post(self, request):
        return super().post(request)


class MetricsDryRunStartApi(StartRunApi):
    kind = SyncRun.Kind.METRICS_DRY_RUN

    @extend_schema(request=None, responses={202: SyncRunOutput})
    def post(self, request):
        return super().post(request)
