"""Every page a maintainer (or a reader) opens, in real Chromium: the keyboard's first Tab offers "Skip to the main
content", and Enter on it puts the next Tab at the first control of the page's own content, past the header's five
links. (The review page with candidates skips to its first card: tests/test_browser_review_a11y.py.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from digest.review.signing import ApprovalLink, sign_link
from tests.browser_review import DESKTOP, open_review
from tests.chromium import CHROMIUM
from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Chromium at /usr/bin/chromium: run `apt-get install chromium` to enable them",
    ),
]

# The first control a Tab reaches inside <main>, as the keyboard goes (links, buttons, fields, a details' summary).
FIRST_IN_MAIN = """() => [...document.querySelectorAll(
  "main a[href], main button, main input:not([type=hidden]), main select, main textarea, main summary")]
  .find((control) => control.tabIndex >= 0 && control.getClientRects().length > 0)"""


async def skipped_to(page: Any) -> str:
    """The text (or name) of the control the Tab after the skip link lands on, having checked it is the first of the
    page's main content; fails when the first Tab is not the skip link."""
    await page.keyboard.press("Tab")
    offered = await page.evaluate("[document.activeElement.className, document.activeElement.textContent]")
    assert offered == ["skip", "Skip to the main content"], f"the first Tab on {page.url} reached {offered}"
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    first = await page.evaluate_handle(FIRST_IN_MAIN)
    assert await page.evaluate("(first) => document.activeElement === first", first), page.url
    return str(await page.evaluate("(e) => e.textContent.trim() || e.name || e.id", first))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("address", "first"), [("/", "RSS"), ("/suggest", "paper"), ("/review", "token"), ("/approve/forged", "Back")]
)
async def test_the_pages_anyone_opens_skip_to_their_main_content(
    site: Site, browser: Any, address: str, first: str
) -> None:
    context = await browser.new_context(base_url=site.base, viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(address)
    assert (await skipped_to(page)).startswith(first)
    await context.close()


@pytest.mark.asyncio
async def test_the_signed_in_pages_skip_to_their_main_content(site: Site, browser: Any) -> None:
    page = await open_review(browser, site)  # the queue, empty: no first candidate to skip to
    assert await skipped_to(page) == "Subscribe to the candidates feed"
    await page.goto("/history")
    assert await skipped_to(page) == "Back to review"


@pytest.mark.asyncio
async def test_an_approval_links_pages_skip_to_their_main_content(site: Site, browser: Any) -> None:
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper, suggested_sections=["Steering"])
    link = ApprovalLink(candidate_id, "approve", "Steering", site.clock() + timedelta(days=1), str(paper["arxiv_id"]))
    context = await browser.new_context(base_url=site.base, viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(f"/approve/{sign_link(SECRETS_ENV['DIGEST_SECRET_KEY'], link)}")
    assert await skipped_to(page) == f"arXiv:{paper['arxiv_id']}"
    await page.get_by_role("button", name="Approve into Steering").click()
    await page.wait_for_selector("text=Done: approved into Steering")
    assert await skipped_to(page) == f"arXiv:{paper['arxiv_id']}"
    await context.close()
