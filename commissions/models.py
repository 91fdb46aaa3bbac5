"""Commission models: who is paid (reps), at what rate, under which rules, and the computed lines per month.

Admin-editable rows (reps, rates, settings, pins, overrides, spiffs) keep full history. ``CommissionLine`` rows
are computed: a recalculation replaces a month's lines, so they carry no history and are read-only in the admin.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from customers.models import SalesOrder


def default_house_accounts() -> list[str]:
    return ["admin"]


def default_counted_statuses() -> list[int]:
    # Issued, In Progress, Fulfilled, Closed Short, Historical.
    return [20, 25, 60, 70, 95]


class Title(models.TextChoices):
    ACCOUNT_EXECUTIVE = "account_executive", "Account executive"
    SENIOR_ACCOUNT_EXECUTIVE = "senior_account_executive", "Senior account executive"
    SALES_MANAGER = "sales_manager", "Sales manager"
    INSIDE_SALES = "inside_sales", "Inside sales"


class Segment(models.TextChoices):
    WHOLESALE = "wholesale", "Wholesale"
    DISTRIBUTOR = "distributor", "Distributor"
    RETAIL = "retail", "Retail"


class CustomerStatus(models.TextChoices):
    NEW = "new", "New"
    SIX_MONTH = "six_month", "6-month"
    TWELVE_MONTH = "twelve_month", "12-month"
    REVIVED = "revived", "Revived"
    TRANSFERRED = "transferred", "Transferred"


class SalesRep(models.Model):
    """A person who sells, known to Fishbowl by ``fishbowl_username`` (the order's ``sales_person``)."""

    fishbowl_username = models.CharField(
        max_length=64,
        unique=True,
        help_text="Exactly as Fishbowl writes it on orders (matched ignoring case).",
    )
    name = models.CharField(max_length=255)
    title = models.CharField(max_length=32, choices=Title.choices, default=Title.ACCOUNT_EXECUTIVE)
    is_commissioned = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    copper_user = models.ForeignKey(
        "copper.CopperUser",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text="The rep's Copper user, if any (by Copper id).",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("fishbowl_username"), name="salesrep_username_unique_ci"),
            models.CheckConstraint(condition=~Q(fishbowl_username=""), name="salesrep_username_not_empty"),
            models.CheckConstraint(condition=Q(title__in=Title.values), name="salesrep_title_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.fishbowl_username})"


class CommissionRate(models.Model):
    """Rate (a fraction: 0.08 = 8 %) for a rep title × customer segment × customer status."""

    title = models.CharField(max_length=32, choices=Title.choices)
    segment = models.CharField(max_length=16, choices=Segment.choices)
    customer_status = models.CharField(max_length=16, choices=CustomerStatus.choices)
    rate = models.DecimalField(max_digits=6, decimal_places=4, help_text="A fraction: 0.0800 is 8 %.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "segment", "customer_status"]
        constraints = [
            models.UniqueConstraint(
                fields=["title", "segment", "customer_status"], name="commissionrate_unique"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=Decimal("0")) & Q(rate__lte=Decimal("1")),
                name="commissionrate_fraction",
                violation_error_message="The rate is a fraction between 0 and 1 (0.08 is 8 percent).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_title_display()} · {self.get_segment_display()} · {self.get_customer_status_display()}"


class CommissionSettings(models.Model):
    """The one row of rules (primary key 1) people edit in the admin."""

    exclude_shipping = models.BooleanField(default=True, help_text="Leave shipping lines out of the base.")
    exclude_cc_processing = models.BooleanField(
        default=True, help_text="Leave card-processing lines out of the base."
    )
    house_accounts = models.JSONField(
        default=default_house_accounts,
        blank=True,
        help_text='Fishbowl usernames never paid (system users, web shop), e.g. ["admin", "webshop"].',
    )
    counted_statuses = models.JSONField(
        default=default_counted_statuses,
        help_text="Sales-order status codes that count: 20 Issued, 25 In Progress, 60 Fulfilled, "
        "70 Closed Short, 95 Historical.",
    )
    months_new = models.PositiveSmallIntegerField(
        default=6, help_text="A customer is new up to this many calendar months after its first order."
    )
    months_established = models.PositiveSmallIntegerField(
        default=12, help_text="From this many calendar months after the first order a customer is 12-month."
    )
    months_revived = models.PositiveSmallIntegerField(
        default=12, help_text="A customer whose previous order is at least this many months old is revived."
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "commission settings"
        verbose_name_plural = "commission settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="commissionsettings_singleton"),
            models.CheckConstraint(
                condition=Q(months_new__lte=models.F("months_established")),
                name="commissionsettings_months",
                violation_error_message="Months for new cannot exceed the 12-month threshold.",
            ),
        ]

    def __str__(self) -> str:
        return "Commission settings"

    def clean(self) -> None:
        errors = {}
        if not isinstance(self.house_accounts, list) or not all(
            isinstance(u, str) for u in self.house_accounts
        ):
            errors["house_accounts"] = 'A list of Fishbowl usernames, e.g. ["admin", "webshop"].'
        valid = set(SalesOrder.Status.values)
        statuses = self.counted_statuses
        if (
            not isinstance(statuses, list)
            or not statuses
            or not all(isinstance(s, int) and not isinstance(s, bool) and s in valid for s in statuses)
        ):
            errors["counted_statuses"] = f"A non-empty list of status codes from {sorted(valid)}."
        if errors:
            raise ValidationError(errors)


class CustomerStatusPin(models.Model):
    """A person's decision of a customer's status; it wins over the status computed from order history."""

    customer = models.OneToOneField(
        "customers.FishbowlCustomer", on_delete=models.CASCADE, related_name="commission_status_pin"
    )
    status = models.CharField(max_length=16, choices=CustomerStatus.choices)
    reason = models.TextField()
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pinned_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["customer"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="statuspin_reason_required"),
            models.CheckConstraint(
                condition=Q(status__in=CustomerStatus.values), name="statuspin_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} pinned {self.status}"


class CommissionOverride(models.Model):
    """One order's rate or amount set by a person; every recalculation applies it again."""

    order = models.OneToOneField(
        "customers.SalesOrder", on_delete=models.CASCADE, related_name="commission_override"
    )
    rate = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="A fraction replacing the table rate.",
    )
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="The commission amount, as is."
    )
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="override_reason_required"),
            models.CheckConstraint(
                condition=(Q(rate__isnull=False) & Q(amount__isnull=True))
                | (Q(rate__isnull=True) & Q(amount__isnull=False)),
                name="override_rate_xor_amount",
                violation_error_message="Give either a rate or an amount: one of them, not both.",
            ),
            models.CheckConstraint(
                condition=Q(rate__isnull=True) | (Q(rate__gte=0) & Q(rate__lte=1)),
                name="override_rate_fraction",
                violation_error_message="The rate is a fraction between 0 and 1 (0.08 is 8 percent).",
            ),
        ]

    def __str__(self) -> str:
        what = f"rate {self.rate}" if self.rate is not None else f"amount {self.amount}"
        return f"Override of order {self.order_id}: {what}"


class Spiff(models.Model):
    """An extra payment on a product within dates: a flat amount per unit fulfilled, or a fraction of the line."""

    class Kind(models.TextChoices):
        FLAT_PER_UNIT = "flat", "Flat amount per unit"
        PERCENT = "percent", "Fraction of the line total"

    product_number = models.CharField(max_length=128, db_index=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FLAT_PER_UNIT)
    value = models.DecimalField(
        max_digits=12, decimal_places=4, help_text="Amount per unit, or a fraction (0.05 = 5 %) of the line."
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Inclusive; empty means open-ended.")
    description = models.CharField(max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date", "product_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="spiff_dates_ordered",
                violation_error_message="The end date cannot be before the start date.",
            ),
            models.CheckConstraint(condition=Q(kind__in=["flat", "percent"]), name="spiff_kind_valid"),
            models.CheckConstraint(condition=~Q(product_number=""), name="spiff_product_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Spiff {self.product_number} {self.value} ({self.kind})"


class LineReason(models.TextChoices):
    """Why a commission line pays nothing (empty: paid)."""

    PAID = "", "Paid"
    NOTHING_FULFILLED = "nothing_fulfilled", "Nothing fulfilled"
    HOUSE_ACCOUNT = "house_account", "House account"
    UNKNOWN_CUSTOMER = "unknown_customer", "Unknown customer"
    UNKNOWN_ACCOUNT_TYPE = "unknown_account_type", "Customer account type unknown"
    NO_SALES_PERSON = "no_sales_person", "Order has no sales person"
    UNKNOWN_SALES_PERSON = "unknown_sales_person", "Sales person is not a known rep"
    REP_INACTIVE = "rep_inactive", "Rep inactive"
    REP_NOT_COMMISSIONED = "rep_not_commissioned", "Rep not commissioned"
    NO_RATE = "no_rate", "No rate for title, segment and status"


# Reasons that mean nobody can say whom or at what rate to pay: never paid, always listed.
UNATTRIBUTED_REASONS = (
    LineReason.UNKNOWN_CUSTOMER,
    LineReason.UNKNOWN_ACCOUNT_TYPE,
    LineReason.NO_SALES_PERSON,
    LineReason.UNKNOWN_SALES_PERSON,
)
_UNATTRIBUTED_VALUES = [r.value for r in UNATTRIBUTED_REASONS]


class CommissionLine(models.Model):
    """The computed commission of one order in one month, including orders that are not paid and why."""

    Reason = LineReason
    UNATTRIBUTED = UNATTRIBUTED_REASONS

    month = models.DateField(help_text="The first day of the month.")
    order = models.ForeignKey(
        "customers.SalesOrder", on_delete=models.CASCADE, related_name="commission_lines"
    )
    order_number = models.CharField(max_length=64)
    date_issued = models.DateField()
    sales_person = models.CharField(max_length=64, blank=True, db_index=True)
    rep = models.ForeignKey(
        SalesRep, null=True, blank=True, on_delete=models.PROTECT, related_name="commission_lines"
    )
    customer = models.ForeignKey(
        "customers.FishbowlCustomer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commission_lines",
    )
    customer_account_number = models.CharField(max_length=64, blank=True)
    segment = models.CharField(max_length=16, blank=True)
    customer_status = models.CharField(max_length=16, choices=CustomerStatus.choices, blank=True)
    status_pinned = models.BooleanField(default=False)
    revenue = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="Sum of every line of the order."
    )
    base = models.DecimalField(max_digits=14, decimal_places=2, help_text="Commission base after exclusions.")
    rate = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    spiff_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    override_applied = models.BooleanField(default=False)
    attributed = models.BooleanField(db_index=True)
    reason = models.CharField(max_length=32, choices=Reason.choices, blank=True, db_index=True)
    calculated_at = models.DateTimeField()
    run = models.ForeignKey(
        "syncs.SyncRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="commission_lines"
    )

    class Meta:
        ordering = ["month", "sales_person", "order_number"]
        constraints = [
            models.UniqueConstraint(fields=["month", "order"], name="commissionline_order_per_month"),
            models.CheckConstraint(
                condition=Q(reason__in=LineReason.values), name="commissionline_reason_valid"
            ),
            # Unattributed exactly when the reason says so, and an unattributed order is never paid.
            models.CheckConstraint(
                condition=(Q(attributed=False) & Q(reason__in=_UNATTRIBUTED_VALUES))
                | (Q(attributed=True) & ~Q(reason__in=_UNATTRIBUTED_VALUES)),
                name="commissionline_attributed_matches_reason",
            ),
            models.CheckConstraint(
                condition=Q(reason="") | (Q(amount=0) & Q(spiff_amount=0)),
                name="commissionline_unpaid_is_zero",
            ),
        ]
        indexes = [models.Index(fields=["month", "rep"], name="commissionline_month_rep")]
        permissions = [("calculate_commissions", "Can calculate commissions")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.order_number}"

    @property
    def total(self) -> Decimal:
        return self.amount + self.spiff_amount
