"""Reading Copper by keyset windows: no edit hides a company, the 100,000 cap is never met, deletions are proved."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from copper.client import CopperClient
from copper.errors import CopperError
from copper.models import CopperCompany
from copper.sandbox.chaos import WalkChaos
from copper.services.pull import copper_pull
from syncs.models import SyncRun
from syncs.progress import Progress

pytestmark = pytest.mark.django_db


def sandbox_client(sandbox, **options):
    return CopperClient(
        api_key="sandbox-key",
        user_email="tests@example.com",
        base_url=sandbox.base_url,
        rate_per_minute=None,
        **options,
    )


def walked_ids(pages):
    return [row["id"] for page in pages for row in page]


def test_offset_paging_loses_a_company_when_one_already_read_is_edited_and_the_keyset_walk_does_not(
    copper_sandbox_factory,
):
    sandbox = copper_sandbox_factory(companies=40)
    client = sandbox_client(sandbox)
    # The sandbox edits one company already read (the oldest) right after the first page.
    sandbox.server.chaos = WalkChaos(edits_per_page=1, budget=1)
    offset = walked_ids(client.companies_search(page_size=10))
    assert len(set(offset)) == 39  # the measured loss: everything after the edited row shifted back one

    sandbox.server.chaos = WalkChaos(edits_per_page=1, budget=1)
    keyset = walked_ids(client.companies_walk(page_size=10, maximum_modified=2**31))
    assert sorted(set(keyset)) == sorted(sandbox.company_ids())
    assert client.last_walk.completed


def test_a_walk_reads_every_company_past_the_search_cap_in_about_one_request_per_page(copper_sandbox_factory):
    sandbox = copper_sandbox_factory(companies=2000)
    sandbox.store.search_cap = 500
    client = sandbox_client(sandbox)
    assert len(walked_ids(client.companies_search())) == 500  # offset paging stops at the cap
    sandbox.reset_stats()
    ids = walked_ids(client.companies_walk())
    assert len(ids) == len(set(ids)) == 2000
    assert sandbox.stats()["requests"] <= math.ceil(2000 / 200) + 2


def test_companies_sharing_one_second_beyond_a_page_are_paged_within_that_second(copper_sandbox_factory):
    sandbox = copper_sandbox_factory(companies=700)
    same_second = sandbox.company_ids()[:450]
    for company_id in same_second:
        sandbox.company_edit(company_id, {}, date_modified=1_600_000_000)
    client = sandbox_client(sandbox)
    ids = walked_ids(client.companies_walk())
    assert len(ids) == len(set(ids)) == 700
    assert client.last_walk.same_second_windows == 1


def test_an_edit_inside_a_crowded_second_shifts_its_pages_but_hides_no_company(copper_sandbox_factory):
    sandbox = copper_sandbox_factory(companies=700)
    crowded = sandbox.company_ids()[:450]
    for company_id in crowded:
        sandbox.company_edit(company_id, {}, date_modified=1_000_000_000)  # the oldest second of the world
    # After each of the first two searches a rep edits the oldest company, one of the crowded second already
    # read: the rows behind it shift back one page position.
    sandbox.server.chaos = WalkChaos(edits_per_page=1, budget=2)
    client = sandbox_client(sandbox)
    ids = set(walked_ids(client.companies_walk(maximum_modified=2**31)))
    assert ids == set(sandbox.company_ids())
    assert len(sandbox.server.chaos.edited) == 2


def test_a_second_holding_more_than_the_search_cap_stops_the_walk_with_a_clear_message(
    copper_sandbox_factory,
):
    sandbox = copper_sandbox_factory(companies=300)
    sandbox.store.search_cap = 200
    for company_id in sandbox.company_ids():
        sandbox.company_edit(company_id, {}, date_modified=1_600_000_000)
    client = sandbox_client(sandbox)
    with pytest.raises(CopperError, match="modified in the same second"):
        walked_ids(client.companies_walk(search_cap=200))
    assert not client.last_walk.completed


def full_pull(sandbox, *, started_seconds_ago=0, client=None):
    started = timezone.now() - timedelta(seconds=started_seconds_ago)
    run = SyncRun.objects.create(
        kind=SyncRun.Kind.COPPER_PULL,
        status=SyncRun.Status.RUNNING,
        started_at=started,
        options={"full": True},
    )
    result = copper_pull(client=client or sandbox_client(sandbox), full=True, run=run, progress=Progress(run))
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now())
    return result


def missing_ids():
    return set(
        CopperCompany.objects.filter(missing_from_copper_since__isnull=False).values_list("pk", flat=True)
    )


def test_a_deleted_company_is_marked_missing_only_once_a_lookup_by_id_confirms_it(copper_sandbox_factory):
    sandbox = copper_sandbox_factory(companies=1000)
    full_pull(sandbox)
    deleted = sandbox.company_ids()[3]
    sandbox.company_delete(deleted)
    client = sandbox_client(sandbox)
    looked_up = []
    original = client.companies_by_ids

    def spy(ids, **kwargs):
        ids = list(ids)
        looked_up.append(ids)
        return original(ids, **kwargs)

    client.companies_by_ids = spy
    result = full_pull(sandbox, client=client)
    assert looked_up == [[deleted]]
    assert result.marked_missing == 1
    assert missing_ids() == {deleted}
    row = CopperCompany.objects.get(pk=deleted)
    assert row.name  # kept, with its history
    assert CopperCompany.history.filter(copper_id=deleted).count() == 2


def test_companies_edited_during_a_full_pull_are_never_marked_missing_and_deleted_ones_are(
    copper_sandbox_factory,
):
    sandbox = copper_sandbox_factory(companies=1000)
    full_pull(sandbox)
    # Between pages a rep edits two companies the walk has not read yet (they move past its upper bound, the
    # run's start) and deletes one, after each of the first three pages (of six).
    chaos = sandbox.server.chaos = WalkChaos(
        edits_per_page=2, deletes_per_page=1, edit_pick="newest", budget=9
    )
    result = full_pull(sandbox, started_seconds_ago=5)
    assert (len(chaos.edited), len(chaos.deleted)) == (6, 3)
    assert missing_ids() == set(chaos.deleted)
    assert result.still_in_copper == len(chaos.edited)
    for company_id in chaos.edited:
        row = CopperCompany.objects.get(pk=company_id)
        assert row.date_modified.timestamp() == sandbox.company(company_id)["date_modified"]


def test_an_incremental_pull_never_marks_a_company_missing(copper_sandbox_factory):
    sandbox = copper_sandbox_factory(companies=300)
    full_pull(sandbox)
    sandbox.company_delete(sandbox.company_ids()[0])
    result = copper_pull(client=sandbox_client(sandbox), full=False)
    assert not result.full
    assert missing_ids() == set()


def test_a_full_pull_that_fails_midway_marks_nothing_missing(copper_sandbox_factory):
    sandbox = copper_sandbox_factory(companies=1000)
    full_pull(sandbox)
    sandbox.company_delete(sandbox.company_ids()[0])
    client = sandbox_client(sandbox, max_retries=0, timeout=2)
    calls = {"n": 0}
    original = client.request

    def fail_on_the_third_search(method, path, **kwargs):
        if path == "/companies/search":
            calls["n"] += 1
            if calls["n"] == 3:
                raise CopperError("Copper went away")
        return original(method, path, **kwargs)

    client.request = fail_on_the_third_search
    with pytest.raises(CopperError):
        full_pull(sandbox, client=client)
    assert missing_ids() == set()


def test_the_sandbox_walk_options_are_set_over_http_and_a_wrong_one_is_refused(copper_sandbox):
    status, _, body = copper_sandbox.request(
        "PUT", "/_sandbox/walk", {"search_cap": 50, "deletes_per_page": 2}
    )
    assert status == 200
    assert (body["search_cap"], body["deletes_per_page"]) == (50, 2)
    status, _, body = copper_sandbox.request("PUT", "/_sandbox/walk", {"edits_per_second": 1})
    assert status == 422
    assert "unknown walk options: edits_per_second" in body["message"]
    status, _, page = copper_sandbox.request("POST", "/companies/search", {"page_size": 40, "page_number": 2})
    assert (status, len(page)) == (200, 10)  # rows 41-50: the cap ends the answer
    assert len(copper_sandbox.company_ids()) == 60 - 2  # two deleted after that page
