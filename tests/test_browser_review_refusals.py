"""The review page's refusals in real Chromium: a form another site's page sends through a signed-in maintainer's
browser is refused as such (not as a stale page of theirs, which asks them to press the button again)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.browser_review import DESKTOP, add_candidates, on_the_queue, open_review, sign_in
from tests.chromium import CHROMIUM
from tests.other_site import page_posting_to
from tests.web_server import SECRETS_ENV, Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.mark.asyncio
async def test_a_page_on_another_port_cannot_decide_and_is_not_taken_for_a_stale_page(
    site: Site, browser: Any, caplog: pytest.LogCaptureFixture
) -> None:
    ids = add_candidates(site, count=1)
    page = await open_review(browser, site, DESKTOP, ready="article.candidate")
    target = site.base + "/review/decide"

    caplog.set_level(logging.INFO, logger="digest")
    # Another port of the same host: "same-site" to the browser, which sends it the session cookie (SameSite=Lax).
    async with page_posting_to(target, {"candidate_id": str(ids[0]), "action": "reject"}) as port:
        await page.goto(f"http://127.0.0.1:{port}/")
        await page.wait_for_url("**/review/refused?*")
    shown = await page.locator("main").inner_text()
    assert "Nothing was done: this request was sent by a page on another site" in shown, shown
    assert "press the button again" not in shown and "Sign in" not in shown, shown
    assert site.status_of(ids[0]) == "pending"
    refused = [record.getMessage() for record in caplog.records if "another site" in record.getMessage()]
    assert refused == ["review: refused a POST to /review/decide from 127.0.0.1 sent by a page on another site"]
    assert SECRETS_ENV["DIGEST_ADMIN_TOKEN"] not in caplog.text
    await page.get_by_role("link", name="Back to the review page").click()  # still signed in: the card is there
    await page.wait_for_selector(f"#candidate-{ids[0]}")
    await page.context.close()


async def _sign_out_elsewhere(page: Any, *, sign_in_again: bool = False) -> None:
    """Signs out in another tab of the same browser (and in again there: the first tab's forms go stale)."""
    other = await page.context.new_page()
    await other.goto("/review")
    await other.get_by_role("button", name="Sign out").click()
    if sign_in_again:
        await other.get_by_label("Admin token").fill(SECRETS_ENV["DIGEST_ADMIN_TOKEN"])
        await other.get_by_role("button", name="Sign in").click()
        await other.wait_for_selector("#count")
    await other.close()


@pytest.mark.asyncio
async def test_back_after_signing_in_again_shows_the_review_page_not_a_browser_error(site: Site, browser: Any) -> None:
    """The session ended in another tab, Reject was pressed, the sign-in page said so and the maintainer signed in
    there: Back showed Chromium's "Confirm Form Resubmission" (ERR_CACHE_MISS), that page being the answer to a POST."""
    ids = add_candidates(site, count=2)
    page = await open_review(browser, site, DESKTOP, ready="article.candidate", path="/review?title=sparse")
    await _sign_out_elsewhere(page)
    await page.locator(f"#candidate-{ids[0]}").get_by_role("button", name="Reject", exact=True).click()
    await page.wait_for_url("**/review/refused?*")
    assert "Sign in first: your session has ended" in await page.locator("main p.error").inner_text()
    await page.reload()  # asks nothing, and still says it
    assert "Sign in first: your session has ended" in await page.locator("main p.error").inner_text()
    await sign_in(page, f"#candidate-{ids[0]}")
    await page.go_back()  # signed in now: the refusal leads on to the queue it came from
    await page.wait_for_selector(f"#candidate-{ids[0]}")
    assert on_the_queue(page.url, title="sparse"), page.url
    assert [site.status_of(candidate) for candidate in ids] == ["pending", "pending"]
    await page.context.close()


@pytest.mark.asyncio
async def test_back_after_a_refused_stale_form_shows_the_refusal_not_a_browser_error(site: Site, browser: Any) -> None:
    ids = add_candidates(site, count=2)
    page = await open_review(browser, site, DESKTOP, ready="article.candidate")
    await _sign_out_elsewhere(page, sign_in_again=True)
    await page.locator(f"#candidate-{ids[1]}").get_by_role("button", name="Reject", exact=True).click()
    await page.wait_for_url("**/review/refused?*")
    assert await page.title() == f"Form refused · {site.settings.list_title}"
    await page.get_by_role("link", name="Back to the review page").click()
    await page.wait_for_selector(f"#candidate-{ids[1]}")
    await page.go_back()
    assert await page.title() == f"Form refused · {site.settings.list_title}"
    assert "so nothing was done" in await page.locator("main p.error").inner_text()
    assert [site.status_of(candidate) for candidate in ids] == ["pending", "pending"]
    await page.context.close()
