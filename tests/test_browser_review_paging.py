"""/review past its 200 cards, in real Chromium: a queue longer than a page is paged with an "older" link (keyset on
the page's own order), through pending and decided candidates alike, and a decision on a later page comes back to it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from digest.storage.models import Candidate
from tests.browser_review import DESKTOP, long_queue, open_review, shown_ids, sign_in
from tests.chromium import CHROMIUM
from tests.factories import SEEN_AT
from tests.web_server import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Chromium at /usr/bin/chromium"),
]


def page_order(site: Site) -> list[int]:
    """Every pending candidate in the review page's order (best score, first seen, id), read from the database."""
    with site.database.reading() as session:
        rows = session.query(Candidate.id, Candidate.score, Candidate.first_seen_at).all()
    return [row.id for row in sorted(rows, key=lambda row: (-row.score, row.first_seen_at, row.id))]


@pytest.mark.asyncio
async def test_a_queue_longer_than_a_page_is_paged_by_an_older_link(site: Site, browser: Any) -> None:
    """A queue of 230 showed its best 200, '230 pending; the best 200 are shown', and the other 30 could be reached only
    by filtering on score: no link led past them. An 'older' link now opens the next page, every candidate on exactly
    one page, and a decision taken there comes back to that page."""
    long_queue(site)
    order = page_order(site)
    page = await open_review(browser, site, DESKTOP, ready="article.candidate")
    first = await shown_ids(page)
    assert first == order[:200]
    await page.locator("#older").click()
    await page.wait_for_url("**/review?*after=*")
    second = await shown_ids(page)
    assert second == order[200:], (second[:5], order[200:205])
    assert await page.locator("#older").count() == 0  # the last page
    assert "after those on the pages before" in await page.locator("#count").inner_text()
    card = page.locator(f"#candidate-{second[0]}")
    await card.get_by_role("button", name="Reject", exact=True).click()
    await page.wait_for_selector(f"#candidate-{second[0]}", state="detached")
    assert "after=" in page.url, page.url
    assert await shown_ids(page) == order[201:]  # the same page, less the rejected
    await page.get_by_role("link", name="First page").click()
    await page.wait_for_url(lambda url: "after=" not in url)
    await page.wait_for_load_state()
    assert await shown_ids(page) == order[:200]


@pytest.mark.asyncio
async def test_the_decided_are_paged_newest_first(site: Site, browser: Any) -> None:
    """status=rejected over 230 decisions: the page showed the newest 200 and no way to the older ones."""
    ids = long_queue(site, status="rejected")
    with site.database.transaction() as session:
        for number, candidate_id in enumerate(ids):
            candidate = session.get(Candidate, candidate_id)
            assert candidate is not None
            candidate.decided_at = SEEN_AT + timedelta(hours=number // 3)  # three at a time: ties in decided_at
    with site.database.reading() as session:
        rows = session.query(Candidate.id, Candidate.score, Candidate.decided_at).all()
    newest = [row.id for row in sorted(rows, key=lambda row: (-row.decided_at.timestamp(), -row.score, row.id))]
    context = await browser.new_context(base_url=site.base, viewport=DESKTOP)
    page = await context.new_page()
    await page.goto("/review?status=rejected")  # signing in comes back to these filters
    await sign_in(page, "article.candidate")
    first = await shown_ids(page)
    await page.locator("#older").click()
    await page.wait_for_url("**/review?*after=*")
    rest = await shown_ids(page)
    assert len(first) == 200 and sorted(first + rest) == sorted(ids) and not set(first) & set(rest)
    assert first + rest == newest


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
@pytest.mark.asyncio
async def test_the_next_page_starts_the_keyboard_at_its_first_card(site: Site, browser: Any, script: bool) -> None:
    """A keyboard user followed 'Older: the next page' and landed on nothing: the focus was on no element, so the next
    Tab went to the header's first link, a hundred stops from the cards. The next page now starts at its first card,
    and Tab goes on to that card's first button."""
    long_queue(site)
    order = page_order(site)
    page = await open_review(browser, site, DESKTOP, ready="article.candidate", java_script_enabled=script)
    await page.locator("#older").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/review?*after=*")
    await page.wait_for_load_state()
    focused = await page.evaluate("() => document.activeElement && document.activeElement.id")
    assert focused == f"candidate-{order[200]}", focused
    await page.keyboard.press("Tab")
    within = await page.evaluate("() => document.activeElement.closest('article.candidate')?.id")
    assert within == f"candidate-{order[200]}", within
    await page.context.close()
