"""An approval link's page in real Chromium for a paper whose feed text is hostile (markup, a script, a javascript:
code link) and for a link whose section is such text: every part reads as plain text, nothing runs, and the button
then approves the paper into the list under its title as written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from digest.review.signing import ApprovalLink, sign_link
from tests.chromium import CHROMIUM
from tests.factories import insert_candidate, real_papers
from tests.web_pages import decisions_of
from tests.web_server import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]

RAN = "document.title = 'ran'"
TITLE = f'Sparse <b>Autoencoders</b> <img src=x onerror="{RAN}"><script>{RAN}</script> & Vision'
ABSTRACT = f'We train a sparse autoencoder </p><script>{RAN}</script><a href="javascript:{RAN}">here</a>.'
SECTION = f"Steering</h1><script>{RAN}</script>"


@pytest.mark.asyncio
async def test_an_approval_links_page_shows_hostile_feed_text_as_text_and_runs_nothing(
    site: Site, browser: Any
) -> None:
    paper = {**real_papers()[2], "title": TITLE, "abstract": ABSTRACT}
    candidate_id = insert_candidate(
        site.database, paper, authors=[f"Eve <script>{RAN}</script>"], code_url=f"javascript:{RAN}"
    )
    expires = site.clock() + timedelta(days=1)
    made = {
        section: "/approve/"
        + sign_link(site.secret_key(), ApprovalLink(candidate_id, "approve", section, expires, paper["arxiv_id"]))
        for section in (SECTION, "Steering")
    }
    context = await browser.new_context(base_url=site.base)
    page = await context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))

    await page.goto(made[SECTION])  # a section the list has no heading for, named in the link
    assert await page.locator("h1").inner_text() == f"This link cannot approve: the list has no section “{SECTION}” now"
    assert await page.locator("h2").inner_text() == TITLE
    assert await page.get_by_role("button").count() == 0

    await page.goto(made["Steering"])
    assert await page.locator("h2").inner_text() == TITLE
    main = page.locator("main")
    assert f"Eve <script>{RAN}</script>" in await main.inner_text()
    await page.locator("details.abstract summary").click()
    assert ABSTRACT in await main.inner_text()
    assert await main.locator("script, img, b, a[href^='javascript']").count() == 0
    await page.get_by_role("button", name="Approve into Steering").click()
    await page.wait_for_selector("text=Done: approved into Steering by feed approval link on")
    assert await page.title() != "ran" and not dialogs
    assert decisions_of(site, candidate_id) == [("approve", "feed", True)]

    await page.goto("/")
    assert TITLE in await page.locator("main").inner_text()
    assert await page.title() != "ran"
    await context.close()
