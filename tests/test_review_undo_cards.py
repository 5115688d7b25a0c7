"""A /review page of the maintainer's own fresh decisions: each card offers its undo (and no other's), and the page
asks the database as often for thirty cards as for three."""

from __future__ import annotations

import pytest

from digest.review.rules import Actor
from tests.factories import insert_candidate, real_papers
from tests.sql_statements import statements_sent
from tests.web_pages import card, post, review
from tests.web_server import Site, sign_in

UNDO_BUTTON = 'name="action" value="undo"'


async def approved_page_and_queries(site: Site) -> tuple[str, int]:
    """/review?status=approved, and how many statements its load sent the database."""
    with statements_sent(site.database) as statements:
        page = await review(site, status="approved")
    return page, len(statements)


@pytest.mark.asyncio
async def test_a_page_of_ones_own_fresh_decisions_offers_each_undo_in_a_few_queries_however_many_cards(
    site: Site,
) -> None:
    """Each fresh decision on /review?status=approved asked the database twice whether its undo may be offered (its
    standing decision, and who decided since): 400 queries for a page of 200, which took 2.1x the pending page
    (bench/bench_review_decided.py). Expected: the same buttons, asked once a page."""
    papers = real_papers()
    _, csrf = await sign_in(site)

    def candidate(number: int) -> int:
        record = {**papers[number % len(papers)], "arxiv_id": f"2601.{number:05d}", "title": f"Paper {number}"}
        return insert_candidate(site.database, record)

    async def approve_here(count: int, first: int) -> list[int]:
        ids = [candidate(first + number) for number in range(count)]
        for candidate_id in ids:
            form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": "approve", "section": "Steering"}
            await post(site, form)
        return ids

    mine = await approve_here(2, 0)
    # Not to be undone here: approved from the command line, or approved here and then by ann in Discord.
    by_cli, seconded = candidate(90), (await approve_here(1, 91))[0]
    site.reviewer.decide(by_cli, "approve", Actor("ada", None, "cli"), "Steering")
    site.reviewer.decide(seconded, "approve", Actor("ann", "1", "discord"), "Steering")
    page, few = await approved_page_and_queries(site)
    mine += await approve_here(27, 2)
    page, many = await approved_page_and_queries(site)

    for candidate_id in mine:
        assert UNDO_BUTTON in card(page, candidate_id), candidate_id
    assert UNDO_BUTTON not in card(page, by_cli) and UNDO_BUTTON not in card(page, seconded)
    assert "approved into Steering by ada" in card(page, by_cli)
    assert few > 0  # the count is of statements truly sent: none would make any bound hold
    assert many == few, (few, many)
