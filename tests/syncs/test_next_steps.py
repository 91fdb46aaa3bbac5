"""A finished run's progress page leads on: its next steps as buttons, the runs it started with their outcome,
its options as sentences and every count with a label in words (page and the JSON it polls alike)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.services.sync import customer_sync_after_pull
from integrity.models import CheckResultRecord, IntegrityReport
from metrics.models import ChangeSet
from syncs.models import SyncRun, SyncRunLog

pytestmark = pytest.mark.django_db

Kind = SyncRun.Kind
Status = SyncRun.Status


def progress_url(run):
    return reverse("admin:syncs_syncrun_progress", args=[run.pk])


def json_url(run):
    return reverse("admin:syncs_syncrun_progress_json", args=[run.pk])


def visible_text(page: str) -> str:
    """What a person reads: the page without scripts, styles, tags and attributes."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def next_step_links(page: str) -> dict[str, str]:
    """The buttons in the page's next-steps box: label → link."""
    box = page.split('id="sp-next"')[1].split("</div>")[0]
    return {
        label: url for url, label in re.findall(r'<a class="button[^"]*" href="([^"]+)">([^<]+)</a>', box)
    }


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def no_broker(monkeypatch):
    monkeypatch.setattr("syncs.queue.async_task", lambda *args, **kwargs: "task")


def finished(kind, **fields):
    started = timezone.now() - timedelta(seconds=20)
    values = {
        "kind": kind,
        "status": Status.SUCCEEDED,
        "started_at": started,
        "step_started_at": started,
        "finished_at": timezone.now(),
    }
    values.update(fields)
    return SyncRun.objects.create(**values)


def test_a_finished_dry_runs_page_and_json_offer_review_change_set_n_leading_to_it(staff_client, staff_user):
    change_set = ChangeSet.objects.create(built_by=staff_user, definitions_fingerprint="f")
    run = finished(
        Kind.METRICS_DRY_RUN,
        created=12,
        counts={"change_set_id": change_set.pk, "copper_reads": 2},
        message=f"Built change set #{change_set.pk}: 12 changes on 6 companies (0 flagged).",
    )
    page = staff_client.get(progress_url(run)).content.decode()
    links = next_step_links(page)
    label = f"Review change set #{change_set.pk}"
    assert list(links) == [label]
    landing = staff_client.get(links[label], follow=True)
    assert landing.status_code == 200
    assert f"#{change_set.pk}" in landing.content.decode()
    # The id is a button, not a box "CHANGE SET ID 1" among the counts.
    assert "Change set id" not in visible_text(page)
    assert "Changes proposed" in visible_text(page)

    data = staff_client.get(json_url(run)).json()
    assert data["next_steps"] == [{"label": label, "url": links[label], "primary": True}]
    assert "change_set_id" not in [name for name, _, _ in data["figures"]]


def test_a_running_runs_json_has_no_next_steps_yet_and_the_finished_one_does(staff_client, staff_user):
    change_set = ChangeSet.objects.create(built_by=staff_user, definitions_fingerprint="f")
    run = finished(Kind.METRICS_DRY_RUN, status=Status.RUNNING, finished_at=None, total=10, processed=3)
    assert staff_client.get(json_url(run)).json()["next_steps"] == []
    # The worker finishes while the page is open: the next poll carries the button the script renders.
    SyncRun.objects.filter(pk=run.pk).update(
        status=Status.SUCCEEDED, finished_at=timezone.now(), counts={"change_set_id": change_set.pk}
    )
    steps = staff_client.get(json_url(run)).json()["next_steps"]
    assert [step["label"] for step in steps] == [f"Review change set #{change_set.pk}"]
    script = staff_client.get(progress_url(run)).content.decode()
    assert "s.next_steps" in script and "s.started_runs" in script


