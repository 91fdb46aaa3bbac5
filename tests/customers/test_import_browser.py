"""In a real browser (Debian's Chromium through Playwright): a person uploads the demo world's Fishbowl files on
"Import from Fishbowl", reads the dry-run preview, confirms, watches the run's progress page and its summary.

The worker is a background thread of the test process (``BackgroundWorker``, standing in for ``qcluster``).
"""

import time

import pytest
from django.urls import reverse

from customers.demo import demo_world_write
from customers.models import SalesOrderLine
from syncs.models import SyncRun
from tests.browser import SCREENSHOTS, browser_page_open, chromium_required
from tests.syncs.helpers import BackgroundWorker

chromium_required()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(monkeypatch):
    with browser_page_open(monkeypatch, width=1200, timeout_ms=30_000) as page:
        yield page


@pytest.fixture
def worker(monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    worker = BackgroundWorker()
    monkeypatch.setattr("syncs.queue.async_task", worker.async_task)
    yield worker
    worker.join()


def test_upload_preview_confirm_progress_and_summary(live_server, staff_user, worker, browser_page, tmp_path):
    counts = demo_world_write(out_dir=tmp_path / "demo", seed=7, companies=300)
    page = browser_page
    page.goto(
        f"{live_server.url}{reverse('admin:login')}?next={reverse('admin:customers_fishbowlcustomer_changelist')}"
    )
    page.fill("#id_username", "alice")
    page.fill("#id_password", "alice-password")
    page.click("input[type=submit]")
    page.get_by_role("link", name="Import from Fishbowl").click()
    page.wait_for_selector("#upload-form")

    page.set_input_files("#id_customers", str(tmp_path / "demo" / "fishbowl_customers.csv"))
    page.set_input_files("#id_orders", str(tmp_path / "demo" / "fishbowl_sales_order_lines.csv"))
    started = time.monotonic()
    page.click("#preview-import")
    page.wait_for_selector("#preview-heading")
    preview_seconds = time.monotonic() - started
    page.screenshot(path=str(SCREENSHOTS / "fishbowl-import-preview.png"), full_page=True)

    summary = page.inner_text("#preview-summary")
    assert f"Order lines: {counts['sales_order_lines']} created" in summary
    assert "Sales Order Status" in page.inner_text(".preview-mapping >> nth=1")
    assert SalesOrderLine.objects.count() == 0  # a preview writes nothing

    started = time.monotonic()
    page.click("#confirm-import")
    page.wait_for_url("**/progress/")
    page.wait_for_selector("#sp-status")
    progress_seconds = time.monotonic() - started
    page.wait_for_selector("#sp-summary", state="visible")
    page.screenshot(path=str(SCREENSHOTS / "fishbowl-import-done.png"), full_page=True)

    assert page.inner_text("#sp-status") == "Succeeded"
    assert page.inner_text("#sp-message").startswith("Imported: Customers: ")
    run = SyncRun.objects.get(kind=SyncRun.Kind.FISHBOWL_IMPORT)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert SalesOrderLine.objects.count() == counts["sales_order_lines"]
    print(f"preview shown after {preview_seconds:.2f} s; progress page after {progress_seconds:.2f} s")
