"""Metric change sets: read them with their changes, and approve / reject / apply / roll back them.

Writes follow the admin exactly: approve and reject call the change-set services; apply starts a SyncRun (the
worker calls the service); roll back builds a rollback change set awaiting a second person's approval. The services' typed errors keep their status (409 state conflict,
403 permission, 400 otherwise) and their message, in the API's JSON error shape.
"""

import django_filters
from django.db.models import Count
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from copperhub.api.errors import StateConflict
from copperhub.api.views.base import DetailApi, IdFilter, ListApi, UtcIsoDateTimeFilter
from copperhub.api.views.syncs import SyncRunOutput
from metrics.models import Change, ChangeSet
from metrics.services.changesets import ChangeSetError, change_set_approve, change_set_reject
from metrics.services.starts import change_set_apply_start, change_set_rollback_start
from syncs.services.runs import SyncRunAlreadyActive

Status = ChangeSet.Status
USERS = ["built_by", "approved_by", "rejected_by", "applied_by", "rolled_back_by"]


class ChangeSetRefused(exceptions.APIException):
    """A ``ChangeSetError`` as an API error: the service decides the status and the words."""

    CODES = {403: "permission_denied", 409: "conflict"}

    def __init__(self, error: ChangeSetError) -> None:
        self.status_code = error.http_status
        super().__init__(detail=error.user_message, code=self.CODES.get(error.http_status, "refused"))


def _username(field: str) -> serializers.CharField:
    return serializers.CharField(
        source=f"{field}.get_username", default=None, allow_null=True, read_only=True
    )


class ChangeSetOutput(serializers.ModelSerializer):
    built_by = _username("built_by")
    approved_by = _username("approved_by")
    rejected_by = _username("rejected_by")
    applied_by = _username("applied_by")
    rolled_back_by = _username("rolled_back_by")
    changes_url = serializers.SerializerMethodField()

    class Meta:
        model = ChangeSet
        fields = [
            "id", "status", "built_by", "built_at", "approved_by", "approved_at", "rejected_by", "rejected_at",
            "rejection_reason", "applied_by", "applied_at", "rolled_back_by", "rolled_back_at", "counts",
            "source_run_id", "apply_run_id", "rollback_of_id", "changes_url",
        ]  # fmt: skip

    def get_changes_url(self, obj) -> str:
        return reverse("api:change-set-changes", args=[obj.pk])


class ChangeSetDetailOutput(ChangeSetOutput):
    outcome_counts = serializers.SerializerMethodField(help_text="Changes per outcome, counted now.")
    mapping_snapshot = serializers.JSONField(
        read_only=True, help_text="The field mapping the set was built with."
    )

    class Meta(ChangeSetOutput.Meta):
        fields = [*ChangeSetOutput.Meta.fields, "outcome_counts", "mapping_snapshot"]

    def get_outcome_counts(self, obj) -> dict[str, int]:
        rows = obj.changes.values("outcome").annotate(n=Count("id")).order_by("outcome")
        return {row["outcome"]: row["n"] for row in rows}


class ChangeSetFilter(django_filters.FilterSet):
    built_from = UtcIsoDateTimeFilter(field_name="built_at", lookup_expr="gte")
    is_rollback = django_filters.BooleanFilter(field_name="rollback_of", lookup_expr="isnull", exclude=True)
    rollback_of_id = IdFilter()

    class Meta:
        model = ChangeSet
        fields = ["status"]


def _change_sets():
    return ChangeSet.objects.select_related(*USERS)


class ChangeSetListApi(ListApi):
    """Change sets (dry runs and rollbacks), newest first, with their counts."""

    serializer_class = ChangeSetOutput
    filterset_class = ChangeSetFilter
    ordering_fields = ["id", "built_at"]
    ordering = ["-id"]
    csv_filename = "change_sets.csv"

    def get_queryset(self):
        return _change_sets()


class ChangeSetDetailApi(DetailApi):
    """One change set with its counts and the number of changes per outcome."""

    serializer_class = ChangeSetDetailOutput

    def get_queryset(self):
        return _change_sets()


class ChangeOutput(serializers.ModelSerializer):
    old_value = serializers.JSONField(read_only=True, help_text="The raw value Copper held at the preview.")
    new_value = serializers.JSONField(read_only=True, help_text="The raw value the set writes.")

    class Meta:
        model = Change
        fields = [
            "id", "change_set_id", "company_id", "company_name", "metric", "field_name", "definition_id",
            "data_type", "old_value", "new_value", "old_display", "new_display", "rule", "flags", "flagged",
            "outcome", "message", "outcome_at",
        ]  # fmt: skip


