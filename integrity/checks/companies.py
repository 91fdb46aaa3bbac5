"""Checks of the Copper side of the chain: the customer gap, shared Account Order IDs, links to gone companies.

"Active company with an account number" and "shared number" come from ``customers.selectors`` — the same
definitions the customer sync acts on — so the gap counts exactly the companies the next sync would link or
create a customer for, and a conflict disappears once an owner is chosen or the duplicates are merged in Copper.
"""

from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q

from customers.models import FishbowlCustomer
from customers.selectors import (
    HELD_BY_CONFLICT,
    INVALID,
    NOT_OWNER,
    SYNCABLE,
    account_numbers_unresolved,
    copper_companies_active_with_number,
    copper_companies_classified,
)
from integrity.checks.base import (
    CheckResult,
    Finding,
    check,
    company_url,
    conflicts_url,
    customer_sync_url,
    customer_url,
    limit,
    result,
    url_first,
)


@check("customer_gap", "Active Copper companies with no linked Fishbowl customer", unit="companies")
def check_customer_gap() -> CheckResult:
    """Companies the customer sync mirrors (``customers.selectors.SYNCABLE``) with no Fishbowl customer linked.

    That is exactly what a customer sync run closes: it links the customer with the company's number, or creates
    one. Companies it cannot act on are counted beside, never in the gap: those whose number several active
    companies share with no owner chosen (``duplicate_account_ids``), those whose number another company owns,
    and those whose number Fishbowl could not have issued.
    """
    classified = copper_companies_classified().annotate(
        linked=Exists(FishbowlCustomer.objects.filter(copper_company=OuterRef("pk"))),
        has_number=Exists(FishbowlCustomer.objects.filter(account_number=OuterRef("account_number"))),
    )
    unlinked = Q(linked=False)
    totals = classified.aggregate(
        companies=Count("pk"),
        linked_=Count("pk", filter=Q(linked=True)),
        with_number=Count("pk", filter=Q(has_number=True)),
        missing=Count("pk", filter=unlinked & SYNCABLE),
        conflicts=Count("pk", filter=unlinked & HELD_BY_CONFLICT),
        not_owner=Count("pk", filter=unlinked & NOT_OWNER),
        invalid=Count("pk", filter=unlinked & INVALID),
    )
    missing = classified.filter(SYNCABLE, unlinked)
    action_url = customer_sync_url()
    findings = [
        Finding(
            label=f"{name} (Account Order ID {account_order_id or number})",
            url=company_url(pk),
            message=(
                f"Fishbowl customer {number} exists but is not linked to this company."
                if has_number
                else f"No Fishbowl customer has account number {number}."
            ),
            action="Run the customer sync",
            action_url=action_url,
        ).as_dict()
        for pk, name, account_order_id, number, has_number in missing.order_by("name", "pk").values_list(
            "pk", "name", "account_order_id", "account_number", "has_number"
        )[: limit()]
    ]
    count = totals["missing"]
    numbers = {
        "active_companies_with_id": totals["companies"],
        "fishbowl_customers": FishbowlCustomer.objects.count(),
        "matched": totals["linked_"],
        "customer_with_that_number": totals["with_number"],
        "unmatched": count,
        "left_to_conflicts": totals["conflicts"],
        "number_owned_by_another_company": totals["not_owner"],
        "invalid_account_number": totals["invalid"],
    }
    return result("customer_gap", count, numbers, findings)


@check(
    "duplicate_account_ids", "Account Order IDs shared by several active companies", unit="account numbers"
)
def check_duplicate_account_ids() -> CheckResult:
    """Shared numbers with no owner chosen (``customers.selectors.account_numbers_unresolved``).

    A number leaves the list when a person chooses its owner, or when merging or deactivating the duplicates in
    Copper leaves one active company with it (after the next pull).
    """
    unresolved = account_numbers_unresolved()
    count = unresolved.count()
    claimants = (
        copper_companies_active_with_number()
        .filter(account_number__in=unresolved)
        .values("account_number")
        .annotate(companies=Count("pk"))
        .order_by("-companies", "account_number")
    )
    company_changelist = url_first("admin:copper_coppercompany_changelist")
    action_url = conflicts_url()
    findings = [
        Finding(
            label=f"Account Order ID {row['account_number']}",
            url=f"{company_changelist}?{urlencode({'account_number': row['account_number']})}",
            message=f"{row['companies']} active companies claim this account number; no owner is chosen.",
            action="Choose the company that owns it (or merge the duplicates in Copper)",
            action_url=action_url,
        ).as_dict()
        for row in claimants[: limit()]
    ]
    return result("duplicate_account_ids", count, {"duplicated_ids": count}, findings)


@check(
    "customers_inactive_company",
    "Customers linked to an inactive or deleted Copper company",
    unit="customers",
)
def check_customers_inactive_company() -> CheckResult:
    inactive = Q(copper_company__is_active_customer=False)
    missing = Q(copper_company__missing_from_copper_since__isnull=False)
    linked = FishbowlCustomer.objects.filter(copper_company__isnull=False)
    totals = linked.aggregate(
        inactive=Count("pk", filter=inactive & ~missing), missing=Count("pk", filter=missing)
    )
    count = totals["inactive"] + totals["missing"]
    rows = (
        linked.filter(inactive | missing)
        .order_by("account_number")
        .values_list(
            "pk",
            "account_number",
            "name",
            "copper_company__name",
            "copper_company__missing_from_copper_since",
        )[: limit()]
    )
    findings = [
        Finding(
            label=f"{number} {name}",
            url=customer_url(pk),
            message=(
                f"Linked to {company!r}, which Copper no longer returns (since {gone:%Y-%m-%d})."
                if gone
                else f"Linked to {company!r}, which is not an active customer in Copper."
            ),
            action="Link the customer to its current company (or deactivate it)",
            action_url=customer_url(pk),
        ).as_dict()
        for pk, number, name, company, gone in rows
    ]
    numbers = {"inactive_company": totals["inactive"], "deleted_company": totals["missing"]}
    return result("customers_inactive_company", count, numbers, findings)
