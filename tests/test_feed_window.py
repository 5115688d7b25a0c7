"""How many papers the public list feeds hold: `web.feed_items`, or every paper of the last 30 days when more, so a
reader polling weekly misses none of a busy week. Through the web app on loopback (tests/web_server.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from digest.review.rules import Actor
from digest.web.feeds import RECENT_AT_MOST, feed_length
from tests.factories import insert_candidate, real_papers
from tests.web_server import Site, running_site, site_settings

WEEK = 60


async def _approve_a_week(site: Site) -> list[str]:
    """WEEK papers approved (a busy week), their arXiv IDs in the order approved."""
    papers = real_papers()
    approved = []
    for number in range(WEEK):
        arxiv_id = f"2611.{20000 + number}"
        record = papers[number % len(papers)]
        title = f"{record['title']}, Part {number}"
        candidate = insert_candidate(site.database, record, arxiv_id=arxiv_id, title=title)
        await site.reviewer.decide_async(candidate, "approve", Actor("ann", None, "cli"))
        approved.append(arxiv_id)
    return approved


async def _feed_ids(site: Site, path: str) -> list[str]:
    async with site.client.get(path) as reply:
        assert reply.status == 200
        parsed = feedparser.parse(await reply.read())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [entry.link.rsplit("/", 1)[-1] for entry in parsed.entries]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/feeds/list.xml", "/feeds/list.atom"])
async def test_a_reader_polling_weekly_finds_every_paper_of_a_60_paper_week(tmp_path: Path, path: str) -> None:
    """The feeds held the newest `feed_items` (50) papers: in a week of 60 approvals the first 10 had left the feed
    before a reader polling weekly saw them. Expected: all 60 while they are of the last 30 days; once they are older,
    the newest `feed_items` again."""
    async with running_site(site_settings(tmp_path / "data"), cache_feeds=False) as site:
        feed_items = site.settings.web.feed_items
        assert feed_items < WEEK
        approved = await _approve_a_week(site)
        site.clock.advance(timedelta(days=6))
        held = await _feed_ids(site, path)
        assert set(approved) <= set(held), sorted(set(approved) - set(held))
        assert held[:WEEK] == approved[::-1]

        site.clock.advance(timedelta(days=30))
        assert await _feed_ids(site, path) == approved[::-1][:feed_items]


def test_the_papers_of_the_last_30_days_are_held_up_to_a_cap() -> None:
    """A list that took in thousands of papers in a month (a maintainer's import) is not rendered whole on every
    change: the feed holds RECENT_AT_MOST of them; `feed_items` set higher still wins."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    recent = [now - timedelta(hours=hours) for hours in range(3000)]
    assert feed_length(recent, now, 50) == RECENT_AT_MOST
    assert feed_length(recent, now, 2000) == 2000
    assert feed_length(recent[:80] + [now - timedelta(days=31)] * 100, now, 50) == 80
