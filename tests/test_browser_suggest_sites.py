"""/suggest in real Chromium against a page on another site that posts to it: a reader visiting that page must not
suggest papers without knowing, nor use up their own address's suggestions (the form then refuses them for an hour)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from digest.storage.models import Entry, Paper
from digest.web.context import SUGGEST_RULE
from tests.chromium import CHROMIUM
from tests.other_site import page_posting_to
from tests.web_server import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Chromium at /usr/bin/chromium: run `apt-get install chromium` to enable them",
    ),
]


def _listed_arxiv_id(site: Site) -> str:
    with site.database.reading() as session:
        return str(
            session.scalars(
                select(Paper.arxiv_id).join(Entry, Entry.paper_id == Paper.id).where(Paper.arxiv_id.is_not(None))
            ).first()
        )


@pytest.mark.asyncio
async def test_a_page_on_another_site_cannot_post_suggestions_in_a_readers_browser(site: Site, browser: Any) -> None:
    context = await browser.new_context(base_url=site.base)
    page = await context.new_page()
    arxiv_id = _listed_arxiv_id(site)
    target = site.base + "/suggest"

    # Another site (localhost is not 127.0.0.1's site) whose page posts the form by itself as it opens.
    async with page_posting_to(target, {"paper": arxiv_id}) as port:
        for _ in range(SUGGEST_RULE.max_failures + 1):
            await page.goto(f"http://localhost:{port}/")
            await page.wait_for_url(target)
            shown = await page.locator("main").inner_text()
            assert "is in the list already" not in shown and "already in the list" not in shown, shown
            assert "did not come from this site's form" in shown, shown
    # The reader's own suggestion, from the site's form, is not refused for what the other page did.
    await page.goto("/suggest")
    await page.get_by_label("arXiv ID or URL").fill(arxiv_id)
    await page.get_by_role("button", name="Suggest").click()
    shown = await page.locator("main").inner_text()
    assert "already in the list" in shown, shown


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("origin", "refused"), [("http://elsewhere.example", True), ("null", False), (None, False), ("site", False)]
)
async def test_an_older_browser_is_judged_by_its_origin(site: Site, origin: str | None, refused: bool) -> None:
    """Without Sec-Fetch-Site (older browsers): a foreign Origin is refused; "null" (this site's no-referrer form), the
    site's own origin and no Origin at all (no browser) are not."""
    headers = {} if origin is None else {"Origin": site.base if origin == "site" else origin}
    async with site.client.post("/suggest", data={"paper": _listed_arxiv_id(site)}, headers=headers) as reply:
        shown = await reply.text()
    assert (reply.status == 403 and "did not come from this site" in shown) is refused
    assert ("already in the list" in shown) is not refused
