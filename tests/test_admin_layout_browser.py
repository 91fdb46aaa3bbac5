"""In Chromium at 1400 px, no page of the admin is wider than the window, and nothing in a page's content is
wider than the column it sits in (the health board's 1,229 px table in a 600 px column, issue 15).

One browser, one signed-in page, every admin page found from the admin site (``tests.admin_pages``) over the
complete small world of ``tests.admin_world``; every offender of every page is collected and reported at once.
"""

import os
import re

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.admin_pages import admin_pages
from tests.admin_world import admin_world_create
from tests.browser import SCREENSHOTS, admin_sign_in, browser_page_open, chromium_required

WIDTH = 1400
# ADMIN_LAYOUT_SCREENSHOTS=1 keeps a full-page screenshot of every page checked (in SYNC_SCREENSHOT_DIR).
KEEP_SCREENSHOTS = bool(os.environ.get("ADMIN_LAYOUT_SCREENSHOTS"))

chromium_required()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# For the page in the browser: the window's width if the document is wider, and each table, pre or div in
# #content whose box runs past its container's content box (or, for a pre, whose text runs past its own box),
# named by a CSS path from #content; and each element in #content that splits a word over lines.
OVERFLOWS_JS = r"""
(limit) => {
  const name = (el) => {
    const parts = [];
    for (let node = el; node && node.id !== 'content'; node = node.parentElement) {
      let part = node.tagName.toLowerCase();
      if (node.id) { parts.unshift(part + '#' + node.id); break; }
      const classes = [...node.classList].slice(0, 2);
      if (classes.length) part += '.' + classes.join('.');
      parts.unshift(part);
    }
    return '#content ' + parts.join(' > ');
  };
  const found = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > limit) found.push({selector: 'html', problem: `is ${doc.scrollWidth} px wide in a ${limit} px window`});
  const content = document.querySelector('#content');
  if (!content) return found;
  for (const el of content.querySelectorAll('table, pre, div')) {
    if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;  // not displayed
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    const parent = el.parentElement;
    const style = getComputedStyle(parent);
    const inner = parent.getBoundingClientRect();
    const right = inner.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight);
    const left = inner.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
    const room = Math.round(right - left);
    if (box.right > right + 1 && el.offsetWidth > room + 1) {
      found.push({selector: name(el), problem: `is ${Math.round(box.width)} px wide in ${room} px`});
    } else if (el.tagName === 'PRE' && el.scrollWidth > el.clientWidth + 1) {
      found.push({selector: name(el), problem: `holds text ${el.scrollWidth} px wide in ${el.clientWidth} px`});
    }
  }
  // A word of letters or digits split over lines ("S T A T U S" in a squeezed column) has no room either.
  const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
  const reported = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const cell = node.parentElement;
    if (!cell.offsetParent || reported.has(cell)) continue;
    for (const match of node.data.matchAll(/[\p{L}\p{N}]{2,}/gu)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (tops.size > 1) {
        const width = Math.round(cell.getBoundingClientRect().width);
        found.push({selector: name(cell), problem: `splits the word “${match[0]}” over ${tops.size} lines (${width} px wide)`});
        reported.add(cell);
        break;
      }
    }
  }
  return found;
}
"""


def open_page(page, url: str):
    """Go to ``url``; the response, or why the page could not be shown.

    Chromium refuses to show an empty error answer (a POST-only action's 405) and turns a CSV into a
    download: those are asked again outside the page, and their answer returned for the caller to skip.
    A page that fails to load for another reason gets another try.
    """
    error = ""
    for _attempt in range(3):
        try:
            return page.goto(url, wait_until="load")
        except PlaywrightError as exc:
            if "interrupted by another navigation" in exc.message:
                # A page that reloads itself (a progress page seeing its run end) raced the visit: go again.
                error = exc.message.splitlines()[0]
                page.wait_for_timeout(300)
                continue
            response = page.request.get(url)
            html = response.headers.get("content-type", "").startswith("text/html")
            if response.status in (403, 405) or not html:
                return response
            error = exc.message.splitlines()[0]
    return error


@pytest.fixture
def browser_page(monkeypatch):
    with browser_page_open(monkeypatch, width=WIDTH, height=900, timeout_ms=20_000) as page:
        yield page


def test_no_admin_page_is_wider_than_the_window_or_its_column_at_1400_px(
    live_server, staff_user, second_staff_user, monkeypatch, browser_page
):
    world = admin_world_create(user=staff_user, second_user=second_staff_user, monkeypatch=monkeypatch)
    pages, problems = admin_pages(user=staff_user, url_args=world.url_args, extra_urls=world.extra_urls)
    page, base = browser_page, live_server.url

    admin_sign_in(page, base, staff_user.username)

    offenders: dict[str, list[str]] = {}  # what is wrong → the pages where it is
    seen: set[str] = set()
    checked = 0
    for admin_page in pages:
        response = open_page(page, base + admin_page.url)
        if isinstance(response, str):
            problems.append(f"{admin_page.label} ({admin_page.url}) did not open: {response}")
            continue
        status = response.status if response else 0
        content_type = response.headers.get("content-type", "") if response else ""
        if status in (403, 405) or not content_type.startswith("text/html"):
            continue  # a POST-only action or a download, not a page
        if status != 200:
            problems.append(f"{admin_page.label} ({admin_page.url}) answered {status}")
            continue
        final = page.url.removeprefix(base)
        if final in seen:
            continue  # a redirect to a page already checked
        seen.add(final)
        checked += 1
        if KEEP_SCREENSHOTS:
            slug = re.sub(r"[^a-z0-9]+", "-", final.lower()).strip("-")
            page.screenshot(path=str(SCREENSHOTS / f"admin-layout-{slug}.png"), full_page=True)
        try:
            found_here = page.evaluate(OVERFLOWS_JS, WIDTH)
        except PlaywrightError as exc:
            raise AssertionError(f"{admin_page.label} ({final}) navigated away while measured") from exc
        for found in found_here:
            offenders.setdefault(f"{found['selector']} {found['problem']}", []).append(final)

    assert checked > 60, f"only {checked} admin pages were checked: {pages}"
    listed = [f"{what}\n    on {', '.join(where)}" for what, where in offenders.items()]
    assert not (problems or offenders), (
        f"{len(offenders)} thing(s) too wide at {WIDTH} px:\n"
        + "\n".join(listed)
        + "\n\npages not reached:\n"
        + "\n".join(problems)
    )
