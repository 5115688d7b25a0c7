"""Real Chromium (Debian's /usr/bin/chromium through Playwright) on the review page and an approval link.

Skipped, saying how to enable it, when Chromium is not installed (`apt-get install chromium`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.browser_review import sign_in
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site, approval_links

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "list-page.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Chromium at /usr/bin/chromium: run `apt-get install chromium` to enable them",
    ),
]


@pytest_asyncio.fixture
async def page(site: Site) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(base_url=site.base, viewport={"width": 412, "height": 915})
            yield await context.new_page()
            await context.close()
        finally:
            await browser.close()


@pytest.mark.asyncio
async def test_an_approval_link_in_chromium(site: Site, page: Any) -> None:
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper)
    async with site.client.get("/feeds/candidates.xml", params={"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}) as feed:
        path = next(p for p, label in approval_links(await feed.text()) if label == "Approve (Sparse Autoencoder)")

    await page.goto(path)
    assert await page.locator("h2").first.inner_text() == paper["title"]
    assert site.status_of(candidate_id) == "pending"  # opening the link changed nothing
    await page.get_by_role("button", name="Approve into Sparse Autoencoder").click()
    await page.wait_for_load_state()
    assert "approved into Sparse Autoencoder" in await page.locator("main").inner_text()
    await page.get_by_role("link", name="See the list").click()
    await page.wait_for_load_state()
    section = page.locator("section#sparse-autoencoder")
    assert paper["title"] in await section.inner_text()
    assert site.status_of(candidate_id) == "approved"

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    await page.set_viewport_size({"width": 900, "height": 1100})
    await page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert SCREENSHOT.stat().st_size > 10_000


@pytest.mark.asyncio
async def test_the_review_page_in_chromium(site: Site, page: Any) -> None:
    first, second = real_papers()[1], real_papers()[2]
    first_id = insert_candidate(site.database, first, score=0.9)
    second_id = insert_candidate(site.database, second, score=0.4)
    await page.goto("/review")
    await sign_in(page, "article.candidate")
    articles = page.locator("article.candidate")
    assert await articles.count() == 2
    assert first["title"] in await articles.nth(0).inner_text()

    await articles.nth(0).get_by_label("Section").select_option("Probing")
    await articles.nth(0).get_by_role("button", name="Approve").click()
    await page.wait_for_load_state()
    assert "approved into Probing" in await page.locator("p.notice").inner_text()
    assert await page.locator("article.candidate").count() == 1
    await page.locator("article.candidate").get_by_role("button", name="Reject").click()
    await page.wait_for_load_state()
    assert "Nothing to review." in await page.locator("main").inner_text()
    assert (site.status_of(first_id), site.status_of(second_id)) == ("approved", "rejected")

    await page.goto("/")
    assert first["title"] in await page.locator("section#probing").inner_text()
