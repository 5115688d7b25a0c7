"""The set-up of the review page tests in Chromium: the review page opened and signed in to at a viewport's size, and
a queue longer than a page (QUEUE candidates, ties in score, first seen minutes apart) for its keyset paging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.factories import SEEN_AT, insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site

DESKTOP = {"width": 1280, "height": 800}


async def open_review(browser: Any, site: Site, viewport: dict[str, int], **options: Any) -> Any:
    context = await browser.new_context(base_url=site.base, viewport=viewport, **options)
    page = await context.new_page()
    await page.goto("/review")
    await page.get_by_label("Admin token").fill(SECRETS_ENV["DIGEST_ADMIN_TOKEN"])
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector("article.candidate")
    return page


QUEUE = 230  # past the page's 200, with ties in score so the keyset's later keys decide


def long_queue(site: Site, **overrides: Any) -> list[int]:
    """QUEUE pending candidates, scores in 23 steps of ten equal ones, first seen a minute apart."""
    paper = real_papers()[0]
    return [
        insert_candidate(
            site.database,
            {**paper, "arxiv_id": f"2501.{10000 + number}"},
            title=f"Paper number {number:03d} of the long queue",
            score=round(2.0 - (number // 10) / 20, 2),
            first_seen_at=SEEN_AT + timedelta(minutes=number % 7),
            **overrides,
        )
        for number in range(QUEUE)
    ]
