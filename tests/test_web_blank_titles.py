"""A paper whose title is only characters that draw nothing (U+2800, U+3164, zero-width ones get through arXiv's
cleaning), on the pages and feeds: each names it "Untitled paper, arXiv <id>", as Discord and the weekly email do."""

from __future__ import annotations

from typing import Any

import feedparser
import pytest

from digest.review.rules import Actor
from tests.browser_review import numbered_queue, open_review
from tests.chromium import CHROMIUM
from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site, sign_in

BLANK = "\u2800\u3164\u200b \u200d"


@pytest.mark.asyncio
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium")
async def test_a_blank_title_reads_untitled_on_a_full_and_a_folded_review_card(site: Site, browser: Any) -> None:
    """21 candidates waited, the best and the worst titled with Braille blanks and Hangul fillers: the first card's
    heading and the folded card's one line read empty, nothing to see which paper it was. Expected: "Untitled
    paper, arXiv <id>" on both."""
    ids = numbered_queue(site, 21, lambda number: BLANK if number in (0, 20) else f"Paper {number}")
    page = await open_review(browser, site)
    heading = page.locator(f"#title-{ids[0]}")
    assert (await heading.inner_text()).strip() == "Untitled paper, arXiv 2601.00000"
    line = page.locator(f"#candidate-{ids[20]} > details.card > summary .line")
    assert (await line.inner_text()).strip() == "Untitled paper, arXiv 2601.00020"
    await page.context.close()


@pytest.mark.asyncio
async def test_a_blank_title_reads_untitled_in_history_the_list_page_and_both_feeds(site: Site) -> None:
    """The same paper approved: /history's row, the list page's entry (its only link), the public feeds' items and
    the private feed's item for a pending one showed an empty title. Expected: "Untitled paper, arXiv <id>"."""
    first, second = real_papers()[:2]
    approved = insert_candidate(site.database, first, title=BLANK)
    insert_candidate(site.database, second, title=BLANK)
    site.reviewer.decide(approved, "approve", Actor(name="ada", id=None, channel="cli"), "Steering")
    untitled, pending = (f"Untitled paper, arXiv {record['arxiv_id']}" for record in (first, second))
    await sign_in(site)
    async with site.client.get("/history") as reply:
        row = (await reply.text()).split('<tr class="decision">')[1]
    assert untitled in row
    async with site.client.get("/") as reply:
        assert f">{untitled}</a>" in await reply.text()
    for address in ("/feeds/list.xml", "/feeds/list.atom"):
        async with site.client.get(address) as reply:
            titles = [entry.title for entry in feedparser.parse(await reply.read()).entries]
        assert untitled in titles, (address, titles)
    token = {"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}
    async with site.client.get("/feeds/candidates.xml", params=token) as reply:
        titles = [entry.title for entry in feedparser.parse(await reply.read()).entries]
    assert titles == [pending]


@pytest.mark.asyncio
@pytest.mark.parametrize("words", ["untitled", "Untitled paper, arXiv"])
async def test_a_blank_titled_paper_is_found_by_the_words_the_pages_show_for_it(site: Site, words: str) -> None:
    """The list page's search and /review's title filter looked in the stored title, characters that draw nothing: a
    paper shown as "Untitled paper, arXiv <id>" was not found by those words. Expected: found, and only it."""
    first, second, third = real_papers()[:3]
    approved = insert_candidate(site.database, first, title=BLANK)
    pending = insert_candidate(site.database, second, title=BLANK)
    titled = insert_candidate(site.database, third)
    site.reviewer.decide(approved, "approve", Actor(name="ada", id=None, channel="cli"), "Steering")
    untitled = f"Untitled paper, arXiv {first['arxiv_id']}"
    async with site.client.get("/", params={"q": words}) as reply:
        page = await reply.text()
    assert reply.status == 200 and f">{untitled}</a>" in page, page
    assert 'id="search-count">1 of ' in page, page
    await sign_in(site)
    async with site.client.get("/review", params={"title": words, "status": "all"}) as reply:
        page = await reply.text()
    assert reply.status == 200
    shown = {candidate for candidate in (approved, pending, titled) if f'id="candidate-{candidate}"' in page}
    assert shown == {approved, pending}, page
