"""Integrity reports, their per-check results, the current state of each check, and alerts on a change of state.

A report is written after every pull, customer sync and metrics apply (linked to that run), on a schedule and
on demand. The dashboard renders from stored reports only; alerts are sent when a check's state changes.
"""

from django.db import models


class State(models.TextChoices):
    OK = "ok", "OK"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


# Comparable severities: a report's state is the worst of its checks.
SEVERITY = {State.OK: 0, State.WARNING: 1, State.CRITICAL: 2}


class IntegrityReport(models.Model):
    """One pass of every check, with the counts of the ecosystem chain at that moment."""

    class Trigger(models.TextChoices):
        AFTER_RUN = "after_run", "After a run"
        ON_DEMAND = "on_demand", "On demand"
        SCHEDULE = "schedule", "Schedule"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.ON_DEMAND)
    run = models.ForeignKey(
        "syncs.SyncRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="integrity_reports"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.OK)
    # Fishbowl customers → active companies with an id → matched → orders → unattributed orders.
    summary = models.JSONField(default=dict, blank=True)
    duration_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("rollback_run", "Can roll back everything a sync run changed")]

    def __str__(self) -> str:
        return f"Integrity report #{self.pk} ({self.state})"


class CheckResultRecord(models.Model):
    """One check's outcome in one report: exact count, headline numbers, and the first findings."""

    report = models.ForeignKey(IntegrityReport, on_delete=models.CASCADE, related_name="results")
    check_name = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=State.choices)
    count = models.PositiveIntegerField(default=0)
    numbers = models.JSONField(default=dict, blank=True)
    # [{"label", "url", "message", "action", "action_url"}], capped by INTEGRITY_FINDINGS_LIMIT.
    findings = models.JSONField(default=list, blank=True)
    # How long the whole finding list is and what one row of it is ("companies", "groups"), so a page says
    # "41 of 60 groups" rather than "41 of 104" when 104 counts orders.
    finding_rows = models.PositiveIntegerField(default=0)
    finding_unit = models.CharField(max_length=32, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["report", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "check_name"], name="integrity_one_result_per_check")
        ]

    def __str__(self) -> str:
        title = self.title or self.check_name.replace("_", " ").capitalize()
        return f"{title}: {self.get_state_display()} ({self.count:,})"


class CheckState(models.Model):
    """The current state of a check, so an alert goes out only when it changes."""

    check_name = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OK)
    count = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)
    report = models.ForeignKey(
        IntegrityReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["check_name"]

    def __str__(self) -> str:
        return f"{self.check_name}: {self.state}"


class Alert(models.Model):
    """A change of a check's state, and its delivery to each channel (retried until delivered or given up)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    check_name = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=255, blank=True)
    from_state = models.CharField(max_length=16, choices=State.choices)
    to_state = models.CharField(max_length=16, choices=State.choices)
    count = models.PositiveIntegerField(default=0)
    numbers = models.JSONField(default=dict, blank=True)
    report = models.ForeignKey(
        IntegrityReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    # Channels due at creation ("email", "webhook"); a delivered channel is never sent twice.
    channels = models.JSONField(default=list, blank=True)
    email_delivered = models.BooleanField(default=False)
    webhook_delivered = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        title = self.title or self.check_name.replace("_", " ").capitalize()
        return f"{title}: {self.get_from_state_display()} → {self.get_to_state_display()}"
