"""The daily flows walked in a real browser (Debian's Chromium through Playwright) as a person walks them: from
the admin index, clicking links and buttons by the words on them, never typing an address after signing in.

1. A Copper pull, the customer sync it starts and the integrity report after that: Today → Sync dashboard →
   Copper pull → its progress page says which run it started → that run → its report's findings.
2. A metrics push with the two-person rule: Today → Sync Sales Metrics to Copper → dry run → review → a second
   person approves and applies → summary → roll back → the rollback is applied → Copper holds the old values.

Everything is real except the worker process: runs execute in threads of the test process
(``BackgroundWorker``) against the Copper sandbox over HTTP on loopback; the browser polls the live server.
Each walk counts its clicks (``Walk.clicks``): the figure "clicks from the admin index to an applied push".
"""

from __future__ import annotations

import re
import time

import pytest

from copper.client import copper_client_from_settings
from copper.services.pull import copper_pull
from customers.models import FishbowlCustomer
from integrity.models import IntegrityReport
from integrity.selectors import FINDINGS_PER_PAGE
from metrics.models import ChangeSet
from syncs.models import SyncRun
from tests.browser import SCREENSHOTS, admin_sign_in, browser_page_open, chromium_required
from tests.metrics.metrics_world import pulled_companies_linked_and_mapped
from tests.metrics.test_metrics_push_sandbox import MAPPED
from tests.syncs.helpers import BackgroundWorker

chromium_required()

# Each walk, sandbox and browser included, stays under a minute (about 5 and 12 s on a quiet machine).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

# From the admin index to an applied push: alice's Today link, the dry-run button, "Review change set #N" (3);
# handing over (Log out, Log in again, Log in: 3); bob's Today count, the set (2); Approve…, Yes, Apply to
# Copper…, Yes (4). 12 in all; one more means a link was lost (without "Review change set #N" alice needs 3).
CLICKS_TO_APPLIED_PUSH_AT_MOST = 12
# The same walk in the admin before issue 15 (main at 45eb1b7, counted from its templates): Field mappings,
# Check mapping, Sync Sales Metrics to Copper; the progress page's plain "Built change set #1", so Home, Change
# sets, the set (6); handing over (3); Change sets, the set, Approve, Apply to Copper (4), with no confirmation.
OLD_ADMIN_CLICKS_TO_APPLIED_PUSH = 13


class Walk:
    """A person in the browser: clicks by visible words, counting each click (a form sent counts once)."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.clicks = 0
        self.waits: list[tuple[float, str]] = []

    def sign_in(self, username: str) -> None:
        """Sign in on the login page (typing its address is the one allowed; it does not count as a click)."""
        admin_sign_in(self.page, self.base_url, username)

    def sign_out(self) -> None:
        # Django's "Log out" is a POST form button in the user tools.
        self.click_button("Log out")
        self.page.wait_for_selector("#content")

    def _click(self, locator) -> None:
        locator.wait_for(state="visible")
        self.clicks += 1
        words = locator.inner_text() or locator.get_attribute("value") or "?"
        started = time.monotonic()
        locator.click()
        self.page.wait_for_load_state()
        self.waits.append((time.monotonic() - started, words.strip()[:60]))

    def slowest(self, n: int = 3) -> str:
        """The clicks the person waited longest on (to the next page's load), for the report."""
        return ", ".join(f"{words!r} {seconds * 1000:.0f} ms" for seconds, words in sorted(self.waits)[-n:])

    def click_link(self, name: str, *, exact: bool = False, within: str | None = None) -> None:
        scope = self.page.locator(within) if within else self.page
        self._click(scope.get_by_role("link", name=name, exact=exact).first)

    def click_button(self, name: str, *, exact: bool = False) -> None:
        self._click(self.page.get_by_role("button", name=name, exact=exact).first)

    def tick(self, label: str) -> None:
        """Tick a box by its label (part of filling a form: the form's button is the counted click)."""
        self.page.get_by_label(label).check()

    def text(self, selector: str = "#content") -> str:
        return self.page.inner_text(selector)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SCREENSHOTS / f"walk-{name}.png"), full_page=True)


def wait_for_summary(walk: Walk, *, timeout_ms: int = 45_000) -> str:
    """On a progress page: wait for the run to finish; what the summary says."""
    walk.page.wait_for_url("**/progress/")
    walk.page.wait_for_selector("#sp-summary", state="visible", timeout=timeout_ms)
    assert walk.text("#sp-status") == "Succeeded", walk.text("#sp-message")
    return walk.text("#content")


