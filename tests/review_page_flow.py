"""The set-up of the tests of the review page's flow in Chromium: three real papers suggested for four sections, the
page opened and signed in to (at a path, a viewport), and whether an address is the queue with given filters."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site

DESKTOP = {"width": 1280, "height": 800}
SECTIONS = ["Sparse Autoencoder", "Steering", "Probing", "Attention"]


def add_candidates(site: Site, count: int = 3, **overrides: Any) -> list[int]:
    """`count` real papers, best score first (the page's order)."""
    papers = real_papers()[:count]
    return [
        insert_candidate(
            site.database,
            paper,
            score=1.5 - index / 10,
            suggested_sections=SECTIONS,
            why={"terms": ["sparse autoencoder"], "parts": [["keyword rules", 1.1]], "nearest": []},
            **overrides,
        )
        for index, paper in enumerate(papers)
    ]


async def open_review(
    browser: Any, site: Site, viewport: dict[str, int] = DESKTOP, path: str = "/review", **options: Any
) -> Any:
    context = await browser.new_context(base_url=site.base, viewport=viewport, **options)
    page = await context.new_page()
    await page.goto("/review")
    await page.get_by_label("Admin token").fill(SECRETS_ENV["DIGEST_ADMIN_TOKEN"])
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector("#count")
    if path != "/review":
        await page.goto(path)
    return page


def on_the_queue(url: str, **filters: str) -> bool:
    """Whether `url` is the review page with these filters (a notice's parameter and a fragment may come with them)."""
    parts = urlsplit(url)
    return parts.path == "/review" and filters.items() <= dict(parse_qsl(parts.query)).items()
