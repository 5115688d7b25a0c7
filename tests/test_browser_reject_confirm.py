"""The "reject all shown" button in real Chromium, its confirmation a page of its own address (Post/Redirect/Get):
Back from the queue after "Yes" shows that page again, saying nothing is left to reject, not the browser's "Confirm
Form Resubmission" error; and the page's title and heading count the candidates as they are said."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_review import DESKTOP, add_candidates, open_review
from tests.chromium import CHROMIUM
from tests.web_server import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.mark.asyncio
async def test_back_after_rejecting_all_shown_shows_the_confirmation_not_a_browser_error(
    site: Site, browser: Any
) -> None:
    ids = add_candidates(site)
    page = await open_review(browser, site, DESKTOP, ready="article.candidate")
    await page.get_by_role("button", name="Reject all 3 shown…").click()
    await page.wait_for_url("**/review/reject?*")
    title = site.settings.list_title
    assert await page.title() == f"Reject these 3 candidates? · {title}"
    await page.get_by_role("button", name="Yes, reject all 3").click()
    await page.wait_for_url("**rejected=3*")
    await page.go_back()  # the confirmation, asked for again: it changes nothing and says so
    assert await page.title() == f"Nothing left to reject · {title}"
    assert await page.locator("main p.notice").inner_text() == "None of them is pending any more."
    await page.reload()
    await page.get_by_role("link", name="Back to review").click()
    await page.wait_for_selector("#count")
    assert await page.locator("#count").inner_text() == "0 pending, best score first."
    assert [site.status_of(candidate) for candidate in ids] == ["rejected"] * 3
    await page.context.close()


@pytest.mark.asyncio
async def test_the_confirmation_of_one_candidate_asks_about_this_candidate(site: Site, browser: Any) -> None:
    ids = add_candidates(site, count=2)
    page = await open_review(browser, site, DESKTOP, ready="article.candidate")
    await page.locator(f"#candidate-{ids[0]}").get_by_role("button", name="Reject", exact=True).click()
    await page.wait_for_url("**decided=*")
    await page.get_by_role("button", name="Reject the one shown…", exact=True).click()  # not "all 1"
    await page.wait_for_url("**/review/reject?*")
    assert await page.title() == f"Reject this candidate? · {site.settings.list_title}"
    assert await page.get_by_role("heading", level=1).inner_text() == "Reject this candidate?"
    assert [site.status_of(candidate) for candidate in ids] == ["rejected", "pending"]  # asking changed nothing
    await page.context.close()