@pytest.fixture
def browser_page(monkeypatch):
    with browser_page_open(monkeypatch, width=1400, timeout_ms=20_000) as page:
        yield page


@pytest.fixture
def worker(monkeypatch):
    worker = BackgroundWorker()
    monkeypatch.setattr("syncs.queue.async_task", worker.async_task)
    yield worker
    worker.join()


def point_at(settings, sandbox) -> None:
    settings.COPPER_BASE_URL = sandbox.base_url
    settings.COPPER_API_KEY = sandbox.headers["X-PW-AccessToken"]
    settings.COPPER_USER_EMAIL = sandbox.headers["X-PW-UserEmail"]
    settings.COPPER_RATE_LIMIT_PER_MINUTE = 0


# --- 1. pull → chained customer sync → findings ------------------------------------------------------------


def test_a_pull_leads_to_the_customer_sync_it_started_and_from_there_to_the_findings(
    live_server, staff_user, worker, copper_sandbox_factory, settings, browser_page
):
    sandbox = copper_sandbox_factory(companies=300, slow_seconds=0)
    sandbox.server.latency = 0
    point_at(settings, sandbox)
    settings.CUSTOMER_SYNC_AFTER_PULL = True
    walk = Walk(browser_page, live_server.url)
    started = time.monotonic()

    walk.sign_in("alice")
    assert walk.page.get_by_role("link", name="Sync dashboard", exact=True).first.is_visible()
    walk.click_link("Sync dashboard", exact=True, within="#today-panel")
    walk.page.wait_for_selector("#sync-dashboard")
    walk.click_button("Copper pull", exact=True)

    # The pull's page: the bar ends full, the counts are labelled in words.
    wait_for_summary(walk)
    pull = SyncRun.objects.get(kind=SyncRun.Kind.COPPER_PULL)
    assert walk.text("#sp-processed") == "300 / 300"
    assert "Companies added: 300" in walk.text("#sp-summary-counts")
    # The customer sync it chained appears on the pull's page without a reload, with its outcome in words.
    started_line = walk.page.get_by_text(re.compile(r"started customer sync #\d+: succeeded", re.I))
    started_line.wait_for(timeout=15_000)
    sync = SyncRun.objects.get(kind=SyncRun.Kind.CUSTOMER_SYNC, parent=pull)
    created = FishbowlCustomer.objects.count()
    assert created > 0
    assert f"customer sync #{sync.pk}: succeeded: {created:,} new customers" in started_line.inner_text()
    walk.shot("1-pull-done")

    # The customer sync's page: what it did, and the report stored after it, one click away.
    walk.click_link(f"customer sync #{sync.pk}")
    assert walk.page.url.endswith(f"/{sync.pk}/progress/")
    wait_for_summary(walk)
    assert "Applies the changes to the Fishbowl customers" in walk.text("#content")
    assert f"started after Copper pull #{pull.pk}" in walk.text("#content")
    assert walk.text("#sp-processed") == "300 / 300"
    counts = walk.text("#sp-summary-counts")
    assert f"New customers: {created:,}" in counts and "Errors: 0" in counts
    report_step = walk.page.get_by_role("link", name=re.compile(r"^Integrity report #\d+ after this run: "))
    report_step.wait_for(timeout=15_000)
    report = IntegrityReport.objects.get(run=sync)
    assert (
        report_step.inner_text()
        == f"Integrity report #{report.pk} after this run: {report.get_state_display()}"
    )
    walk.shot("1-customer-sync-done")

    walk._click(report_step)
    assert f"/integrityreport/{report.pk}/" in walk.page.url
    findings = walk.text("#content")
    assert f"Integrity report #{report.pk}" in findings and f"Customer sync #{sync.pk}" in findings
    assert "Customers with an unknown account type" in findings
    walk.shot("1-findings")

    # Back (the browser's button) to the sync's page, and its button for the worst check: the findings rows.
    walk.clicks += 1
    walk.page.go_back()
    walk.page.wait_for_selector("#sp-summary", state="visible")
    check_step = walk.page.get_by_role(
        "link", name=re.compile(r"^Customers with an unknown account type.*: \d+")
    )
    check_step.wait_for(timeout=15_000)
    unknown = int(check_step.inner_text().rsplit(": ", 1)[1].replace(",", ""))
    assert unknown > 0
    walk._click(check_step)
    rows = walk.text("#content")
    walk.shot("1-check-findings")
    assert walk.clicks == 6  # Today's link, Copper pull, the started sync, its report, Back, the check
    assert f"Findings: {unknown} customers" in rows
    assert "Account type unknown: its orders would be paid at the wrong commission rate." in rows
    # The findings are paged (FINDINGS_PER_PAGE a page): the first page is full, or holds them all.
    assert walk.page.get_by_role("row").filter(has_text="Account type unknown").count() == min(
        unknown, FINDINGS_PER_PAGE
    )
    print(f"walk 1: {walk.clicks} clicks, {time.monotonic() - started:.1f} s; slowest: {walk.slowest()}")


