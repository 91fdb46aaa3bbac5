"""Reads for the customer sync's admin pages and command: a run's preview, the account-number conflicts.

It also holds the ONE definition of "an active Copper company with an account number" and of "a shared
account number, honouring the owner a person chose" (``AccountNumberOwner``). The customer sync, the conflicts
page, the integrity checks and their chain summary, the metrics push and the API all read them from here, so
the gap the dashboard shows is exactly what the sync would close.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from copper.models import CopperCompany
from copper.normalize import ACCOUNT_NUMBER_PATTERN
from customers.models import AccountNumberOwner
from syncs.models import SyncRun, SyncRunLog

PREVIEW_CODES = {"create": ("would_create", "created"), "update": ("would_update", "updated")}


@dataclass
class CustomerSyncPreview:
    """What a customer-sync run did or would do, read back from its row and log."""

    run: SyncRun
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    flags: list[SyncRunLog] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        run = self.run
        return {
            "examined": run.counts.get("examined", 0),
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "conflicts": run.counts.get("conflicts", 0),
            "skipped": run.skipped,
            "errors": run.errors,
        }

    @property
    def is_dry_run(self) -> bool:
        return not self.run.options.get("apply", False)

    @property
    def has_changes(self) -> bool:
        """Whether applying would create or update anything (a dry run with neither has nothing to apply)."""
        return bool(self.run.created or self.run.updated)


def customer_sync_preview(*, run: SyncRun, limit: int = 50) -> CustomerSyncPreview:
    """The first ``limit`` creates and updates (with before/after values) and flags a customer-sync run logged."""
    entries = run.log_entries.order_by("id")
    preview = CustomerSyncPreview(run=run)
    preview.creates = [e.detail for e in entries.filter(code__in=PREVIEW_CODES["create"])[:limit]]
    preview.updates = [e.detail for e in entries.filter(code__in=PREVIEW_CODES["update"])[:limit]]
    preview_codes = [code for codes in PREVIEW_CODES.values() for code in codes]
    preview.flags = list(entries.exclude(code__in=preview_codes)[:limit])
    return preview


def customer_sync_flag_counts(*, run: SyncRun) -> list[tuple[str, int]]:
    """(code, number of log entries) of what a customer-sync run flagged, most frequent first; one query."""
    preview_codes = [code for codes in PREVIEW_CODES.values() for code in codes]
    rows = (
        run.log_entries.exclude(code__in=preview_codes)
        .values("code")
        .annotate(n=Count("pk"))
        .order_by("-n", "code")
    )
    return [(row["code"], row["n"]) for row in rows]


def customer_sync_latest_preview_run() -> SyncRun | None:
    """The most recent dry run of the customer sync (a run without ``apply`` is a dry run), if any."""
    runs = SyncRun.objects.filter(kind=SyncRun.Kind.CUSTOMER_SYNC).exclude(options__apply=True)
    return runs.order_by("-pk").first()


@dataclass
class AccountNumberConflict:
    account_number: str
    companies: list[CopperCompany]
    owner: AccountNumberOwner | None

    @property
    def resolved(self) -> bool:
        return self.owner is not None and any(c.pk == self.owner.company_id for c in self.companies)


def account_number_conflicts() -> list[AccountNumberConflict]:
    """Account numbers held by two or more active companies, with their companies and any owner chosen."""
    active = copper_companies_active_with_number()
    numbers = list(account_numbers_shared().order_by("account_number"))
    companies: dict[str, list[CopperCompany]] = {number: [] for number in numbers}
    for row in active.filter(account_number__in=numbers).select_related("assignee").order_by("pk"):
        companies[row.account_number].append(row)
    owners = {
        owner.account_number: owner
        for owner in AccountNumberOwner.objects.filter(account_number__in=numbers).select_related("chosen_by")
    }
    return [AccountNumberConflict(n, companies[n], owners.get(n)) for n in numbers]


# --- the one definition of the companies the customer sync mirrors -------------------------------------------
def copper_company_is_active(*, is_active_customer: bool, missing_from_copper_since: Any) -> bool:
    """Whether a company counts as an active customer: flagged active in Copper and still returned by Copper.

    The row-by-row twin of ``copper_companies_active_with_number`` (which also requires an account number),
    for code that already holds the columns.
    """
    return bool(is_active_customer) and missing_from_copper_since is None


def copper_companies_active_with_number() -> QuerySet[CopperCompany]:
    """Active Copper companies (flagged active, not marked missing from Copper) with an account number."""
    return CopperCompany.objects.filter(
        is_active_customer=True, missing_from_copper_since__isnull=True
    ).exclude(account_number="")


def account_numbers_shared() -> QuerySet:
    """Account numbers (a ``values_list(flat=True)`` query, usable as a subquery) held by two or more active
    companies, whether or not a person chose an owner."""
    return (
        copper_companies_active_with_number()
        .order_by()
        .values("account_number")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("account_number", flat=True)
    )


def account_numbers_unresolved() -> QuerySet:
    """Shared account numbers with no honoured owner: the conflicts a person must resolve (flat values)."""
    honoured = AccountNumberOwner.objects.filter(
        account_number=OuterRef("account_number"),
        company__is_active_customer=True,
        company__missing_from_copper_since__isnull=True,
        company__account_number=OuterRef("account_number"),
    )
    return account_numbers_shared().filter(~Exists(honoured))


def copper_companies_classified() -> QuerySet[CopperCompany]:
    """``copper_companies_active_with_number`` annotated with why the customer sync does or does not mirror each.

    Boolean annotations (each one correlated ``EXISTS`` on indexed columns, so counts stay set-based):
    ``shared`` (another active company has the number), ``owner_chosen`` (an honoured owner exists for it),
    ``is_owner`` (this company is it), ``valid`` (the number is one Fishbowl could have issued) and
    ``syncable`` — what the customer sync links a customer to: a number nobody else has and that is valid, or
    the chosen owner of a shared one. ``held`` (shared, no owner: a conflict) and ``not_owner`` (shared, another
    company owns it) and ``invalid`` are the rest.
    """
    others = (
        copper_companies_active_with_number()
        .filter(account_number=OuterRef("account_number"))
        .exclude(pk=OuterRef("pk"))
    )
    owners = AccountNumberOwner.objects.filter(
        account_number=OuterRef("account_number"),
        company__is_active_customer=True,
        company__missing_from_copper_since__isnull=True,
        company__account_number=OuterRef("account_number"),
    )
    mine = AccountNumberOwner.objects.filter(
        account_number=OuterRef("account_number"), company=OuterRef("pk")
    )
    return copper_companies_active_with_number().annotate(
        shared=Exists(others),
        owner_chosen=Exists(owners),
        is_owner=Exists(mine),
        valid=Q(account_number__regex=ACCOUNT_NUMBER_PATTERN),
    )


# Filters over ``copper_companies_classified()``; they partition it.
SYNCABLE = (Q(shared=False) & Q(valid=True)) | (Q(shared=True) & Q(is_owner=True))
HELD_BY_CONFLICT = Q(shared=True) & Q(owner_chosen=False)
NOT_OWNER = Q(shared=True) & Q(owner_chosen=True) & Q(is_owner=False)
INVALID = Q(shared=False) & Q(valid=False)


def copper_companies_syncable() -> QuerySet[CopperCompany]:
    """The companies the customer sync mirrors as Fishbowl customers (see ``copper_companies_classified``)."""
    return copper_companies_classified().filter(SYNCABLE)
