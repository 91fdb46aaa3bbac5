"""In a real browser: a page open while its run goes from queued (no total: a striped bar, words, no "–") to
running (the bar jumps to its real width, never easing down from full beside "0.0 %") to finished (the next
steps appear as buttons without a reload)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import ChangeSet
from syncs.models import SyncRun
from tests.browser import SCREENSHOTS, browser_page_open, chromium_required

chromium_required()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(monkeypatch):
    with browser_page_open(monkeypatch, width=1200, timeout_ms=20_000) as page:
        yield page


def fill_fraction(page) -> float:
    return page.evaluate(
        "() => document.getElementById('sp-fill').getBoundingClientRect().width /"
        " document.getElementById('sp-bar').getBoundingClientRect().width"
    )


def test_the_bar_is_striped_without_a_total_jumps_to_its_width_and_the_buttons_appear_at_the_end(
    live_server, staff_user, browser_page
):
    page = browser_page
    change_set = ChangeSet.objects.create(built_by=staff_user, definitions_fingerprint="f")
    run = SyncRun.objects.create(
        kind=SyncRun.Kind.METRICS_DRY_RUN,
        status=SyncRun.Status.RUNNING,
        step="Computing sales metrics",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    url = reverse("admin:syncs_syncrun_progress", args=[run.pk])
    page.goto(f"{live_server.url}{reverse('admin:login')}?next={url}")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-password")
    page.click("input[type=submit]")
    page.wait_for_selector("#sp-bar.sync-bar-indeterminate")
    assert page.inner_text("#sp-percent") == "Working… (no total yet)"
    assert "–" not in page.inner_text("#sp-bar")
    page.screenshot(path=str(SCREENSHOTS / "progress-indeterminate.png"))

    SyncRun.objects.filter(pk=run.pk).update(step="Reading current values from Copper", total=200, processed=0)
    page.wait_for_function("() => document.getElementById('sp-percent').textContent === '0.0 %'")
    assert fill_fraction(page) < 0.02  # not 60 % full, easing down from the striped bar

    SyncRun.objects.filter(pk=run.pk).update(processed=100)
    page.wait_for_function("() => document.getElementById('sp-percent').textContent === '50.0 %'")
    page.wait_for_timeout(900)  # the growth eases; then it sits at half
    assert 0.45 < fill_fraction(page) < 0.55

    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.SUCCEEDED, processed=200, finished_at=timezone.now(),
        counts={"change_set_id": change_set.pk}, created=12,
    )  # fmt: skip
    button = page.get_by_role("link", name=f"Review change set #{change_set.pk}")
    button.wait_for()
    page.screenshot(path=str(SCREENSHOTS / "progress-next-steps.png"), full_page=True)
    button.click()
    page.wait_for_load_state()
    assert f"/metrics/changeset/{change_set.pk}/" in page.url