def test_a_pull_that_chained_a_customer_sync_lists_it_with_its_counts(staff_client, no_broker, settings):
    settings.CUSTOMER_SYNC_AFTER_PULL = True
    pull = finished(Kind.COPPER_PULL, options={"full": False}, processed=640, created=3, updated=600)
    sync = customer_sync_after_pull(run=pull)
    SyncRun.objects.filter(pk=sync.pk).update(
        status=Status.SUCCEEDED, created=603, updated=12, finished_at=timezone.now()
    )
    report = IntegrityReport.objects.create(
        run=pull, trigger=IntegrityReport.Trigger.AFTER_RUN, state="warning"
    )
    CheckResultRecord.objects.create(
        report=report, check_name="companies_without_customer", title="Companies without a customer",
        state="warning", count=7,
    )  # fmt: skip

    page = staff_client.get(progress_url(pull)).content.decode()
    text = visible_text(page)
    assert (
        f"This Copper pull started customer sync #{sync.pk}: succeeded: 603 new customers, 12 customers changed"
        in text
    )
    assert f'href="{progress_url(sync)}"' in page
    links = next_step_links(page)
    assert links[f"Integrity report #{report.pk} after this run: Warning"] == reverse(
        "admin:integrity_integrityreport_change", args=[report.pk]
    )
    assert links["Companies without a customer: 7"].endswith(f"?report={report.pk}")
    # The pull's count naming the sync it started is the list above, not a box.
    assert "Customer sync run" not in text

    data = staff_client.get(json_url(pull)).json()
    assert [r["url"] for r in data["started_runs"]] == [progress_url(sync)]
    assert data["started_runs"][0]["is_active"] is False

    # The customer sync's own page says what started it.
    assert "started after" in visible_text(staff_client.get(progress_url(sync)).content.decode())


def test_options_read_as_sentences(staff_client, staff_user):
    change_set = ChangeSet.objects.create(built_by=staff_user, definitions_fingerprint="f")
    pull = finished(Kind.COPPER_PULL, options={"full": False})
    full = finished(Kind.COPPER_PULL, options={"full": True})
    apply = finished(Kind.METRICS_APPLY, options={"change_set_id": change_set.pk})
    by_hand = finished(Kind.INTEGRITY, options={"trigger": "on_demand"})
    after = finished(Kind.INTEGRITY, options={"trigger": "after_run"}, parent=pull)

    def page(run):
        return staff_client.get(progress_url(run)).content.decode()

    assert "Incremental pull (changes since the last pull; the first pull reads every company)" in page(pull)
    assert "Full pull (every company" in page(full)
    change_set_url = reverse("admin:metrics_changeset_change", args=[change_set.pk])
    assert f'<a href="{change_set_url}">Change set #{change_set.pk}</a>' in page(apply)
    assert "Started by hand" in page(by_hand)
    assert f"After Copper pull #{pull.pk}" in page(after)
    for run in (pull, full, apply, by_hand, after):
        text = visible_text(page(run))
        for jargon in ("full:", "change_set_id", "trigger", "on_demand", "false", "true"):
            assert jargon not in text, (run, jargon)
    # The run list words them the same way.
    listing = visible_text(staff_client.get(reverse("admin:syncs_syncrun_changelist")).content.decode())
    assert "Incremental pull (changes since the last pull; the first pull reads every company)" in listing and "Started by hand" in listing


def test_no_internal_count_key_appears_on_a_metrics_apply_page(staff_client, staff_user):
    change_set = ChangeSet.objects.create(built_by=staff_user, definitions_fingerprint="f")
    run = finished(
        Kind.METRICS_APPLY,
        options={"change_set_id": change_set.pk},
        updated=40,
        skipped=2,
        counts={
            "copper_reads": 3,
            "copper_puts": 40,
            "change_set_id": change_set.pk,
            "log_entries_dropped": 1,
        },
    )
    page = staff_client.get(progress_url(run)).content.decode()
    text = visible_text(page)
    assert "Companies updated in Copper" in text and "Pages read from Copper" in text
    assert "Log entries not kept (the log was full)" in text
    for key in (
        "copper_reads",
        "copper_puts",
        "change_set_id",
        "log_entries_dropped",
        "Copper puts",
        "Copper reads",
    ):
        assert key not in text
    assert set(next_step_links(page)) == {f"Back to change set #{change_set.pk}"}
    labels = [label for _, label, _ in staff_client.get(json_url(run)).json()["figures"]]
    assert "Companies updated in Copper" in labels and not any("_" in label for label in labels)


