"""The customer gap on the dashboard is exactly what the customer sync closes — before and after companies are
deleted from Copper, owners are chosen and duplicates are merged — because both read ``customers.selectors``."""

import pytest
from django.utils import timezone

from copper.models import CopperCompany
from customers.models import AccountNumberOwner, FishbowlCustomer
from customers.selectors import account_number_conflicts, copper_companies_syncable
from customers.services.sync import account_number_owner_choose, customer_sync
from integrity.checks import chain_summary, checks_run
from integrity.checks.companies import check_customer_gap, check_duplicate_account_ids
from tests.integrity.conftest import company, customer

pytestmark = pytest.mark.django_db


def gap_names() -> set[str]:
    return {f["label"].split(" (Account Order ID")[0] for f in check_customer_gap().findings}


def sync_closes() -> set[str]:
    """Apply a customer sync; the names of the companies that gained a linked customer."""
    before = set(
        FishbowlCustomer.objects.filter(copper_company__isnull=False).values_list("copper_company", flat=True)
    )
    customer_sync(apply=True)
    after = set(
        FishbowlCustomer.objects.filter(copper_company__isnull=False).values_list("copper_company", flat=True)
    )
    return set(CopperCompany.objects.filter(pk__in=after - before).values_list("name", flat=True))


def gone_from_copper(*companies: CopperCompany) -> None:
    """What a full pull does to companies Copper no longer returns (merged away or deleted)."""
    for c in companies:
        c.missing_from_copper_since = timezone.now()
        c.save()


@pytest.fixture
def world():
    customer("30", linked_to=company("Linked", "30"))
    company("No customer yet", "10")
    company("Customer not linked", "20")
    customer("20")
    company("Claim D", "40")
    company("Claim E", "40")
    company("Claim F", "50")
    company("Claim G", "50")
    company("Deleted in Copper", "60", missing=True)
    company("Inactive", "70", active=False)
    company("Bad number", "8 0!")
    company("Shares only with a deleted one", "90")
    company("Deleted twin", "90", missing=True)
    return {c.name: c for c in CopperCompany.objects.all()}


def test_the_gap_lists_exactly_the_companies_the_sync_links_and_then_closes(world):
    gap = check_customer_gap()
    assert gap_names() == {"No customer yet", "Customer not linked", "Shares only with a deleted one"}
    assert gap.count == 3
    assert gap.numbers["left_to_conflicts"] == 4  # D, E, F, G: nobody chose an owner
    assert gap.numbers["invalid_account_number"] == 1
    # Companies gone from Copper are in no count at all: 9 active companies with an id, not 11.
    assert gap.numbers["active_companies_with_id"] == 9
    assert check_duplicate_account_ids().count == 2

    assert sync_closes() == {"No customer yet", "Customer not linked", "Shares only with a deleted one"}
    assert check_customer_gap().count == 0
    assert gap_names() == set()


def test_choosing_an_owner_moves_the_company_into_the_gap_the_sync_then_closes(world):
    customer_sync(apply=True)
    assert check_customer_gap().count == 0

    account_number_owner_choose(account_number="50", company=world["Claim F"])

    duplicates = check_duplicate_account_ids()
    assert (duplicates.count, [f["label"] for f in duplicates.findings]) == (1, ["Account Order ID 40"])
    gap = check_customer_gap()
    assert gap_names() == {"Claim F"}
    assert gap.numbers["left_to_conflicts"] == 2
    assert gap.numbers["number_owned_by_another_company"] == 1  # G: not a gap, not a conflict
    assert sync_closes() == {"Claim F"}
    assert check_customer_gap().count == 0


def test_merging_the_duplicates_in_copper_clears_the_warning_and_the_survivor_is_synced(world):
    customer_sync(apply=True)
    assert check_duplicate_account_ids().count == 2

    gone_from_copper(world["Claim E"])  # merged into D in Copper; the next full pull marks E missing

    results = {r.check: r for r in checks_run(names=["duplicate_account_ids", "customer_gap"])}
    assert results["duplicate_account_ids"].count == 1
    assert [f["label"] for f in results["duplicate_account_ids"].findings] == ["Account Order ID 50"]
    assert gap_names() == {"Claim D"}
    assert sync_closes() == {"Claim D"}
    assert check_customer_gap().count == 0


def test_an_owner_who_leaves_copper_no_longer_resolves_the_number(world):
    account_number_owner_choose(account_number="50", company=world["Claim F"])
    assert check_duplicate_account_ids().count == 1
    gone_from_copper(world["Claim F"])
    # One active claimant is left: no longer shared, so no conflict, and G is synced like any other company.
    assert check_duplicate_account_ids().count == 1  # only 40 remains
    assert "Claim G" in gap_names()
    assert AccountNumberOwner.objects.filter(account_number="50").exists()


def test_the_conflicts_page_the_checks_and_the_sync_agree_on_what_is_shared(world):
    account_number_owner_choose(account_number="50", company=world["Claim F"])
    conflicts = {c.account_number: c for c in account_number_conflicts()}
    assert set(conflicts) == {"40", "50"}  # the page lists both, 50 as resolved
    assert (conflicts["40"].resolved, conflicts["50"].resolved) == (False, True)
    unresolved = {f["label"] for f in check_duplicate_account_ids().findings}
    assert unresolved == {f"Account Order ID {n}" for n, c in conflicts.items() if not c.resolved}
    syncable = set(copper_companies_syncable().values_list("name", flat=True))
    assert syncable == {
        "Linked",
        "No customer yet",
        "Customer not linked",
        "Claim F",
        "Shares only with a deleted one",
    }


def test_the_chain_counts_only_companies_still_in_copper(world):
    results = checks_run(names=["customer_gap", "orders_unattributed"])
    chain = chain_summary(results)
    assert chain["active_companies_with_id"] == 9
    assert chain_summary([])["active_companies_with_id"] == 9  # without the gap check: the same selector
