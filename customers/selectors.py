"""Reads for the customer sync's admin pages and command: a run's preview, the account-number conflicts."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from copper.models import CopperCompany
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


def customer_sync_preview(*, run: SyncRun, limit: int = 50) -> CustomerSyncPreview:
    """The first ``limit`` creates and updates (with before/after values) and flags a customer-sync run logged."""
    entries = run.log_entries.order_by("id")
    preview = CustomerSyncPreview(run=run)
    preview.creates = [e.detail for e in entries.filter(code__in=PREVIEW_CODES["create"])[:limit]]
    preview.updates = [e.detail for e in entries.filter(code__in=PREVIEW_CODES["update"])[:limit]]
    preview_codes = [code for codes in PREVIEW_CODES.values() for code in codes]
    preview.flags = list(entries.exclude(code__in=preview_codes)[:limit])
    return preview


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
    active = CopperCompany.objects.filter(
        is_active_customer=True, missing_from_copper_since__isnull=True
    ).exclude(account_number="")
    numbers = list(
        active.order_by()
        .values("account_number")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by("account_number")
        .values_list("account_number", flat=True)
    )
    companies: dict[str, list[CopperCompany]] = {number: [] for number in numbers}
    for row in active.filter(account_number__in=numbers).select_related("assignee").order_by("pk"):
        companies[row.account_number].append(row)
    owners = {
        owner.account_number: owner
        for owner in AccountNumberOwner.objects.filter(account_number__in=numbers).select_related("chosen_by")
    }
    return [AccountNumberConflict(n, companies[n], owners.get(n)) for n in numbers]