class ChangeFilter(django_filters.FilterSet):
    company_name = django_filters.CharFilter(lookup_expr="icontains")
    company_id = IdFilter()

    class Meta:
        model = Change
        fields = ["outcome", "field_name", "flagged"]


class ChangeSetChangesApi(ListApi):
    """The changes of one set: before/after (raw and as people read them), rule, flags and outcome."""

    serializer_class = ChangeOutput
    filterset_class = ChangeFilter
    ordering_fields = ["id", "company_id", "field_name"]
    ordering = ["id"]
    queryset = Change.objects.all()  # the model, for the schema; rows come from get_queryset
    read_models = [ChangeSet]  # the changes are part of their set, as in the admin's review

    @extend_schema(
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The change set.")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Change.objects.none()
        change_set = generics.get_object_or_404(ChangeSet.objects.only("pk"), pk=self.kwargs["pk"])
        self.csv_filename = f"change_set_{change_set.pk}_changes.csv"
        return Change.objects.filter(change_set=change_set)


# --- writes -------------------------------------------------------------------------------------------------
class ChangeSetWriteApi(generics.GenericAPIView):
    """A POST on one change set; 404 in the JSON shape when the id is unknown."""

    queryset = ChangeSet.objects.all()
    # The (empty) input form the browsable API shows; the schema names each view's input itself.
    serializer_class = serializers.Serializer
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    filter_backends = []
    pagination_class = None

    def respond(self, change_set: ChangeSet) -> Response:
        return Response(ChangeSetDetailOutput(_change_sets().get(pk=change_set.pk)).data)

    def start(self, start) -> Response:
        """Start the run the worker applies with (the admin's service): 202 with the run."""
        try:
            run = start()
        except SyncRunAlreadyActive as exc:
            raise StateConflict(str(exc)) from None
        except ChangeSetError as exc:
            raise ChangeSetRefused(exc) from None
        return Response(SyncRunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class ChangeSetApproveApi(ChangeSetWriteApi):
    """Approve a built set: a different person than the builder, a fresh set, unchanged definitions."""

    required_permission = "metrics.approve_changeset"

    @extend_schema(request=None, responses={200: ChangeSetDetailOutput})
    def post(self, request, pk):
        try:
            change_set = change_set_approve(change_set=self.get_object(), user=request.user)
        except ChangeSetError as exc:
            raise ChangeSetRefused(exc) from None
        return self.respond(change_set)


class ChangeSetRejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why the set is rejected (kept with it).")


class ChangeSetRejectApi(ChangeSetWriteApi):
    """Reject a built or approved set; it is kept for the record with the reason."""

    required_permission = "metrics.approve_changeset"
    serializer_class = ChangeSetRejectInput

    @extend_schema(request=ChangeSetRejectInput, responses={200: ChangeSetDetailOutput})
    def post(self, request, pk):
        change_set = self.get_object()
        serializer = ChangeSetRejectInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            change_set = change_set_reject(
                change_set=change_set, user=request.user, reason=serializer.validated_data["reason"]
            )
        except ChangeSetError as exc:
            raise ChangeSetRefused(exc) from None
        return self.respond(change_set)


class ChangeSetApplyApi(ChangeSetWriteApi):
    """Apply an approved set (or resume an interrupted apply) as a run; 202 with the run and its progress URL."""

    required_permission = "metrics.apply_changeset"

    @extend_schema(request=None, responses={202: SyncRunOutput})
    def post(self, request, pk):
        change_set = self.get_object()
        return self.start(lambda: change_set_apply_start(change_set=change_set, user=request.user))


class ChangeSetRollbackApi(ChangeSetWriteApi):
    """Ask for the rollback of an applied set: 201 with the rollback change set, awaiting approval.

    Nothing is written to Copper: a different person approves the rollback set (``approve/``) and it is applied
    like any set (``apply/``). An open rollback of the same set (awaiting approval or apply) is returned as is.
    """

    required_permission = "metrics.rollback_changeset"

    @extend_schema(request=None, responses={201: ChangeSetDetailOutput})
    def post(self, request, pk):
        try:
            rollback = change_set_rollback_start(change_set=self.get_object(), user=request.user)
        except ChangeSetError as exc:
            raise ChangeSetRefused(exc) from None
        response = self.respond(rollback)
        response.status_code = status.HTTP_201_CREATED
        return response
