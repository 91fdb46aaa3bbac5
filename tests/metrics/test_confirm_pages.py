"""The confirmation pages of a change set's writes: Approve, Apply to Copper and Roll back each say what will
be written (per field: changes and sums before → after), ask for a tick per kind of flagged change, state the
stale check's promise, and only then act; the builder is never offered Approve; a rollback awaits a second
person's approval like any set."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from metrics.admin_changes import changes_url
from metrics.admin_confirm import BUILT_BY_YOU, STALE_PROMISE, flag_words
from metrics.models import ChangeSet
from metrics.selectors import change_set_field_summary
from metrics.services import changesets
from metrics.services.changesets import change_set_apply, change_set_approve, change_set_build
from syncs.models import SyncRun
from syncs.services.runs import sync_run_execute
from tests.metrics.metrics_world import AS_OF, FakeCopper, mappings_create, world_create

pytestmark = pytest.mark.django_db
Status = ChangeSet.Status


@pytest.fixture
def fake():
    companies = world_create()
    mappings_create()
    return FakeCopper(list(companies.values()))


@pytest.fixture
def queued(monkeypatch, fake):
    calls = []
    monkeypatch.setattr("syncs.queue.async_task", lambda *a, **k: calls.append(a) or "task")
    monkeypatch.setattr(changesets, "_client", lambda: fake)
    return calls


@pytest.fixture
def built(fake, staff_user):
    """alice's dry run: 13 changes on three companies, some flagged."""
    return change_set_build(client=fake, user=staff_user, as_of=AS_OF)


def _flags(change_set):
    totals = {}
    for field in change_set_field_summary(change_set=change_set):
        for flag, n in field.flag_counts.items():
            totals[flag] = totals.get(flag, 0) + n
    return totals


def _ticks(change_set):
    return {f"ack_{flag}": "1" for flag in _flags(change_set)}


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _url(name, change_set):
    return reverse(f"admin:metrics_changeset_{name}", args=[change_set.pk])


# --- approve ---------------------------------------------------------------------------------------------
def test_the_approve_page_shows_each_fields_changes_and_sums_and_a_tick_per_flag(
    client, built, second_staff_user
):
    client.force_login(second_staff_user)
    page = client.get(_url("approve", built)).content.decode()
    assert f"Approve {built}?" in page
    spent = next(f for f in change_set_field_summary(change_set=built) if f.field_name == "Total Spent")
    row = page.split('<th scope="row">Total Spent</th>', 1)[1].split("</tr>", 1)[0]
    assert f">{spent.changes}<" in row
    assert f"{spent.old_total:,.2f}" in row and f"{spent.new_total:,.2f}" in row
    dates = page.split('<th scope="row">Last Order Date</th>', 1)[1].split("</tr>", 1)[0]
    assert "not a number: no sum" in dates and " → " in dates, "a date shows an example instead of a sum"
    flags = _flags(built)
    assert flags, "the demo set has flagged changes"
    words = flag_words()
    for flag, count in flags.items():
        assert f'name="ack_{flag}"' in page
        assert f"I have looked at the {count} change" in page and words[flag] in page
        assert changes_url(built.pk, flag=flag).replace("&", "&amp;") in page, "each kind links to its changes"
    assert STALE_PROMISE in page
    assert "No, take me back" in page and f"Yes, approve {built}" in page
    built.refresh_from_db()
    assert built.status == Status.BUILT, "looking at the page approves nothing"


def test_approving_without_every_tick_is_refused_naming_the_unticked_flag(client, built, second_staff_user):
    client.force_login(second_staff_user)
    ticks = _ticks(built)
    left_out = sorted(ticks)[0]
    partial = {name: value for name, value in ticks.items() if name != left_out}
    response = client.post(_url("approve", built), partial)
    assert response.status_code == 200
    label = flag_words()[left_out.removeprefix("ack_")]
    assert any(label in text and "nothing was approved" in text for text in _messages(response))
    assert sum(label in text for text in _messages(response)) == 1, "only the unticked flag is named"
    built.refresh_from_db()
    assert built.status == Status.BUILT


def test_approving_with_every_tick_approves_and_returns_to_the_set(client, built, second_staff_user):
    client.force_login(second_staff_user)
    response = client.post(_url("approve", built), _ticks(built))
    assert response.url == _url("review", built)
    built.refresh_from_db()
    assert (built.status, built.approved_by) == (Status.APPROVED, second_staff_user)


def test_the_builder_sees_no_approve_button_and_cannot_open_the_approve_page(client, built, staff_user):
    client.force_login(staff_user)
    page = client.get(_url("review", built)).content.decode()
    assert 'id="approve-button"' not in page and BUILT_BY_YOU in page
    response = client.get(_url("approve", built))
    assert response.url == _url("review", built)
    assert any("a different person must approve it" in text for text in _messages(response))
    client.post(_url("approve", built), _ticks(built))
    built.refresh_from_db()
    assert built.status == Status.BUILT