# --- 2. dry run → review → approve → apply → roll back → applied ----------------------------------------------

LINKED = 30


@pytest.fixture
def metrics_world(copper_sandbox_factory, settings):
    """The sandbox pulled (40 companies); 30 linked to customers with orders; every metric mapped."""
    sandbox = copper_sandbox_factory(companies=40, slow_seconds=0)
    sandbox.server.latency = 0
    point_at(settings, sandbox)
    copper_pull(client=copper_client_from_settings(), full=True)
    pulled_companies_linked_and_mapped(linked=LINKED, mapped=MAPPED)
    return sandbox


def copper_values(sandbox, company_ids) -> dict[tuple[int, int], object]:
    """(company, field definition) → the value the sandbox's Copper holds now."""
    return {
        (company_id, field["custom_field_definition_id"]): field["value"]
        for company_id in company_ids
        for field in sandbox.company(company_id)["custom_fields"]
    }


def switch_person(walk: Walk, username: str) -> None:
    """Sign out, and in as ``username`` from the "Log in again" link (no address typed)."""
    walk.click_button("Log out")
    walk.click_link("Log in again")
    walk.page.fill("#id_username", username)
    walk.page.fill("#id_password", f"{username}-password")
    walk.click_button("Log in")
    walk.page.wait_for_selector("#today-panel")


def confirm(walk: Walk, yes: str, shot: str) -> str:
    """On a confirmation page: read the per-field table, tick each flag kind by its words, press "Yes, …".

    Returns the page's text as the person read it before confirming."""
    walk.page.wait_for_selector("#confirm-summary")
    text = walk.text("#content")
    assert "what will be written, per copper field" in text.lower()
    for label in walk.page.locator("#confirm-flags label").all():
        words = label.inner_text().strip()
        assert re.match(r"I have looked at the [\d,]+ changes? flagged “[^”]+”", words), words
        walk.tick(words.split("”", 1)[0] + "”")
    walk.shot(shot)
    walk.click_button(yes, exact=True)
    return text