def test_a_broken_next_step_hook_leaves_the_page_and_the_other_steps_working(staff_client, monkeypatch):
    from syncs import run_words

    def broken(run):
        raise RuntimeError("boom")

    monkeypatch.setattr(run_words, "next_steps_providers", lambda kind: [broken])
    run = finished(Kind.COPPER_PULL)
    response = staff_client.get(progress_url(run))
    assert response.status_code == 200
    assert staff_client.get(json_url(run)).json()["next_steps"] == []


def test_the_indeterminate_bar_is_striped_and_shows_words_not_a_dash(staff_client):
    run = finished(
        Kind.COPPER_PULL, status=Status.RUNNING, finished_at=None, total=None, processed=0, step="Users"
    )
    page = staff_client.get(progress_url(run)).content.decode()
    bar = page.split('id="sp-bar"')[1].split("</div>\n  </div>")[0]
    assert "sync-bar-indeterminate" in page.split('id="sp-bar"')[0][-80:] + bar[:60]
    assert "–" not in bar
    assert "Working… (no total yet)" in bar
    assert "–" not in visible_text(page.split('id="sp-counts"')[0])


def test_the_log_opens_on_its_newest_page_with_older_pages_and_a_level_filter(staff_client):
    run = finished(Kind.CUSTOMER_SYNC)
    SyncRunLog.objects.bulk_create(
        SyncRunLog(
            run=run, level="error" if n % 10 == 0 else "warning", record=f"company {n}", message=f"entry {n}"
        )
        for n in range(250)
    )
    page = visible_text(staff_client.get(progress_url(run)).content.decode())
    assert "entry 249" in page and "entry 150" in page and "entry 149 " not in page
    assert "Entries 151 to 250 of 250 (the newest)" in page
    first = visible_text(staff_client.get(progress_url(run), {"log_page": 1}).content.decode())
    assert "entry 0 " in first and "entry 49 " in first and "entry 50 " not in first
    errors = visible_text(staff_client.get(progress_url(run), {"level": "error"}).content.decode())
    assert (
        "entry 240" in errors and "entry 241" not in errors and "Entries" not in errors
    )  # 25 errors: one page


def test_a_list_showing_the_first_few_links_to_all_of_them_page_by_page(staff_client):
    run = finished(Kind.CUSTOMER_SYNC, options={"apply": False}, created=130)
    SyncRunLog.objects.bulk_create(
        SyncRunLog(run=run, level="info", code="would_create", record=f"C{n}", message=f"would create {n}")
        for n in range(130)
    )
    SyncRunLog.objects.create(run=run, level="warning", code="probable_match", record="X", message="other")
    preview = staff_client.get(
        reverse("admin:customers_customer_sync_preview", args=[run.pk])
    ).content.decode()
    link = f"{progress_url(run)}?code=would_create&amp;code=created"
    assert f'href="{link}">All of them, page by page' in preview
    page = staff_client.get(link.replace("&amp;", "&")).content.decode()
    text = visible_text(page)
    assert "would create 129" in text and "other" not in text
    assert "Entries 31 to 130 of 130 (the newest)" in text
    assert 'href="?code=would_create&amp;code=created&amp;log_page=1"' in page
    older = visible_text(
        staff_client.get(progress_url(run), {"code": ["would_create"], "log_page": 1}).content.decode()
    )
    assert "would create 0 " in older and "would create 30 " not in older
