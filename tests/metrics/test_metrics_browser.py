"""In a real browser (Debian's Chromium through Playwright): check the mapping, press "Sync Sales Metrics to
Copper", see the dry run's change set, have a second person approve it and apply it (each on its confirmation
page, every flag kind ticked) while the progress bar moves,
and read the summary.

Everything is real except the worker process: runs execute in a background thread of the test process
(``BackgroundWorker``) against the in-process Copper sandbox over HTTP, which enforces Copper's 180 requests a
minute; the client paces itself under it, so applying 30 companies takes about ten seconds.
"""

import time

import pytest
from django.urls import reverse

from copper.client import copper_client_from_settings
from copper.services.pull import copper_pull
from metrics.models import ChangeSet
from syncs.models import SyncRun
from tests.browser import SCREENSHOTS, browser_page_open, chromium_required
from tests.metrics.metrics_world import pulled_companies_linked_and_mapped
from tests.metrics.test_metrics_push_sandbox import MAPPED
from tests.syncs.helpers import BackgroundWorker

LINKED = 30

chromium_required()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(monkeypatch):
    with browser_page_open(monkeypatch, width=1300, timeout_ms=30_000) as page:
        yield page


@pytest.fixture
def worker(monkeypatch):
    worker = BackgroundWorker()
    monkeypatch.setattr("syncs.queue.async_task", worker.async_task)
    yield worker
    worker.join()


@pytest.fixture
def world(copper_sandbox_factory, settings):
    """The sandbox at Copper's limit, pulled; 30 companies linked to customers with orders; every metric mapped."""
    sandbox = copper_sandbox_factory(companies=40, rate_limit=180)
    settings.COPPER_BASE_URL = sandbox.base_url
    settings.COPPER_API_KEY = sandbox.headers["X-PW-AccessToken"]
    settings.COPPER_USER_EMAIL = sandbox.headers["X-PW-UserEmail"]
    settings.COPPER_RATE_LIMIT_PER_MINUTE = 180
    copper_pull(client=copper_client_from_settings(), full=True)
    # The limiter lets 30 writes go at network speed; a far-away Copper keeps the apply long enough to watch.
    sandbox.server.latency = 0.3
    pulled_companies_linked_and_mapped(linked=LINKED, mapped=MAPPED)
    return sandbox


def sign_in(page, base_url, username, next_url):
    page.context.clear_cookies()
    page.goto(f"{base_url}{reverse('admin:login')}?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-password")
    page.click("input[type=submit]")


def confirm(page, screenshot):
    """On a confirmation page: the per-field table, every flag ticked, then "Yes, …"."""
    page.wait_for_selector("#confirm-summary")
    page.screenshot(path=str(SCREENSHOTS / screenshot), full_page=True)
    for box in page.locator("#confirm-flags input[type=checkbox]").all():
        box.check()
    page.click("#confirm-yes")


def wait_for_summary(page, run_kind):
    page.wait_for_url("**/progress/")
    page.wait_for_selector("#sp-summary", state="visible", timeout=60_000)
    assert page.inner_text("#sp-status") == "Succeeded", page.inner_text("#sp-message")
    return SyncRun.objects.filter(kind=run_kind).latest("queued_at")


def test_check_dry_run_second_person_approval_apply_with_progress_and_summary(
    live_server, staff_user, second_staff_user, worker, world, browser_page
):
    page, base = browser_page, live_server.url

    # 1. alice checks the mapping: no problems, a sample of real companies, the button.
    sign_in(page, base, "alice", reverse("admin:metrics_fieldmapping_changelist"))
    page.click("#check-mapping")
    page.wait_for_selector("#mapping-ok")
    assert page.locator("#mapping-sample tbody tr").count() == 3
    page.screenshot(path=str(SCREENSHOTS / "metrics-mapping-check.png"), full_page=True)

    # 2. The button builds a dry run, followed on its progress page.
    page.get_by_role("button", name="Sync Sales Metrics to Copper", exact=True).click()
    wait_for_summary(page, SyncRun.Kind.METRICS_DRY_RUN)
    change_set = ChangeSet.objects.get()
    assert page.inner_text("#sp-message").startswith(f"Built change set #{change_set.pk}:")

    # 3. alice opens the set: she built it, so her approval is refused.
    page.goto(f"{base}{reverse('admin:metrics_changeset_changelist')}")
    page.get_by_role("link", name=str(change_set), exact=True).click()
    page.wait_for_selector("#changeset-summary")
    page.screenshot(path=str(SCREENSHOTS / "metrics-changeset.png"))
    page.click("#review-changes")
    rows = page.locator("#result_list tbody tr").count()
    assert rows == min(change_set.counts["changes"], 100)
    page.screenshot(path=str(SCREENSHOTS / "metrics-changes.png"))
    page.click("#back-to-change-set")
    assert page.locator("#approve-button").count() == 0
    assert page.inner_text("#approve-not-offered") == "Built by you; another person must approve."
    assert page.inner_text("#changeset-status") == "Built (awaiting approval)"

    # 4. bob approves on the confirmation page (a tick per flag kind), then applies through its own page;
    #    the bar moves while Copper is written at its own pace.
    review = reverse("admin:metrics_changeset_review", args=[change_set.pk])
    sign_in(page, base, "bob", review)
    page.click("#approve-button")
    confirm(page, "metrics-approve-confirm.png")
    page.wait_for_function("document.getElementById('changeset-status').textContent === 'Approved'")
    page.click("#apply-button")
    confirm(page, "metrics-apply-confirm.png")
    page.wait_for_url("**/progress/")
    seen = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not page.is_visible("#sp-summary"):
        percent = page.inner_text("#sp-percent")
        if page.inner_text("#sp-status") == "Running" and percent.endswith("%") and percent not in seen:
            seen.append(percent)
            if len(seen) == 3:
                page.screenshot(path=str(SCREENSHOTS / "metrics-apply-progress.png"), full_page=True)
        time.sleep(0.1)
    assert len(seen) >= 3, f"the bar should move while applying: {seen}"
    values = [float(p.rstrip(" %")) for p in seen]
    assert values == sorted(values) and values[0] < 100
    run = wait_for_summary(page, SyncRun.Kind.METRICS_APPLY)
    change_set.refresh_from_db()
    applied = change_set.counts["outcome_applied"]
    assert page.inner_text("#sp-message") == (
        f"Change set #{change_set.pk} applied: {applied} applied, 0 stale (kept), 0 failed."
    )
    page.screenshot(path=str(SCREENSHOTS / "metrics-apply-done.png"), full_page=True)

    # 5. The set's page shows the outcome; Copper (the sandbox's own data) holds the previewed values.
    page.goto(f"{base}{review}")
    assert page.inner_text("#changeset-status") == "Applied"
    assert (change_set.applied_by, change_set.approved_by, change_set.built_by) == (
        second_staff_user,
        second_staff_user,
        staff_user,
    )
    for change in change_set.changes.all()[:20]:
        held = {
            f["custom_field_definition_id"]: f["value"]
            for f in world.company(change.company_id)["custom_fields"]
        }
        assert held[change.definition_id] == change.new_value
    assert world.stats()["responses_429"] == 0
    assert run.counts["copper_puts"] == change_set.counts["companies_changed"]
