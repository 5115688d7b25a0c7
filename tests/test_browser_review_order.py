"""/review in another order than best score first, in real Chromium: a maintainer back from a week away reads the
queue oldest first (what came while away, in order) or newest first, from a link or the filter form, with and without
JavaScript; the order is kept in the address, through the pages and after a decision."""

from __future__ import annotations

from typing import Any

import pytest

from digest.storage.models import Candidate
from tests.browser_review import DESKTOP, long_queue, on_the_queue, open_review, shown_ids
from tests.chromium import CHROMIUM
from tests.web_server import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Chromium at /usr/bin/chromium"),
]


def found_order(site: Site, newest: bool = False) -> list[int]:
    """Every pending candidate by the time the poll found it (then its number), oldest first or newest first."""
    with site.database.reading() as session:
        rows = session.query(Candidate.id, Candidate.first_seen_at).all()
    ordered = [row.id for row in sorted(rows, key=lambda row: (row.first_seen_at, row.id))]
    return ordered[::-1] if newest else ordered


@pytest.mark.asyncio
async def test_the_queue_read_oldest_first_keeps_that_order_through_its_pages_and_a_decision(
    site: Site, browser: Any
) -> None:
    """The queue came best score first only ("230 pending; the best 200 are shown, best score first"): an "Order" line
    now offers oldest first and newest first, and the order chosen stays in the address, on the Older page and after a
    rejection there."""
    long_queue(site)
    oldest = found_order(site)
    page = await open_review(browser, site, DESKTOP, ready="article.candidate")
    order_line = page.get_by_role("navigation", name="Order")
    assert await order_line.inner_text() == "Order: best score first · oldest first · newest first"
    await order_line.get_by_role("link", name="oldest first").click()
    await page.wait_for_url(lambda url: on_the_queue(url, sort="oldest"))
    assert await shown_ids(page) == oldest[:200]
    assert (await page.locator("#count").inner_text()).startswith(
        "230 pending; the first 200 are shown, oldest first. "
    )
    assert await order_line.get_by_role("link", name="oldest first").get_attribute("aria-current") == "page"
    await page.locator("#older").click()
    await page.wait_for_url(lambda url: on_the_queue(url, sort="oldest") and "after=" in url)
    assert await shown_ids(page) == oldest[200:]
    await page.locator(f"#candidate-{oldest[200]}").get_by_role("button", name="Reject", exact=True).click()
    await page.wait_for_selector(f"#candidate-{oldest[200]}", state="detached")
    assert on_the_queue(page.url, sort="oldest"), page.url
    assert await shown_ids(page) == oldest[201:]
    await order_line.get_by_role("link", name="newest first").click()
    await page.wait_for_url(lambda url: on_the_queue(url, sort="newest") and "after=" not in url)
    assert await shown_ids(page) == [number for number in found_order(site, newest=True) if number != oldest[200]][:200]
    await page.context.close()


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
@pytest.mark.asyncio
async def test_the_order_is_chosen_by_keyboard_in_the_filter_form(site: Site, browser: Any, script: bool) -> None:
    """The filter form's Order field, by keyboard alone, with or without JavaScript: the queue newest first, the
    choice kept in the form; an order the page does not offer is refused in one line."""
    long_queue(site)
    page = await open_review(browser, site, DESKTOP, ready="article.candidate", java_script_enabled=script)
    await page.get_by_text("Search and filter").click()
    await page.get_by_role("combobox", name="Order").focus()
    await page.get_by_role("combobox", name="Order").select_option("newest")
    await page.keyboard.press("Tab")  # on to the Filter button
    assert await page.evaluate("() => document.activeElement.textContent") == "Filter"
    await page.keyboard.press("Enter")
    await page.wait_for_url(lambda url: on_the_queue(url, sort="newest"))
    await page.wait_for_load_state()
    assert await shown_ids(page) == found_order(site, newest=True)[:200]
    assert await page.locator('select[name="sort"]').input_value() == "newest"  # in the folded form
    refused = await page.goto("/review?sort=sideways")
    assert refused is not None and refused.status == 400
    assert "?sort= must be one of best, oldest, newest, not 'sideways'." in await page.locator("main").inner_text()
    await page.context.close()
