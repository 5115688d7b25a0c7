"""An approval link's button in real Chromium against a page on another site that presses it: a page elsewhere that
holds a link (from a forwarded email, a scanner's report) must not decide through a maintainer's browser, which may
reach a service the page's author cannot; the link's own page still decides."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.chromium import CHROMIUM
from tests.factories import insert_candidate, real_papers
from tests.other_site import page_posting_to
from tests.web_pages import candidate_feed_links, decisions_of
from tests.web_server import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"], ids=["another-site", "another-port"])
async def test_a_page_on_another_site_cannot_press_an_approval_links_button(
    site: Site, browser: Any, caplog: pytest.LogCaptureFixture, host: str
) -> None:
    paper = real_papers()[2]
    candidate_id = insert_candidate(site.database, paper)
    path = next(path for path, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
    context = await browser.new_context(base_url=site.base)
    page = await context.new_page()

    caplog.set_level(logging.DEBUG)
    async with page_posting_to(site.base + path + "?via=email", {}) as port:
        await page.goto(f"http://{host}:{port}/")
        await page.wait_for_url(lambda url: url.startswith(site.base + "/approve/"))
    shown = await page.locator("main").inner_text()
    assert "Nothing was changed: this button was pressed on a page of another site" in shown, shown
    assert "Done" not in shown, shown
    assert site.status_of(candidate_id) == "pending"
    assert decisions_of(site, candidate_id) == []
    refused = [record.getMessage() for record in caplog.records if "page elsewhere" in record.getMessage()]
    assert refused == ["approval link: refused a POST from 127.0.0.1 sent by a page elsewhere"]
    assert path.rsplit(".", 1)[1] not in caplog.text  # the link's signature is in no log line

    # The maintainer opens the link itself: its own page's button approves, and the paper is in the list.
    await page.goto(path + "?via=email")
    await page.get_by_role("button", name="Approve into Sparse Autoencoder").click()
    await page.wait_for_selector("text=Done: approved into Sparse Autoencoder by email approval link on")
    assert decisions_of(site, candidate_id) == [("approve", "email", True)]
    await page.goto("/")
    assert paper["title"] in await page.locator("main").inner_text()
    await context.close()
