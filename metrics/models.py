"""Sync Sales Metrics to Copper: the field mapping, change sets and their changes.

A change set is built (dry run), approved by a second person, applied to Copper, and may be rolled back; see
``metrics.services``. The tables keep the names they had when these models lived in ``syncs`` (moved by
state-only migrations), so an existing database upgrades in place.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from copper.models import CopperCompany
from syncs.models import SyncRun


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

    history = HistoricalRecords(table_name="syncs_historicalfieldmapping")

    class Meta:
        db_table = "syncs_fieldmapping"
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

    history = HistoricalRecords(excluded_fields=["counts"], table_name="syncs_historicalchangeset")

    class Meta:
        db_table = "syncs_changeset"
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
        CopperCompany,
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
        db_table = "syncs_change"
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
