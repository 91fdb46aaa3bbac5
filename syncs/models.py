"""Sync runs: one row per long job (pull, customer sync, metrics push, commissions…) with live progress."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class SyncRun(models.Model):
    """A long job and its progress.

    The row exists (status ``queued``) before the task is enqueued, so the progress page can poll from the
    moment a person clicks start. At most one run of a kind is queued or running at once (database constraint).
    """

    class Kind(models.TextChoices):
        COPPER_PULL = "copper_pull", "Copper pull"
        CUSTOMER_SYNC = "customer_sync", "Customer sync"
        FISHBOWL_IMPORT = "fishbowl_import", "Fishbowl import"
        METRICS_DRY_RUN = "metrics_dry_run", "Metrics dry run"
        METRICS_APPLY = "metrics_apply", "Metrics apply"
        METRICS_ROLLBACK = "metrics_rollback", "Metrics rollback"
        COMMISSIONS = "commissions", "Commission calculation"
        INTEGRITY = "integrity", "Integrity check"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    # What the run was asked to do, e.g. {"full": true}, {"apply": true}, {"month": "2026-01"}.
    options = models.JSONField(default=dict, blank=True)

    step = models.CharField(max_length=255, blank=True)
    total = models.PositiveIntegerField(null=True, blank=True, help_text="Estimated records in this step.")
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    # Counts particular to a kind: conflicts, examined, requests, 429s…
    counts = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last time progress was written: a running run whose heartbeat stops is dead.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    step_started_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # Copper pull: the date_modified high-water mark this run reached (next incremental starts here).
    high_water_mark = models.DateTimeField(null=True, blank=True)
    # A run started by another (e.g. the customer sync started after a pull).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )

    class Meta:
        ordering = ["-queued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_run_per_kind",
            ),
        ]
        permissions = [
            ("start_syncrun", "Can start sync runs"),
            ("cancel_syncrun", "Can cancel sync runs"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class SyncRunLog(models.Model):
    """One per-record entry in a run's log (errors, conflicts, warnings); bounded per run."""

    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CONFLICT = "conflict", "Conflict"
        ERROR = "error", "Error"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="log_entries")
    level = models.CharField(max_length=16, choices=Level.choices, db_index=True)
    code = models.CharField(max_length=64, blank=True, db_index=True, help_text="Machine-readable kind.")
    record = models.CharField(max_length=255, blank=True, help_text="What the entry is about.")
    message = models.TextField()
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.level}: {self.message[:80]}"


# --- Metrics push: field mapping, change sets ---------------------------------------------------------------


class FieldMapping(models.Model):
    """Which Copper company custom field (by *name*) receives which sales metric, and under which policy.

    Names are resolved to definition ids at build time through the pulled ``CustomFieldDefinition`` rows, since
    ids differ per Copper account. ``field_mapping_validate`` checks every mapping before anything is built.
    """

    class Metric(models.TextChoices):
        TOTAL_ORDERS = "total_orders", "Total Orders"
        TOTAL_SPENT = "total_spent", "Total Spent"
        AVERAGE_ORDER_VALUE = "average_order_value", "Average Order Value"
        FIRST_ORDER_DATE = "first_order_date", "First Order Date"
        LAST_ORDER_DATE = "last_order_date", "Last Order Date"
        DAYS_SINCE_LAST_ORDER = "days_since_last_order", "Days Since Last Order"
        TOP_PRODUCTS = "top_products", "Top Products"
        SAMPLE_KIT_SENT = "sample_kit_sent", "Sample Kit Sent"
        SAMPLE_KIT_DATE = "sample_kit_date", "Sample Kit Date"
        SPENT_LAST_12_MONTHS = "spent_last_12_months", "Spent Last 12 Months"

    class Policy(models.TextChoices):
        OVERWRITE = "overwrite", "Overwrite"
        ONLY_IF_EMPTY = "only_if_empty", "Only if empty in Copper"
        NEVER = "never", "Never (protected)"

    metric = models.CharField(max_length=32, choices=Metric.choices, unique=True)
    copper_field = models.CharField(
        max_length=255, help_text="The Copper custom field's name, exactly as Copper shows it."
    )
    policy = models.CharField(max_length=16, choices=Policy.choices, default=Policy.OVERWRITE)
    enabled = models.BooleanField(default=True)
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["metric"]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} → {self.copper_field}"


