"""A maintainer back after a week away opens /review on 40 pending candidates: each card, folded ones too, says when
the paper was found, so the ones that came in while they were away can be told from the week-old ones. Through the
real app on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import insert_candidate, real_papers
from tests.web_pages import card, review
from tests.web_server import Site, sign_in

MONDAY = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


@pytest.mark.asyncio
async def test_each_card_of_a_weeks_queue_says_when_its_paper_was_found(site: Site) -> None:
    """The cards said the score and the arXiv ID only: the week's 40 papers, best score first, gave no way to see
    which had been waiting since Monday."""
    papers = real_papers()
    found = {}
    for n in range(40):
        record = dict(papers[n % len(papers)], arxiv_id=f"2611.{10000 + n}", title=f"Paper {n}")
        seen = MONDAY + timedelta(hours=4 * n)
        found[insert_candidate(site.database, record, first_seen_at=seen, score=0.5 + (n % 7) / 10)] = seen
    await sign_in(site)
    page = await review(site)

    assert "40 pending, best score first." in page
    for candidate_id, seen in found.items():
        assert f"found {seen:%Y-%m-%d}" in card(page, candidate_id)
