"""The customer sync: every active Copper company with an Account Order ID has exactly one linked customer."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from copper.models import CopperCompany, CopperUser
from customers.models import AccountNumberOwner, FishbowlCustomer
from customers.services.sync import customer_sync, customer_sync_after_pull
from syncs.models import SyncRun
from syncs.progress import Progress
from syncs.services.runs import sync_run_execute, sync_run_start

pytestmark = pytest.mark.django_db

Type = FishbowlCustomer.AccountType
_ids = itertools.count(1000)


def company(number="", *, active=True, name=None, **fields):
    """A Copper company as the pull leaves it (typed columns already normalised)."""
    copper_id = fields.pop("copper_id", None) or next(_ids)
    return CopperCompany.objects.create(
        copper_id=copper_id,
        name=name or f"Company {copper_id}",
        account_order_id=fields.pop("account_order_id", number),
        account_number=number,
        is_active_customer=active,
        account_type=fields.pop("account_type", "Retail"),
        **fields,
    )


def customer(number, **fields):
    fields.setdefault("name", f"Customer {number}")
    return FishbowlCustomer.objects.create(account_number=number, **fields)


def codes(progress):
    return [entry.code for entry in progress.entries]


def entries(progress, code):
    return [entry for entry in progress.entries if entry.code == code]


def sync(**kwargs):
    progress = Progress.null()
    result = customer_sync(apply=kwargs.pop("apply", True), progress=progress, **kwargs)
    return result, progress


def started_run(apply=True):
    return SyncRun.objects.create(kind=SyncRun.Kind.CUSTOMER_SYNC, options={"apply": apply})


# --- creating the missing customers ---------------------------------------------------------------------
def test_a_missing_customer_is_created_linked_with_history_naming_the_run():
    rep = CopperUser.objects.create(copper_id=5, name="Dana Rep")
    acme = company(
        "1160",
        name="Acme Tools",
        account_type="Wholesale",
        region="West",
        assignee=rep,
        address={"street": "1 Main St", "city": "Springfield", "state": "IL", "postal_code": "62701"},
    )
    run = started_run()
    result = customer_sync(apply=True, run=run, progress=Progress(run))

    created = FishbowlCustomer.objects.get(account_number="1160")
    assert created.copper_company == acme
    assert (created.name, created.account_type, created.sales_rep, created.region) == (
        "Acme Tools",
        Type.WHOLESALE,
        "Dana Rep",
        "West",
    )
    assert created.source == FishbowlCustomer.Source.COPPER_SYNC
    assert created.billing_address == created.shipping_address == "1 Main St, Springfield, IL 62701"
    (record,) = created.history.all()
    assert record.history_change_reason == f"customer sync run #{run.pk}"
    assert result.created == 1
    run.refresh_from_db()
    assert run.created == 1 and run.counts["examined"] == 1
    assert "created 1" in run.message


def test_the_fishbowl_sales_person_field_wins_over_the_copper_assignee():
    rep = CopperUser.objects.create(copper_id=6, name="Copper Person")
    company("77", assignee=rep, fishbowl_sales_person="jsmith")
    company("78", assignee=rep)
    sync()
    assert FishbowlCustomer.objects.get(account_number="77").sales_rep == "jsmith"
    assert FishbowlCustomer.objects.get(account_number="78").sales_rep == "Copper Person"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Distributor", Type.DISTRIBUTOR),
        ("distributer", Type.DISTRIBUTOR),
        ("WHOLESALE", Type.WHOLESALE),
        ("Wholesaler", Type.WHOLESALE),
        (" retail ", Type.RETAIL),
    ],
)
def test_account_type_variants_are_recognised(label, expected):
    company("500", account_type=label)
    _, progress = sync()
    assert FishbowlCustomer.objects.get().account_type == expected
    assert "unknown_account_type" not in codes(progress)


@pytest.mark.parametrize("label", ["", "Partner"])
def test_an_empty_or_unknown_account_type_is_recorded_as_unknown_and_reported(label):
    company("501", account_type=label, name="Odd Co")
    _, progress = sync()
    assert FishbowlCustomer.objects.get().account_type == Type.UNKNOWN
    (entry,) = entries(progress, "unknown_account_type")
    assert "Odd Co" in entry.message and repr(label) in entry.message


def test_an_unknown_copper_account_type_never_downgrades_a_known_one():
    acme = company("502", account_type="")
    customer("502", account_type=Type.DISTRIBUTOR, copper_company=acme, name=acme.name)
    sync()
    assert FishbowlCustomer.objects.get().account_type == Type.DISTRIBUTOR


def test_inactive_companies_and_companies_without_an_id_are_skipped():
    company("600", active=False)
    company("601", missing_from_copper_since=timezone.now())
    company("")
    result, _ = sync()
    assert not FishbowlCustomer.objects.exists()
    assert (result.examined, result.skipped, result.created) == (3, 3, 0)


def test_the_sync_reads_the_normalised_active_column_not_the_raw_flag():
    # The pull turned "checked" into True; a raw "true" the pull did not confirm does not count.
    company("700", custom_fields=[{"custom_field_definition_id": 1, "value": "Checked"}])
    company("701", active=False, custom_fields=[{"custom_field_definition_id": 1, "value": "true"}])
    sync()
    assert list(FishbowlCustomer.objects.values_list("account_number", flat=True)) == ["700"]


def test_an_id_written_with_a_thousands_comma_matches_the_existing_customer():
    acme = company("1160", account_order_id="1,160")
    existing = customer("1160", name=acme.name, account_type=Type.RETAIL)
    result, _ = sync()
    existing.refresh_from_db()
    assert existing.copper_company == acme
    assert FishbowlCustomer.objects.count() == 1
    assert (result.created, result.updated) == (0, 1)


# --- updating drifted customers -------------------------------------------------------------------------
def test_drifted_fields_are_updated_and_unchanged_rows_are_not_written():
    acme = company(
        "800", name="Acme New", account_type="Distributor", region="East", fishbowl_sales_person="newrep"
    )
    steady = company("801", name="Steady", account_type="Retail")
    drifted = customer(
        "800", name="Acme Old", account_type=Type.RETAIL, sales_rep="Old Rep", copper_company=acme
    )
    still = customer("801", name="Steady", account_type=Type.RETAIL, copper_company=steady)
    run = started_run()
    result = customer_sync(apply=True, run=run, progress=Progress(run))

    drifted.refresh_from_db()
    assert (drifted.name, drifted.account_type, drifted.sales_rep, drifted.region) == (
        "Acme New",
        Type.DISTRIBUTOR,
        "newrep",
        "East",
    )
    assert drifted.history.first().history_change_reason == f"customer sync run #{run.pk}"
    assert still.history.count() == 1  # only its creation
    assert (result.updated, result.unchanged) == (1, 1)


def test_the_assignee_name_fills_an_empty_rep_but_never_replaces_a_fishbowl_username():
    rep = CopperUser.objects.create(copper_id=8, name="James Chen")
    kept = customer("810", sales_rep="jchen", copper_company=company("810", assignee=rep))
    filled = customer("811", sales_rep="", copper_company=company("811", assignee=rep))
    sync()
    kept.refresh_from_db()
    filled.refresh_from_db()
    assert (kept.sales_rep, filled.sales_rep) == ("jchen", "James Chen")


def test_the_copper_address_keeps_billing_right_fills_an_empty_shipping_and_ignores_mere_formatting():
    address = {
        "street": "1 Main St",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
        "country": "US",
    }
    same = customer(
        "820",
        billing_address="1 main st\nSpringfield, IL 62701",
        shipping_address="",
        copper_company=company("820", address=address),
    )
    moved = customer(
        "821",
        billing_address="9 Old Rd, Peoria, IL 61602",
        shipping_address="Dock 4, 9 Old Rd, Peoria, IL 61602",
        copper_company=company("821", address=address),
    )
    sync()
    same.refresh_from_db()
    moved.refresh_from_db()
    assert same.billing_address == "1 main st\nSpringfield, IL 62701"  # only written differently: left alone
    assert same.shipping_address == "1 Main St, Springfield, IL 62701"  # empty: filled
    assert moved.billing_address == "1 Main St, Springfield, IL 62701"
    assert moved.shipping_address == "Dock 4, 9 Old Rd, Peoria, IL 61602"  # Copper has no shipping address


def test_a_field_edited_by_hand_is_not_overwritten_but_the_difference_is_reported():
    acme = company("900", name="Acme From Copper", region="West")
    kept = customer("900", name="Acme (hand-fixed)", copper_company=acme, locked_fields=["name"])
    _, progress = sync()
    kept.refresh_from_db()
    assert kept.name == "Acme (hand-fixed)"
    assert kept.region == "West"  # unlocked fields are still kept right
    (entry,) = entries(progress, "locked_field_differs")
    assert "Acme From Copper" in entry.message and entry.detail["field"] == "name"


# --- matching rules and conflicts -----------------------------------------------------------------------
def test_a_name_only_match_is_reported_as_probable_and_never_merged():
    company("1001", name="Blue Hen Supply")
    loner = customer("B-17", name="Blue Hen Supply")
    _, progress = sync()
    assert FishbowlCustomer.objects.filter(account_number="1001").exists()
    loner.refresh_from_db()
    assert loner.copper_company is None
    (entry,) = entries(progress, "probable_match_by_name")
    assert "B-17" in entry.message and "1001" in entry.message


def test_one_id_on_two_active_companies_is_a_conflict_naming_both_and_nothing_is_synced():
    first = company("1200", name="Acme East")
    second = company("1200", name="Acme West")
    result, progress = sync()
    assert not FishbowlCustomer.objects.exists()
    (entry,) = entries(progress, "duplicate_account_number")
    assert "Acme East" in entry.message and "Acme West" in entry.message
    assert {c["id"] for c in entry.detail["companies"]} == {first.pk, second.pk}
    assert result.conflicts == 1


def test_a_chosen_owner_of_a_duplicated_id_wins_silently_on_later_runs(staff_user):
    company("1300", name="Acme East")
    west = company("1300", name="Acme West")
    sync()
    AccountNumberOwner.objects.create(account_number="1300", company=west, chosen_by=staff_user)
    result, progress = sync()
    assert FishbowlCustomer.objects.get(account_number="1300").copper_company == west
    assert "duplicate_account_number" not in codes(progress)
    assert result.conflicts == 0
    again, _ = sync()
    assert (again.created, again.updated) == (0, 0)


def test_a_customer_linked_to_a_company_that_became_inactive_is_reported_and_left_linked():
    gone = company("1400", active=False, name="Closed Shop")
    linked = customer("1400", copper_company=gone)
    result, progress = sync()
    (entry,) = entries(progress, "linked_company_inactive")
    assert "Closed Shop" in entry.message and "1400" in entry.message
    linked.refresh_from_db()
    assert linked.copper_company == gone
    assert result.conflicts == 1


def test_a_company_whose_id_changed_gets_the_customer_with_the_new_id_and_the_move_is_reported():
    acme = company("1501", name="Acme")  # was 1500 in Copper
    old = customer("1500", name="Acme", copper_company=acme)
    _, progress = sync()
    old.refresh_from_db()
    new = FishbowlCustomer.objects.get(account_number="1501")
    assert new.copper_company == acme
    assert old.copper_company is None
    (entry,) = entries(progress, "linked_company_id_changed")
    assert "1500" in entry.message and "1501" in entry.message
    assert entry.detail["customer"]["account_number"] == "1500"
    again, _ = sync()
    assert (again.created, again.updated) == (0, 0)


def test_links_that_swap_between_two_customers_in_one_run_respect_the_one_to_one_link():
    a = company("1601")
    b = company("1602")
    first = customer("1601", name=a.name, copper_company=b)
    second = customer("1602", name=b.name, copper_company=a)
    sync()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.copper_company, second.copper_company) == (a, b)


def test_an_id_fishbowl_would_not_issue_is_reported_and_not_created():
    company("12 34!", name="Typo Co")
    result, progress = sync()
    assert not FishbowlCustomer.objects.exists()
    (entry,) = entries(progress, "invalid_account_number")
    assert "Typo Co" in entry.message
    assert result.conflicts == 1


# --- dry run, re-run, batching --------------------------------------------------------------------------
def test_a_dry_run_writes_nothing_and_lists_the_would_be_creates_and_updates():
    acme = company("1700", name="Acme New")
    company("1701", name="Fresh")
    customer("1700", name="Acme Old", copper_company=acme)
    run = started_run(apply=False)
    result = customer_sync(apply=False, run=run, progress=Progress(run))

    assert FishbowlCustomer.objects.count() == 1
    assert FishbowlCustomer.objects.get().name == "Acme Old"
    assert FishbowlCustomer.history.count() == 1
    assert [row["account_number"] for row in result.creates] == ["1701"]
    assert result.updates[0]["changes"]["name"] == {"before": "Acme Old", "after": "Acme New"}
    logged = {entry.code: entry for entry in run.log_entries.all()}
    assert logged["would_update"].detail["changes"]["name"]["after"] == "Acme New"
    assert logged["would_create"].detail["account_number"] == "1701"
    run.refresh_from_db()
    assert (run.created, run.updated) == (1, 1)
    assert run.message.startswith("Dry run")


def test_a_second_run_right_after_creates_and_updates_nothing():
    for number in range(1800, 1830):
        company(str(number), region="North")
    customer("1800", name="Stale name")
    first, _ = sync()
    history_rows = FishbowlCustomer.history.count()
    second, _ = sync()
    assert (first.created, first.updated) == (29, 1)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 30)
    assert FishbowlCustomer.history.count() == history_rows


def _queries_for(n):
    FishbowlCustomer.objects.all().delete()
    CopperCompany.objects.all().delete()
    for i in range(n):
        company(f"Q{i}")
        if i % 2:
            customer(f"Q{i}", name="drifted")
    with CaptureQueriesContext(connection) as ctx:
        result, _ = sync()
    assert result.created + result.updated == n
    return len(ctx.captured_queries)


def test_the_query_count_grows_with_batches_not_with_companies():
    few = _queries_for(10)
    many = _queries_for(100)
    # Ten times the companies: only the bulk statements split by the database's parameter limit grow.
    assert many <= few + 8, (few, many)


def test_smaller_batches_mean_more_queries_but_the_same_result(settings):
    settings.CUSTOMER_SYNC_BATCH_SIZE = 10
    for i in range(30):
        company(f"S{i}")
    with CaptureQueriesContext(connection) as ctx:
        result, _ = sync()
    assert result.created == 30
    assert len(ctx.captured_queries) < 60


def test_the_runner_reads_apply_from_the_run_options(monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    company("1900")
    dry = sync_run_start(kind=SyncRun.Kind.CUSTOMER_SYNC)
    sync_run_execute(run_id=dry.pk)
    assert not FishbowlCustomer.objects.exists()
    applied = sync_run_start(kind=SyncRun.Kind.CUSTOMER_SYNC, options={"apply": True})
    sync_run_execute(run_id=applied.pk)
    applied.refresh_from_db()
    assert applied.status == SyncRun.Status.SUCCEEDED
    assert FishbowlCustomer.objects.get().history.first().history_change_reason == (
        f"customer sync run #{applied.pk}"
    )


def test_a_successful_pull_starts_an_applying_customer_sync_when_the_setting_is_on(settings, monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    settings.CUSTOMER_SYNC_AFTER_PULL = True
    pull = SyncRun.objects.create(kind=SyncRun.Kind.COPPER_PULL, status=SyncRun.Status.SUCCEEDED)
    customer_sync_after_pull(run=pull)
    child = SyncRun.objects.get(kind=SyncRun.Kind.CUSTOMER_SYNC)
    assert child.parent == pull and child.options == {"apply": True}
    # Another pull while that sync is still queued: no error, no second sync (the queued one reads both).
    assert customer_sync_after_pull(run=pull) == child
    assert SyncRun.objects.filter(kind=SyncRun.Kind.CUSTOMER_SYNC).count() == 1


def test_a_failed_pull_or_the_setting_off_starts_no_customer_sync(settings, monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: "t")
    failed = SyncRun.objects.create(kind=SyncRun.Kind.COPPER_PULL, status=SyncRun.Status.FAILED)
    customer_sync_after_pull(run=failed)
    settings.CUSTOMER_SYNC_AFTER_PULL = False
    ok = SyncRun.objects.create(kind=SyncRun.Kind.COPPER_PULL, status=SyncRun.Status.SUCCEEDED)
    customer_sync_after_pull(run=ok)
    assert not SyncRun.objects.filter(kind=SyncRun.Kind.CUSTOMER_SYNC).exists()


def test_history_rows_carry_the_values_the_type_and_the_person_who_started_the_run(staff_user):
    acme = company("2100", name="Acme", region="West", account_type="Retail")
    drifted = customer("2101", name="Old", copper_company=company("2101", name="New", account_type="Retail"))
    customer_sync(apply=True, user=staff_user)

    created = FishbowlCustomer.objects.get(account_number="2100")
    (born,) = created.history.all()
    assert (born.history_type, born.history_user, born.copper_company_id) == ("+", staff_user, acme.pk)
    assert born.instance.name == "Acme" and born.instance.region == "West"
    assert born.history_date is not None and born.created_at == created.created_at
    changed = drifted.history.first()
    assert (changed.history_type, changed.history_user, changed.name) == ("~", staff_user, "New")
    assert changed.prev_record.name == "Old"
    assert sorted(changed.diff_against(changed.prev_record).changed_fields) == ["account_type", "name"]


def test_progress_counts_every_company_and_a_cancel_between_pages_keeps_the_pages_already_written(
    settings, monkeypatch
):
    from customers.services.sync_engine import CustomerSync
    from syncs.progress import RunCancelled

    settings.CUSTOMER_SYNC_BATCH_SIZE = 10
    for i in range(30):
        company(f"C{i}")
    run = started_run()
    original = CustomerSync._page

    def page_then_cancel(self, companies):  # a person clicks "cancel" while the first page is written
        original(self, companies)
        SyncRun.objects.filter(pk=run.pk).update(cancel_requested=True)

    monkeypatch.setattr(CustomerSync, "_page", page_then_cancel)
    with pytest.raises(RunCancelled):
        customer_sync(apply=True, run=run, progress=Progress(run, interval=0))
    run.refresh_from_db()
    assert FishbowlCustomer.objects.count() == 10
    assert (run.total, run.processed, run.created) == (30, 10, 10)


def test_a_page_that_fails_on_a_constraint_is_rolled_back_counted_as_errors_and_the_run_goes_on(
    settings, monkeypatch
):
    from django.db import IntegrityError

    from customers.services import sync_engine

    settings.CUSTOMER_SYNC_BATCH_SIZE = 5
    for i in range(10):
        company(f"E{i}")
    real_insert = sync_engine.bulk_insert_with_history
    calls = []

    def insert_failing_once(**kwargs):
        calls.append(len(kwargs["rows"]))
        real_insert(**kwargs)
        if len(calls) == 1:
            raise IntegrityError("UNIQUE constraint failed: customers_fishbowlcustomer.account_number")

    monkeypatch.setattr(sync_engine, "bulk_insert_with_history", insert_failing_once)
    result, progress = sync()
    assert FishbowlCustomer.objects.count() == 5  # the second page; the first was rolled back whole
    assert FishbowlCustomer.history.count() == 5
    assert (result.created, result.errors) == (5, 5)
    (entry,) = entries(progress, "page_failed")
    assert "UNIQUE constraint failed" in entry.message
    again, _ = sync()
    assert again.created == 5  # the next run retries the failed page
