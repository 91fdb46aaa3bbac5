"""Real-browser tests: Debian's Chromium driven by Playwright (no downloaded browsers, no network)."""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("SYNC_SCREENSHOT_DIR", "/tmp"))


def chromium_required() -> None:
    """Skip the calling module when Chromium is missing, except in CI, where it must be there."""
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip(
            f"{CHROMIUM} is missing (make chromium installs it; CI must have it)", allow_module_level=True
        )


@contextmanager
def browser_page_open(monkeypatch, *, width: int = 1200, height: int = 900, timeout_ms: int = 20_000):
    """A headless Chromium page for the duration of the ``with``."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop marked running on this thread; the test's own ORM calls
    # are plain synchronous ones, so tell Django they are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(timeout_ms)
        try:
            yield page
        finally:
            browser.close()
            # ORM calls made while Playwright ran opened connections that pytest-django does not see (the
            # connection handler is context-local); close them, or PostgreSQL cannot drop the test database.
            connections.close_all()


def admin_sign_in(page, base_url: str, username: str, *, next_url: str = "/admin/") -> None:
    """Sign ``username`` in on the admin's login page (the test users' password is ``<username>-password``)."""
    page.context.clear_cookies()
    page.goto(f"{base_url}/admin/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-password")
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")  # signed in (the login page has no user tools)
