"""The set-up of the review page tests in Chromium: real papers suggested for four sections, the review page opened
and signed in to (at a path, a viewport), the cards it shows, whether an address is the queue with given filters, and
a queue longer than a page (QUEUE candidates, ties in score, first seen minutes apart) for its keyset paging, and a
queue long enough to fold cards (numbered copies of one paper)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.factories import SEEN_AT, insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site

DESKTOP = {"width": 1280, "height": 800}
SECTIONS = ["Sparse Autoencoder", "Steering", "Probing", "Attention"]


def add_candidates(
    site: Site, count: int = 3, *, score_step: float = 0.1, first_abstract_ends: str = "", **overrides: Any
) -> list[int]:
    """`count` real papers, best score first (the page's order), `score_step` apart; the first one's abstract ends in
    `first_abstract_ends` when given."""
    papers = real_papers()[:count]
    return [
        insert_candidate(
            site.database,
            paper,
            score=1.5 - index * score_step,
            suggested_sections=SECTIONS,
            why={"terms": ["sparse autoencoder"], "parts": [["keyword rules", 1.1]], "nearest": []},
            **({"abstract": paper["abstract"] + first_abstract_ends} if index == 0 and first_abstract_ends else {}),
            **overrides,
        )
        for index, paper in enumerate(papers)
    ]


async def open_review(
    browser: Any,
    site: Site,
    viewport: dict[str, int] = DESKTOP,
    path: str = "/review",
    ready: str = "#count",
    **options: Any,
) -> Any:
    """A new browser context signed in to the review page, then at `path`; it waits for `ready` after signing in: the
    queue's count line, on every review page, or "article.candidate" for the first card."""
    context = await browser.new_context(base_url=site.base, viewport=viewport, **options)
    page = await context.new_page()
    await page.goto("/review")
    await sign_in(page, ready)
    if path != "/review":
        await page.goto(path)
    return page


async def sign_in(page: Any, ready: str) -> None:
    """Signs in with the admin token on the sign-in form `page` shows, then waits for `ready` on the page it opens."""
    await page.get_by_label("Admin token").fill(SECRETS_ENV["DIGEST_ADMIN_TOKEN"])
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector(ready)


async def shown_ids(page: Any) -> list[int]:
    """The candidates' numbers of the cards a page shows, in its order."""
    ids = await page.locator("article.candidate").evaluate_all("cards => cards.map(card => card.id)")
    return [int(text.removeprefix("candidate-")) for text in ids]


def on_the_queue(url: str, **filters: str) -> bool:
    """Whether `url` is the review page with these filters (a notice's parameter and a fragment may come with them)."""
    parts = urlsplit(url)
    return parts.path == "/review" and filters.items() <= dict(parse_qsl(parts.query)).items()


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


def numbered_queue(site: Site, count: int, title: Callable[[int], str] = "Paper {}".format) -> list[int]:
    """`count` copies of one real paper suggested for SECTIONS, arXiv 2601.00000 on, titled `title(number)` ("Paper
    <number>"), each scored a little below the one before (the page's order is theirs): past the first 20 the page
    folds them to one line each."""
    paper = real_papers()[0]
    return [
        insert_candidate(
            site.database,
            {**paper, "arxiv_id": f"2601.{number:05d}"},
            title=title(number),
            score=2 - number / 1000,
            suggested_sections=SECTIONS,
        )
        for number in range(count)
    ]
