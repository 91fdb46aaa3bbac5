"""In a real browser (Debian's Chromium through Playwright): start a Copper pull from the sync dashboard, watch
the progress bar advance, read the final summary; and cancel a pull from its progress page.

Everything is real except the worker process: the pull runs in a background thread of the test process
(``BackgroundWorker``, standing in for ``manage.py qcluster``) against the in-process Copper sandbox over
HTTP, while the browser polls the live server, as in ``make demo``. The sandbox enforces Copper's own limit of
180 requests a minute and the client paces itself under it, so 3,000 companies (15 pages of 200) take about
six seconds: the speed a person sees against the real Copper, and slow enough to watch the bar move.
"""

import time

import pytest
from django.urls import reverse

from copper.models import CopperCompany
from syncs.models import SyncRun
from tests.browser import SCREENSHOTS, browser_page_open, chromium_required
from tests.syncs.helpers import BackgroundWorker

COMPANIES = 3000
COPPER_LIMIT_PER_MINUTE = 180

chromium_required()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(monkeypatch):
    with browser_page_open(monkeypatch, width=1200, timeout_ms=20_000) as page:
        yield page


@pytest.fixture
def worker(monkeypatch, settings):
    # This page is about the pull; the customer sync a successful pull chains is another run (and page).
    settings.CUSTOMER_SYNC_AFTER_PULL = False
    worker = BackgroundWorker()
    monkeypatch.setattr("syncs.queue.async_task", worker.async_task)
    yield worker
    worker.join()


@pytest.fixture
def copper(copper_sandbox_factory, settings):
    """The sandbox with Copper's rate limit, and copperhub pointed at it with its normal client pacing."""
    sandbox = copper_sandbox_factory(companies=COMPANIES, rate_limit=COPPER_LIMIT_PER_MINUTE)
    settings.COPPER_BASE_URL = sandbox.base_url
    settings.COPPER_API_KEY = sandbox.headers["X-PW-AccessToken"]
    settings.COPPER_USER_EMAIL = sandbox.headers["X-PW-UserEmail"]
    settings.COPPER_RATE_LIMIT_PER_MINUTE = COPPER_LIMIT_PER_MINUTE
    # The sliding-window limiter sends a small pull at network speed; a far-away Copper keeps it watchable.
    sandbox.server.latency = 0.3
    return sandbox


def sign_in_and_start_a_pull(page, base_url):
    page.goto(f"{base_url}{reverse('admin:login')}?next={reverse('admin:syncs_syncrun_dashboard')}")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-password")
    page.click("input[type=submit]")
    page.wait_for_selector("#sync-dashboard")
    page.screenshot(path=str(SCREENSHOTS / "sync-dashboard.png"), full_page=True)
    page.get_by_role("button", name="Copper pull", exact=True).click()
    page.wait_for_url("**/progress/")
    run = SyncRun.objects.get(kind=SyncRun.Kind.COPPER_PULL)
    assert page.url.endswith(reverse("admin:syncs_syncrun_progress", args=[run.pk]))
    return run


def shown(page):
    """(status, step, percent, processed) as the page shows them now."""
    return tuple(
        page.inner_text(selector) for selector in ("#sp-status", "#sp-step", "#sp-percent", "#sp-processed")
    )


def test_starting_a_pull_shows_the_bar_advance_and_then_the_summary(
    live_server, staff_user, worker, copper, browser_page
):
    page = browser_page
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    run = sign_in_and_start_a_pull(page, live_server.url)

    # Sample what the person sees until the summary appears.
    companies_step = []
    mid_shot = SCREENSHOTS / "sync-progress-mid.png"
    mid_shot.unlink(missing_ok=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not page.is_visible("#sp-summary"):
        status, step, percent, processed = shown(page)
        if status == "Running" and step == "Companies" and percent.endswith("%"):
            if not companies_step or companies_step[-1] != (percent, processed):
                companies_step.append((percent, processed))
            if not mid_shot.exists() and 30 <= float(percent.rstrip(" %")) <= 70:
                page.screenshot(path=str(mid_shot), full_page=True)
        time.sleep(0.1)

    assert len(companies_step) >= 3, f"the bar should move at least twice while running: {companies_step}"
    percents = [float(percent.rstrip(" %")) for percent, _ in companies_step]
    assert percents == sorted(percents) and percents[0] < 100
    assert mid_shot.exists()

    page.wait_for_selector("#sp-summary", state="visible")
    assert page.inner_text("#sp-status") == "Succeeded"
    assert page.inner_text("#sp-percent") == "100.0 %"
    assert page.inner_text("#sp-processed") == "3,000 / 3,000"
    assert page.inner_text("#sp-summary-title").startswith("Succeeded after")
    counts = page.inner_text("#sp-summary-counts")
    assert "Companies added: 3,000" in counts and "Companies updated: 0" in counts and "Errors: 0" in counts
    assert "Copper users added" in counts and "Requests to Copper" in counts
    assert "slow down" not in counts  # the pull paced itself under Copper's limit: not one 429
    assert page.inner_text("#sp-message").startswith("Full pull: 3000 companies (3000 created, 0 updated")
    assert page.is_hidden("#sp-actions")
    page.wait_for_timeout(700)  # let the bar's width transition finish before the picture
    page.screenshot(path=str(SCREENSHOTS / "sync-progress-done.png"), full_page=True)

    # Polling stops a few polls after the run (those catch the runs it starts); nothing was ever fetched from
    # anywhere but this server.
    time.sleep(3.5)
    polls = sum("progress.json" in url for url in requests)
    time.sleep(2.5)
    assert sum("progress.json" in url for url in requests) == polls
    assert all(url.startswith(live_server.url) for url in requests), requests

    run.refresh_from_db()
    assert (run.status, run.processed, run.created) == (SyncRun.Status.SUCCEEDED, COMPANIES, COMPANIES)
    assert CopperCompany.objects.count() == COMPANIES
    assert copper.stats()["responses_429"] == 0


def test_cancelling_a_pull_from_its_page_stops_it_between_pages_and_keeps_them(
    live_server, staff_user, worker, copper, browser_page
):
    page = browser_page
    run = sign_in_and_start_a_pull(page, live_server.url)
    page.wait_for_function("document.getElementById('sp-step').textContent === 'Companies'")
    page.wait_for_function("parseInt(document.getElementById('sp-processed').textContent) > 0")
    page.click("#sp-cancel")

    page.wait_for_selector("#sp-summary", state="visible")
    assert page.inner_text("#sp-status") == "Cancelled"
    assert "batches already committed are kept" in page.inner_text("#sp-message")
    assert page.is_hidden("#sp-actions")
    run.refresh_from_db()
    assert run.status == SyncRun.Status.CANCELLED
    # Whole pages were committed, and only those (a keyset page re-reads its boundary row: 200, then 199 new).
    assert 0 < run.processed < COMPANIES and (run.processed - 200) % 199 == 0
    assert CopperCompany.objects.count() == run.processed
