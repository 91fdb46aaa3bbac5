"""Local mirror of Copper: users, custom-field definitions and companies.

Rows use Copper's own id as primary key, so a company's ``assignee_id`` is a Copper user id and bulk upserts need
no id translation. Every mirror keeps full history (django-simple-history). The tables keep the names they had
when these models lived in ``customers`` (moved by state-only migrations), so an existing database upgrades in
place.
"""

from django.db import models
from simple_history.models import HistoricalRecords


class CopperUser(models.Model):
    """A Copper user; sales reps are assignees of companies."""

    copper_id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=255)
    email = models.EmailField(max_length=255, blank=True)
    pulled_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["pulled_at"], table_name="customers_historicalcopperuser")

    class Meta:
        db_table = "customers_copperuser"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or f"Copper user {self.copper_id}"


class CustomFieldDefinition(models.Model):
    """A Copper custom-field definition: the vocabulary to read and write ``custom_fields``."""

    class DataType(models.TextChoices):
        STRING = "String"
        TEXT = "Text"
        DROPDOWN = "Dropdown"
        MULTISELECT = "MultiSelect"
        DATE = "Date"
        CHECKBOX = "Checkbox"
        FLOAT = "Float"
        CURRENCY = "Currency"
        PERCENTAGE = "Percentage"
        URL = "URL"
        CONNECT = "Connect"

    copper_id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=255, db_index=True)
    canonical_name = models.CharField(max_length=255, blank=True)
    data_type = models.CharField(max_length=20, choices=DataType.choices)
    # [{"id": int, "name": str, "rank": int}] for Dropdown and MultiSelect.
    options = models.JSONField(default=list, blank=True)
    available_on = models.JSONField(default=list, blank=True)
    currency = models.CharField(max_length=8, blank=True)
    pulled_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(
        excluded_fields=["pulled_at"], table_name="customers_historicalcustomfielddefinition"
    )

    class Meta:
        db_table = "customers_customfielddefinition"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.data_type})"


class CopperCompany(models.Model):
    """The local mirror of one Copper company.

    ``custom_fields`` is the raw list exactly as Copper sent it; the typed columns below it are extracted from
    that list by field *name* (through ``CustomFieldDefinition``) on every pull.
    """

    copper_id = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=255, db_index=True)
    # No database constraint: Copper may assign a user we cannot see; integrity checks report those.
    assignee = models.ForeignKey(
        CopperUser,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="companies",
    )
    contact_type_id = models.BigIntegerField(null=True, blank=True)
    email_domain = models.CharField(max_length=255, blank=True)
    address = models.JSONField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    custom_fields = models.JSONField(default=list, blank=True)

    # Typed columns extracted from custom_fields by name.
    account_order_id = models.CharField(
        max_length=64, blank=True, help_text="Account Order ID as written in Copper."
    )
    account_number = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="Account Order ID normalised (trimmed, thousands commas removed): the Fishbowl account number.",
    )
    is_active_customer = models.BooleanField(default=False, db_index=True)
    account_type = models.CharField(
        max_length=64, blank=True, help_text="Account Type as labelled in Copper."
    )
    region = models.CharField(max_length=64, blank=True)
    fishbowl_sales_person = models.CharField(max_length=255, blank=True)

    date_created = models.DateTimeField(null=True, blank=True)
    date_modified = models.DateTimeField(null=True, blank=True, db_index=True)
    pulled_at = models.DateTimeField(null=True, blank=True, help_text="When a pull last wrote this row.")
    # Set by a full pull when Copper no longer returns the company; the row is kept, never deleted.
    missing_from_copper_since = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["pulled_at"], table_name="customers_historicalcoppercompany")

    class Meta:
        db_table = "customers_coppercompany"
        ordering = ["name"]
        verbose_name_plural = "copper companies"
        indexes = [
            models.Index(fields=["is_active_customer", "account_number"], name="company_active_account")
        ]

    def __str__(self) -> str:
        return self.name


class CopperWebhookNotification(models.Model):
    """One notification Copper POSTed to ``/hooks/copper/`` (a company created, updated or deleted).

    Recorded before anything else happens, so the admin shows every delivery; ``dedupe_key`` (the subscription,
    event, type, ids and timestamp) is unique, so a notification delivered twice is stored once and processed
    once. ``outcome`` moves pending → processing (claimed by a worker) → one of the final outcomes.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        APPLIED = "applied", "Mirror updated"
        UNCHANGED = "unchanged", "Nothing to change"
        LATE = "late", "Late (the mirror already held newer data)"
        IGNORED = "ignored", "Ignored (not about companies)"
        FAILED = "failed", "Failed"

    subscription_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    event = models.CharField(max_length=16)
    type = models.CharField(max_length=32)
    ids = models.JSONField(default=list)
    timestamp = models.DateTimeField(help_text="When Copper says the event happened.")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING, db_index=True)
    message = models.TextField(blank=True)
    # What processing did, per id: {"updated": [...], "created": [...], "marked_missing": [...], "late": [...]}.
    detail = models.JSONField(default=dict, blank=True)
    updated_attributes = models.JSONField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=64, unique=True)
    # The worker that claimed it (a random token), so two workers never process one notification.
    claim = models.CharField(max_length=32, blank=True, db_index=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "Copper webhook notification"

    def __str__(self) -> str:
        return f"Copper {self.type} {self.event} #{self.pk} ({len(self.ids or [])} ids)"


class CopperRateWindow(models.Model):
    """When the latest Copper requests of one account were sent, shared by every copperhub process.

    One row per account (``key``); ``copper.limiter_backends.DatabaseWindowLimiter`` reads and rewrites it
    in one locked transaction per request, so two workers never exceed the limit together. Holds at most the
    last ``COPPER_RATE_LIMIT_PER_MINUTE`` send times (unix seconds); no history: it is a counter, not data.
    """

    key = models.CharField(max_length=255, primary_key=True)
    sent_at = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Copper request window {self.key}"