def test_a_metrics_push_walks_from_today_through_two_people_to_copper_and_back(
    live_server, staff_user, second_staff_user, worker, metrics_world, browser_page
):
    sandbox = metrics_world
    walk = Walk(browser_page, live_server.url)
    started = time.monotonic()

    # alice, on the admin index: Today → the mapping check → the dry run.
    walk.sign_in("alice")
    walk.click_link("Sync Sales Metrics to Copper", exact=True, within="#today-panel")
    walk.page.wait_for_selector("#mapping-ok")
    walk.click_button("Sync Sales Metrics to Copper", exact=True)
    wait_for_summary(walk)
    change_set = ChangeSet.objects.get()
    assert walk.text("#sp-message").startswith(f"Built change set #{change_set.pk}:")
    walk.click_link(f"Review change set #{change_set.pk}")

    # The review: status, the per-field summary on top; no Approve for the person who built it.
    walk.page.wait_for_selector("#changeset-summary")
    assert walk.text("#changeset-status") == "Built (awaiting approval)"
    summary = walk.text("#changeset-summary")
    assert "Total Orders" in summary and "Total Spent" in summary
    assert walk.page.get_by_role("link", name=re.compile("^Approve")).count() == 0
    assert walk.text("#approve-not-offered") == "Built by you; another person must approve."
    walk.shot("2-review-by-builder")

    # bob: Today counts the set awaiting him; one click to the list, one to the set.
    switch_person(walk, "bob")
    line = walk.text("#today-panel tr[data-line=change_sets]")
    assert "1 built by someone else, awaiting your approval" in line
    walk.click_link("Change sets awaiting my approval", within="#today-panel")
    walk.click_link(str(change_set), exact=True, within="#result_list")
    walk.page.wait_for_selector("#changeset-summary")

    # Approve on its confirmation page (a tick per flag kind), then apply through its own.
    changes = list(change_set.changes.all())
    company_ids = sorted({change.company_id for change in changes})
    before = copper_values(sandbox, company_ids)
    walk.click_link("Approve…", exact=True)
    flagged = change_set.counts["flagged"]
    # In a hurry, bob presses Yes without ticking: refused, a message per flag kind, nothing approved (this
    # press is not counted: the walk counts the clicks a person who reads the page needs).
    walk.page.get_by_role("button", name=f"Yes, approve {change_set}", exact=True).click()
    walk.page.wait_for_selector(".messagelist")
    refusals = walk.text(".messagelist")
    assert "Big jump" in refusals and "Went down" in refusals, refusals
    change_set.refresh_from_db()
    assert change_set.status == ChangeSet.Status.BUILT
    text = confirm(walk, f"Yes, approve {change_set}", "2-approve-confirm")
    assert f"Approve {change_set}?" in text
    assert walk.page.locator("#confirm-flags input[type=checkbox]").count() == 0  # left the page
    assert walk.text("#changeset-status") == "Approved"
    assert flagged > 0
    clicks_approved = walk.clicks
    walk.click_link("Apply to Copper…", exact=True)
    text = confirm(walk, f"Yes, apply {change_set}", "2-apply-confirm")
    assert f"Apply {change_set}" in text
    wait_for_summary(walk)
    clicks_to_applied = walk.clicks
    change_set.refresh_from_db()
    assert change_set.status == ChangeSet.Status.APPLIED
    assert (change_set.built_by, change_set.approved_by, change_set.applied_by) == (
        staff_user, second_staff_user, second_staff_user,
    )  # fmt: skip
    applied = change_set.counts["outcome_applied"]
    assert applied == len(changes)
    assert walk.text("#sp-message") == (
        f"Change set #{change_set.pk} applied: {applied} applied, 0 stale (kept), 0 failed."
    )
    after = copper_values(sandbox, company_ids)
    for change in changes:
        assert after[(change.company_id, change.definition_id)] == change.new_value
    walk.shot("2-applied")
    print(f"clicks index → applied push: {clicks_to_applied}")
    print(f"  (handing over to the second person: 3 of them; index → approved: {clicks_approved})")
    assert clicks_to_applied <= CLICKS_TO_APPLIED_PUSH_AT_MOST < OLD_ADMIN_CLICKS_TO_APPLIED_PUSH

    # Back to the set; bob rolls back: that builds a rollback set, and nothing is written yet.
    walk.click_link(f"Back to change set #{change_set.pk}")
    assert walk.text("#changeset-status") == "Applied"
    walk.click_link("Roll back…", exact=True)
    text = confirm(walk, "Yes, build the rollback", "2-rollback-confirm")
    assert "Nothing is written to Copper now" in text
    rollback = ChangeSet.objects.exclude(pk=change_set.pk).get()
    walk.page.wait_for_selector("#changeset-status")
    assert walk.text("#changeset-status") == "Built (awaiting approval)"
    assert f"rollback of {change_set}" in walk.text("#content-main")
    assert "another person approves it" in walk.text(".messagelist")
    assert walk.page.get_by_role("link", name=re.compile("^Approve")).count() == 0  # bob built this one
    assert copper_values(sandbox, company_ids) == after
    walk.shot("2-rollback-built")

    # alice (who did not build the rollback) approves and applies it; Copper holds the old values again.
    switch_person(walk, "alice")
    assert "1 built by someone else, awaiting your approval" in walk.text(
        "#today-panel tr[data-line=change_sets]"
    )
    walk.click_link("Change sets awaiting my approval", within="#today-panel")
    walk.click_link(str(rollback), exact=True, within="#result_list")
    walk.click_link("Approve…", exact=True)
    confirm(walk, f"Yes, approve {rollback}", "2-rollback-approve-confirm")
    assert walk.text("#changeset-status") == "Approved"
    walk.click_link("Apply to Copper…", exact=True)
    confirm(walk, f"Yes, apply {rollback}", "2-rollback-apply-confirm")
    wait_for_summary(walk)
    rollback.refresh_from_db()
    assert rollback.status == ChangeSet.Status.APPLIED
    assert (rollback.built_by, rollback.approved_by) == (second_staff_user, staff_user)
    walk.click_link(f"Back to change set #{rollback.pk}")
    assert walk.text("#changeset-status") == "Applied"
    walk.shot("2-rollback-applied")
    restored = copper_values(sandbox, company_ids)
    for change in changes:
        key = (change.company_id, change.definition_id)
        # Dates included: Copper (and the sandbox) keeps them at local midnight, and that is what comes back.
        assert restored[key] == before[key], (change.field_name, before[key], restored[key])
    print(f"walk 2: {walk.clicks} clicks, {time.monotonic() - started:.1f} s; slowest: {walk.slowest()}")