class ChangeSet(models.Model):
    """A previewed set of Copper writes: built (dry run) → approved by a second person → applied → rolled back.

    Nothing reaches Copper before approval; ``definitions_fingerprint`` pins the custom-field definitions the
    preview was computed against, so a set built before a definition changed cannot be approved.
    """

    class Status(models.TextChoices):
        BUILT = "built", "Built (awaiting approval)"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        APPLYING = "applying", "Applying"
        APPLIED = "applied", "Applied"
        PARTIALLY_APPLIED = "partially_applied", "Partially applied"
        ROLLED_BACK = "rolled_back", "Rolled back"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BUILT, db_index=True)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    built_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True)

    definitions_fingerprint = models.CharField(max_length=64, blank=True)
    # [{"metric", "copper_field", "policy", "definition_id", "data_type"}] as used by the build.
    mapping_snapshot = models.JSONField(default=list, blank=True)
    # companies, changes, flagged, applied, stale, failed, skipped, rolled_back…
    counts = models.JSONField(default=dict, blank=True)
    source_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="built_change_sets"
    )
    apply_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="applied_change_sets"
    )
    rollback_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rollbacks"
    )

    history = HistoricalRecords(excluded_fields=["counts"])

    class Meta:
        ordering = ["-built_at"]
        permissions = [
            ("approve_changeset", "Can approve or reject metric change sets"),
            ("apply_changeset", "Can apply approved metric change sets to Copper"),
            ("rollback_changeset", "Can roll back applied metric change sets"),
        ]

    def __str__(self) -> str:
        prefix = "Rollback change set" if self.rollback_of_id else "Change set"
        return f"{prefix} #{self.pk}"


class Change(models.Model):
    """One Copper company × custom field that a change set writes; values are raw JSON as Copper holds them."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        APPLIED = "applied", "Applied"
        STALE = "stale", "Stale (changed in Copper since the preview; kept)"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        ROLLED_BACK = "rolled_back", "Rolled back"

    FLAGS = ("went_down", "date_backwards", "big_jump", "clears_value")

    change_set = models.ForeignKey(ChangeSet, on_delete=models.CASCADE, related_name="changes")
    # Copper's id; no database constraint, so a change survives its company vanishing from the mirror.
    company = models.ForeignKey(
        "customers.CopperCompany",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="metric_changes",
    )
    company_name = models.CharField(max_length=255, blank=True)
    metric = models.CharField(max_length=32, blank=True)
    field_name = models.CharField(max_length=255)
    definition_id = models.BigIntegerField()
    data_type = models.CharField(max_length=20)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    old_display = models.CharField(max_length=512, blank=True)
    new_display = models.CharField(max_length=512, blank=True)
    rule = models.CharField(max_length=255, blank=True)
    flags = models.JSONField(default=list, blank=True)
    flagged = models.BooleanField(default=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING, db_index=True)
    message = models.TextField(blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["change_set", "-flagged", "company_name", "field_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["change_set", "company", "definition_id"], name="change_unique_company_field"
            ),
        ]
        indexes = [
            models.Index(fields=["change_set", "outcome"], name="change_set_outcome"),
            models.Index(fields=["change_set", "flagged"], name="change_set_flagged"),
            models.Index(fields=["change_set", "company"], name="change_set_company"),
        ]

    def __str__(self) -> str:
        return f"{self.company_name or self.company_id}: {self.field_name}"
