"""The feeds as a feed reader keeps them: one id for each paper of the list, the same on every render, restart and
import, each dated and described as its paper; the private feed the same from one poll to the next (from QA).
Through the web app on loopback (tests/web_server.py)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import feedparser
import pytest
import pytest_asyncio
from sqlalchemy import update

from digest.awesome import store as liststore
from digest.resources import seed_list_path
from digest.review.rules import Actor
from digest.review.signing import verify_link
from digest.storage.models import Paper
from tests.factories import insert_candidate, real_papers
from tests.feedreading import shown_text
from tests.web_server import SECRETS_ENV, Site, running_site, site_settings

GUID = "tag:awesome-digest,2025:arxiv:"
# The bundled list, kept by hand, links two different papers to one arXiv ID twice.
TOKEN_MAP = "Token Activation Map to Visually Explain Multimodal LLMs"
VISUAL_SEARCH = "Interpreting Object-level Foundation Models via Visual Precision Search"


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(
        site_settings(tmp_path / "data", "[web]\nfeed_items = 500\n"), cache_feeds=False
    ) as running:
        yield running


async def feed_ids(site: Site, path: str) -> dict[str, str]:
    """Title -> id of every item, as feedparser reads them; every id once."""
    async with site.client.get(path) as response:
        assert response.status == 200
        parsed = feedparser.parse(await response.read())
    assert not parsed.bozo, parsed.get("bozo_exception")
    ids = [entry.id for entry in parsed.entries]
    assert [key for key, count in Counter(ids).items() if count > 1] == [], "one id for two papers"
    return {shown_text(entry.title_detail): entry.id for entry in parsed.entries}


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/feeds/list.xml", "/feeds/list.atom"])
async def test_two_papers_a_hand_kept_list_links_to_one_arxiv_id_are_two_items(site: Site, path: str) -> None:
    """The bundled list links 'Token Activation Map ...' and 'Interpreting Object-level Foundation Models ...' both to
    arXiv 2411.16198 (and two titles to 2404.03118): both items had the id ...arxiv:2411.16198, so a feed reader,
    which knows an item by its id, showed one of the two papers and never the other (or swapped one for the other
    between fetches). Expected: each paper its own id, the first one listed keeping the arXiv one."""
    ids = await feed_ids(site, path)
    assert len(ids) == 64  # every paper of the list
    assert ids[TOKEN_MAP] == GUID + "2411.16198"
    assert ids[VISUAL_SEARCH] != ids[TOKEN_MAP]


@pytest.mark.asyncio
async def test_an_older_database_holding_one_id_for_two_papers_keeps_the_ids_a_later_import_gives(site: Site) -> None:
    """A database keyed by migration 0013 holds the arXiv id for both papers: the feeds tell them apart all the same,
    and a later import of the list stores the ids the feeds already give, so no reader sees an item twice."""
    with site.database.transaction() as session:
        doubled = update(Paper).where(Paper.arxiv_id.in_(["2411.16198", "2404.03118"]))
        session.execute(doubled.values(feed_key="arxiv:" + Paper.arxiv_id))
    before = await feed_ids(site, "/feeds/list.atom")
    edited = seed_list_path().read_bytes().replace(b"(Apr. 4, 2025)", b"(Apr. 5, 2025)", 1)
    with site.database.transaction() as session:
        liststore.import_markdown(session, edited, source="edited.md")
    assert await feed_ids(site, "/feeds/list.atom") == before
    assert await feed_ids(site, "/feeds/list.xml") == before


@pytest.mark.asyncio
async def test_a_paper_undone_and_approved_again_later_is_dated_by_when_it_came_back(site: Site) -> None:
    """A maintainer approves a paper, undoes it an hour later (wrong paper, wrong section) and approves it again a
    week later, after another paper: the feeds dated it by the first approval, a week back and below the papers
    approved since, although it joined the list (and the weekly digest announces it) that later week. A reader whose
    feed reader never saw it in that hour, and who reads by date, never finds it. Expected: dated when it came back."""
    first, other = real_papers()[0], real_papers()[1]
    first_id, other_id = insert_candidate(site.database, first), insert_candidate(site.database, other)
    ann = Actor("ann", None, "cli")
    await site.reviewer.decide_async(first_id, "approve", ann)
    site.clock.advance(timedelta(hours=1))
    await site.reviewer.decide_async(first_id, "revert", ann)
    site.clock.advance(timedelta(days=7))
    await site.reviewer.decide_async(other_id, "approve", ann)
    site.clock.advance(timedelta(hours=1))
    await site.reviewer.decide_async(first_id, "approve", ann)
    for path in ("/feeds/list.xml", "/feeds/list.atom"):
        async with site.client.get(path) as response:
            parsed = feedparser.parse(await response.read())
        newest = parsed.entries[0]
        assert [entry.title for entry in parsed.entries[:2]] == [first["title"], other["title"]], path
        came_back = datetime(*newest.published_parsed[:6]).replace(tzinfo=UTC)
        assert abs(came_back - site.clock()) < timedelta(seconds=2), (path, came_back)


@pytest.mark.asyncio
async def test_a_paper_the_list_links_to_another_papers_arxiv_id_does_not_show_that_papers_abstract(site: Site) -> None:
    """The list links 'Token Activation Map to Visually Explain Multimodal LLMs' to 2411.16198, which is 'Interpreting
    Object-level Foundation Models via Visual Precision Search': both feed items carried that paper's abstract
    (Grounding DINO, Florence-2), so readers read under the Token Activation Map title what another paper does.
    Expected: a bundled abstract only under a title of its own paper (a typo in it still matches)."""
    async with site.client.get("/feeds/list.xml") as response:
        parsed = feedparser.parse(await response.read())
    summaries = {entry.title: entry.summary for entry in parsed.entries}
    assert "Grounding DINO" in summaries[VISUAL_SEARCH]
    assert "Grounding DINO" not in summaries[TOKEN_MAP]
    lvlm = [summary for title, summary in summaries.items() if title.lower().startswith("lvlm-int")]
    assert len(lvlm) == 2 and all("multi-modal large language models" in summary for summary in lvlm)


@pytest.mark.asyncio
async def test_the_private_feed_is_the_same_from_one_poll_to_the_next_until_something_changes(site: Site) -> None:
    """Each fetch of the private feed signed every approval link anew, with an expiry to the second: every pending
    candidate's item changed at every poll of a maintainer's feed reader (every 15 minutes), which a reader set to do
    so shows as updated and unread again, for papers nobody touched. Expected: the same feed until a day turns, its
    links valid at least web.approval_link_days."""
    for record in real_papers()[:3]:
        insert_candidate(site.database, record)
    token = {"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}
    # The polls within one day (UTC), whatever the hour the test starts at: from the next noon on. The clock starts
    # at the real time, and 23:50 put the second poll in another day (an expiry a day later, rightly).
    now = site.clock()
    site.clock.advance(datetime.combine(now.date() + timedelta(days=1), time(12), UTC) - now)
    bodies = []
    for _ in range(2):
        fetched_at = site.clock()
        async with site.client.get("/feeds/candidates.xml", params=token) as response:
            bodies.append(await response.read())
        site.clock.advance(timedelta(minutes=15))
    assert len(feedparser.parse(bodies[0]).entries) == 3
    assert bodies[0] == bodies[1]
    href = re.search(r'href="[^"]*/approve/([^"?]+)', feedparser.parse(bodies[0]).entries[0].summary)
    assert href is not None
    link = verify_link(site.secret_key(), href.group(1), site.clock())
    assert link.expires_at >= fetched_at + timedelta(days=site.settings.web.approval_link_days)
