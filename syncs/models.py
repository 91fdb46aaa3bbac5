"""Sync runs: one row per long job (pull, customer sync, metrics push, commissions…) with live progress."""

from django.conf import settings
from django.db import models
from django.db.models import Q


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
        # Asked for while its kind was busy (e.g. the customer sync a pull starts): queued when the kind frees.
        WAITING = "waiting", "Waiting for the active run of its kind"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    # At most one run per kind in these (the constraint below); ``waiting`` runs line up behind them.
    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
    UNFINISHED_STATUSES = (Status.WAITING, Status.QUEUED, Status.RUNNING)

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
    # Renewed on a timer by the worker holding the run: a running run whose heartbeat stops is dead.
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
        """Not finished yet: waiting, queued or running."""
        return self.status in self.UNFINISHED_STATUSES


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
