"""The review page's refusals in real Chromium: a form another site's page sends through a signed-in maintainer's
browser is refused as such (not as a stale page of theirs, which asks them to press the button again)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp import web

from digest.web.app import bound_port, serve
from tests.browser_review import DESKTOP, add_candidates, open_review
from tests.chromium import CHROMIUM
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

    async def elsewhere(request: web.Request) -> web.Response:
        # Another port of the same host: "same-site" to the browser, which sends it the session cookie (SameSite=Lax).
        return web.Response(
            text=f'<form id="f" method="post" action="{target}"><input name="candidate_id" value="{ids[0]}">'
            '<input name="action" value="reject"></form><script>document.getElementById("f").submit()</script>',
            content_type="text/html",
        )

    other = web.Application()
    other.router.add_get("/", elsewhere)
    runner = await serve(other, "127.0.0.1", 0)
    caplog.set_level(logging.INFO, logger="digest")
    try:
        await page.goto(f"http://127.0.0.1:{bound_port(runner)}/")
        await page.wait_for_url(target)
    finally:
        await runner.cleanup()
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
