"""The private candidates feed with a backlog longer than `web.feed_items`: it says how many more wait on /review."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
import pytest_asyncio

from digest.review.rules import Actor
from tests.factories import SEEN_AT, insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site, running_site, site_settings


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data", "[web]\nfeed_items = 3\n"), cache_feeds=False) as running:
        yield running


async def candidates_feed(site: Site) -> feedparser.FeedParserDict:
    token = {"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}
    async with site.client.get("/feeds/candidates.xml", params=token) as reply:
        assert reply.status == 200
        return feedparser.parse(await reply.read())


@pytest.mark.asyncio
async def test_a_backlog_beyond_the_feed_says_how_many_more_wait_on_the_review_page(site: Site) -> None:
    """Five candidates waited and the feed showed the best three and nothing else: a paper found later with a lower
    score never appeared, and the feed never said there were more. Expected: an entry saying 2 more are pending,
    linking to /review, dated by the newest of them (so a reader sees it again when another is found)."""
    paper = real_papers()[0]
    for number in range(5):
        insert_candidate(
            site.database,
            {**paper, "arxiv_id": f"2601.{number:05d}"},
            title=f"Paper {number}",
            score=2 - number / 10,
            first_seen_at=SEEN_AT + timedelta(hours=number),
        )
    parsed = await candidates_feed(site)
    assert not parsed.bozo, parsed.get("bozo_exception")
    titles = [entry.title for entry in parsed.entries]
    assert titles[:3] == ["Paper 0", "Paper 1", "Paper 2"]
    assert titles[3:] == ["2 more pending candidates, lower scored, are on the review page"]
    more = parsed.entries[3]
    assert more.link == site.settings.web.base_url.rstrip("/") + "/review"
    assert more.published_parsed[:4] == (SEEN_AT + timedelta(hours=4)).timetuple()[:4]
    assert "5 pending" in parsed.feed.subtitle


@pytest.mark.asyncio
async def test_no_backlog_no_extra_entry(site: Site) -> None:
    for record in real_papers()[:3]:
        insert_candidate(site.database, record)
    parsed = await candidates_feed(site)
    assert len(parsed.entries) == 3 and "more pending" not in parsed.feed.subtitle


@pytest.mark.asyncio
async def test_the_more_pending_entry_is_a_new_entry_when_its_count_or_papers_change(site: Site) -> None:
    """The last "N more pending" entry kept one fixed id: a feed reader keeps the first entry it saw under an id and
    never shows it again, so it went on saying "2 more" when 3 waited, and never told of newer papers in the backlog.
    Expected: another count, or another newest paper behind the feed, is an entry of its own id."""
    paper = real_papers()[0]

    def add(number: int, hours: int) -> None:
        insert_candidate(
            site.database,
            {**paper, "arxiv_id": f"2601.{number:05d}"},
            title=f"Paper {number}",
            score=2 - number / 10,
            first_seen_at=SEEN_AT + timedelta(hours=hours),
        )

    for number in range(5):
        add(number, number)
    seen = [(await candidates_feed(site)).entries[-1]]
    add(5, 0)  # one more, older than the newest behind the feed: the count changes, the date does not
    seen.append((await candidates_feed(site)).entries[-1])
    add(6, 9)  # a newer one
    seen.append((await candidates_feed(site)).entries[-1])
    assert [entry.title.split()[0] for entry in seen] == ["2", "3", "4"]
    assert len({entry.id for entry in seen}) == 3, [entry.id for entry in seen]
    assert (await candidates_feed(site)).entries[-1].id == seen[-1].id, "the same backlog is the same entry"


@pytest.mark.asyncio
async def test_the_feed_is_dated_by_its_last_change_not_the_year_2000_when_the_queue_empties(site: Site) -> None:
    """Every candidate decided, the feed said it was last built on 1 January 2000; and a decision that took a candidate
    out left its date where it was. Expected: the feed is dated by the newest candidate found or decided."""
    first, second = (insert_candidate(site.database, record) for record in real_papers()[:2])
    site.clock.advance(timedelta(days=3))
    await site.reviewer.decide_async(first, "reject", Actor("ann", "1", "discord"))
    parsed = await candidates_feed(site)
    left = f"tag:awesome-digest,2025:candidate:{real_papers()[1]['arxiv_id']}"
    assert [entry.id.rsplit(":", 1)[0] for entry in parsed.entries] == [left]  # its links' expiry after it
    assert parsed.feed.updated_parsed[:6] == site.clock.now.timetuple()[:6]
    site.clock.advance(timedelta(hours=2))
    await site.reviewer.decide_async(second, "reject", Actor("ann", "1", "discord"))
    parsed = await candidates_feed(site)
    assert parsed.entries == [] and parsed.feed.updated_parsed[:6] == site.clock.now.timetuple()[:6]


@pytest.mark.asyncio
async def test_a_candidate_waiting_longer_than_its_links_last_gets_an_entry_with_working_links(site: Site) -> None:
    """A candidate waited three weeks. The feed renewed its approval links every day, but under the one id the item
    always had: a feed reader keeps the first copy of an id it saw, so after web.approval_link_days every link the
    maintainer could click said the link had expired. Expected: a reader polling daily always holds a copy of the
    item whose links still work."""
    import re

    from digest.review.signing import verify_link

    insert_candidate(site.database, real_papers()[0])
    secret = site.secret_key()
    kept: dict[str, str] = {}  # what a feed reader keeps: the first copy of each id
    for _ in range(3 * site.settings.web.approval_link_days):
        for entry in (await candidates_feed(site)).entries:
            kept.setdefault(entry.id, entry.summary)
        newest = list(kept.values())[-1]
        token = re.search(r'href="[^"]*/approve/([^"?]+)', newest)
        assert token is not None
        link = verify_link(secret, token.group(1), site.clock())
        assert link.expires_at > site.clock() + timedelta(days=1), (site.clock(), link.expires_at, len(kept))
        site.clock.advance(timedelta(days=1))
    assert len(kept) < 2 * site.settings.web.approval_link_days  # renewed, not a new entry every day