def test_with_the_one_person_setting_the_builder_is_offered_approve(client, built, staff_user, settings):
    settings.METRICS_ALLOW_SELF_APPROVAL = True
    client.force_login(staff_user)
    page = client.get(_url("review", built)).content.decode()
    assert 'id="approve-button"' in page and BUILT_BY_YOU not in page
    assert "lets one person approve their own sets" in client.get(_url("approve", built)).content.decode()
    client.post(_url("approve", built), _ticks(built))
    built.refresh_from_db()
    assert (built.status, built.approved_by) == (Status.APPROVED, staff_user)


def test_a_second_person_sees_the_approve_button(client, built, second_staff_user):
    client.force_login(second_staff_user)
    page = client.get(_url("review", built)).content.decode()
    assert 'id="approve-button"' in page and BUILT_BY_YOU not in page
    assert f'href="{_url("approve", built)}"' in page


# --- apply -----------------------------------------------------------------------------------------------
def test_the_apply_page_promises_the_stale_check_and_needs_the_ticks_before_starting(
    client, built, second_staff_user, queued
):
    change_set_approve(change_set=built, user=second_staff_user)
    client.force_login(second_staff_user)
    page = client.get(_url("apply", built)).content.decode()
    assert f"Apply {built} to Copper?" in page and STALE_PROMISE in page
    assert "13 changes on 3 companies" in page
    response = client.post(_url("apply", built), {})
    assert response.status_code == 200
    assert any("nothing was applied" in text for text in _messages(response))
    assert not SyncRun.objects.exists(), "no run before every flag is ticked"

    response = client.post(_url("apply", built), _ticks(built))
    run = SyncRun.objects.get(kind=SyncRun.Kind.METRICS_APPLY)
    assert response.url == reverse("admin:syncs_syncrun_progress", args=[run.pk])
    assert (run.options, run.status, run.started_by) == (
        {"change_set_id": built.pk},
        "queued",
        second_staff_user,
    )


def test_an_unapproved_set_offers_no_apply_page(client, built, second_staff_user, queued):
    client.force_login(second_staff_user)
    response = client.get(_url("apply", built))
    assert response.url == _url("review", built)
    assert any("only an approved set can be applied" in text for text in _messages(response))
    client.post(_url("apply", built), _ticks(built))
    assert not SyncRun.objects.exists()


# --- roll back -------------------------------------------------------------------------------------------
def test_roll_back_builds_a_set_awaiting_approval_a_second_person_approves_and_it_applies(
    client, built, fake, staff_user, second_staff_user, queued
):
    change_set_approve(change_set=built, user=second_staff_user)
    change_set_apply(change_set=built, client=fake, user=second_staff_user)
    assert fake.value(102, "Total Spent") == 600.0
    fake.puts.clear()

    # alice asks for the rollback: the page says what goes back; confirming builds the set and opens it.
    client.force_login(staff_user)
    page = client.get(_url("rollback", built)).content.decode()
    assert f"Roll back {built}?" in page and "Sum Copper holds now" in page and "Sum put back" in page
    assert "Nothing is written to Copper now" in page
    response = client.post(_url("rollback", built))
    rollback = ChangeSet.objects.get(rollback_of=built)
    assert response.url == _url("review", rollback)
    assert (rollback.status, rollback.built_by) == (Status.BUILT, staff_user)
    assert fake.puts == [] and fake.value(102, "Total Spent") == 600.0

    # She asked for it, so she is not offered Approve, and asking again lands on the same set.
    page = client.get(_url("review", rollback)).content.decode()
    assert 'id="approve-button"' not in page and BUILT_BY_YOU in page
    assert client.post(_url("rollback", built)).url == _url("review", rollback)
    assert ChangeSet.objects.filter(rollback_of=built).count() == 1
    client.post(_url("approve", rollback))
    rollback.refresh_from_db()
    assert rollback.status == Status.BUILT

    # bob approves it through the same confirmation, then applies it like any set.
    client.force_login(second_staff_user)
    page = client.get(_url("approve", rollback)).content.decode()
    assert "Total Spent" in page and "ack_" not in page, "a rollback has no flagged changes"
    client.post(_url("approve", rollback))
    rollback.refresh_from_db()
    assert (rollback.status, rollback.approved_by) == (Status.APPROVED, second_staff_user)
    client.post(_url("apply", rollback))
    run = SyncRun.objects.get(kind=SyncRun.Kind.METRICS_APPLY, options={"change_set_id": rollback.pk})
    run = sync_run_execute(run_id=run.pk)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert fake.value(102, "Total Spent") == 500.0
    built.refresh_from_db()
    rollback.refresh_from_db()
    assert (built.status, rollback.status) == (Status.ROLLED_BACK, Status.APPLIED)


def test_an_unapplied_set_offers_no_rollback(client, built, staff_user):
    client.force_login(staff_user)
    response = client.get(_url("rollback", built))
    assert response.url == _url("review", built)
    assert any("only an applied set can be rolled back" in text for text in _messages(response))
    client.post(_url("rollback", built))
    assert not ChangeSet.objects.filter(rollback_of=built).exists()
