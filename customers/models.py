"""Local mirrors of Fishbowl: customers, sales orders and their lines, and account-number ownership.

Each Fishbowl customer links to at most one Copper company (the Copper wing, ``copper.models``). Every mirror
keeps full history (django-simple-history).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from copper.models import CopperCompany


class FishbowlCustomer(models.Model):
    """A row of the local ``fishbowl_customers`` table; ``account_number`` is Fishbowl's ``customer.number``."""

    class AccountType(models.TextChoices):
        RETAIL = "retail", "Retail"
        WHOLESALE = "wholesale", "Wholesale"
        DISTRIBUTOR = "distributor", "Distributor"
        # Explicit: an account type nobody knows is never silently "Retail".
        UNKNOWN = "unknown", "Unknown"

    class Source(models.TextChoices):
        FISHBOWL_IMPORT = "fishbowl_import", "Fishbowl import"
        COPPER_SYNC = "copper_sync", "Copper sync"
        MANUAL = "manual", "Manual"

    account_number = models.CharField(max_length=64, unique=True)
    fishbowl_id = models.BigIntegerField(null=True, blank=True, unique=True)
    name = models.CharField(max_length=255, db_index=True)
    account_type = models.CharField(max_length=16, choices=AccountType.choices, default=AccountType.UNKNOWN)
    sales_rep = models.CharField(max_length=255, blank=True, db_index=True)
    is_active = models.BooleanField(default=True)
    copper_company = models.OneToOneField(
        CopperCompany,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fishbowl_customer",
    )
    region = models.CharField(max_length=64, blank=True)
    billing_address = models.TextField(blank=True)
    shipping_address = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.FISHBOWL_IMPORT)
    # Fields a person edited by hand in copperhub; the customer sync reports differences but never overwrites.
    locked_fields = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["account_number"]
        constraints = [
            models.CheckConstraint(condition=~Q(account_number=""), name="customer_account_number_not_empty"),
            models.CheckConstraint(
                condition=Q(account_type__in=["retail", "wholesale", "distributor", "unknown"]),
                name="customer_account_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=["fishbowl_import", "copper_sync", "manual"]),
                name="customer_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_number} {self.name}"


class AccountNumberOwner(models.Model):
    """A person's decision of which Copper company owns an account number claimed by several.

    The customer sync honours it on every later run instead of reporting the conflict again.
    """

    account_number = models.CharField(max_length=64, unique=True)
    company = models.ForeignKey(CopperCompany, on_delete=models.CASCADE, related_name="owned_account_numbers")
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_at = models.DateTimeField(auto_now=True)
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["account_number"]

    def __str__(self) -> str:
        return f"{self.account_number} → {self.company}"


class SalesOrder(models.Model):
    """A Fishbowl sales order. Its revenue is the sum of its lines."""

    class Status(models.IntegerChoices):
        ESTIMATE = 10, "Estimate"
        ISSUED = 20, "Issued"
        IN_PROGRESS = 25, "In Progress"
        FULFILLED = 60, "Fulfilled"
        CLOSED_SHORT = 70, "Closed Short"
        VOID = 80, "Void"
        CANCELLED = 85, "Cancelled"
        EXPIRED = 90, "Expired"
        HISTORICAL = 95, "Historical"

    number = models.CharField(max_length=64, unique=True)
    fishbowl_id = models.BigIntegerField(null=True, blank=True)
    # Null when the export names a customer we do not have; the account number is kept so that the order
    # links up once the customer exists (and integrity checks can count the orders that fall out).
    customer = models.ForeignKey(
        FishbowlCustomer, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    customer_account_number = models.CharField(max_length=64, blank=True, db_index=True)
    customer_name = models.CharField(max_length=255, blank=True)
    status = models.PositiveSmallIntegerField(choices=Status.choices, db_index=True)
    date_issued = models.DateField(null=True, blank=True, db_index=True)
    # The Fishbowl username that decides commissions.
    sales_person = models.CharField(max_length=64, blank=True, db_index=True)
    sales_rep = models.CharField(max_length=255, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date_issued", "number"]
        constraints = [
            models.CheckConstraint(condition=~Q(number=""), name="order_number_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=[10, 20, 25, 60, 70, 80, 85, 90, 95]), name="order_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "date_issued"], name="order_customer_date"),
            # Covers the per-customer order aggregates (sales metrics): counted statuses and dates without
            # reading the table.
            models.Index(fields=["customer", "status", "date_issued"], name="order_customer_status_date"),
        ]

    def __str__(self) -> str:
        return self.number


class SalesOrderLine(models.Model):
    """One line item of a sales order. Fishbowl's SO item id repeats across orders: unique per order only."""

    class LineType(models.TextChoices):
        SALE = "sale", "Sale"
        SHIPPING = "shipping", "Shipping"
        CC_PROCESSING = "cc_processing", "CC Processing"
        DISCOUNT = "discount", "Discount"
        OTHER = "other", "Other"

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    so_item_id = models.BigIntegerField()
    product_number = models.CharField(max_length=128, blank=True, db_index=True)
    description = models.CharField(max_length=512, blank=True)
    line_type = models.CharField(max_length=16, choices=LineType.choices, default=LineType.SALE)
    quantity_fulfilled = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    total_price = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total_cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "so_item_id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "so_item_id"], name="order_line_unique_item"),
            models.CheckConstraint(
                condition=Q(line_type__in=["sale", "shipping", "cc_processing", "discount", "other"]),
                name="order_line_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.so_item_id} {self.product_number}"
