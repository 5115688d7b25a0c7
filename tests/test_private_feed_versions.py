"""The private candidates feed when arXiv announces a new version of a pending candidate: the reader shows it anew."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
import pytest_asyncio
from sqlalchemy import update

from digest.storage.models import Candidate
from digest.titles import title_key
from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site, running_site, site_settings


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data"), cache_feeds=False) as running:
        yield running


async def only_entry(site: Site) -> feedparser.FeedParserDict:
    token = {"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}
    async with site.client.get("/feeds/candidates.xml", params=token) as reply:
        assert reply.status == 200
        parsed = feedparser.parse(await reply.read())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 1
    return parsed.entries[0]


@pytest.mark.asyncio
async def test_a_new_version_with_a_new_title_is_a_new_entry_dated_when_it_came(site: Site) -> None:
    """A pending candidate's v2 came with a new title; its feed item kept its id and date, and a feed reader, which
    knows an item by its id, kept showing the old title (and never said anything changed). Expected: an entry of its
    own for the new version, dated when the new version was taken, with the new title."""
    candidate_id = insert_candidate(site.database, real_papers()[0])
    before = await only_entry(site)
    site.clock.advance(timedelta(hours=3))
    new_title = "A Renamed Paper About Sparse Autoencoders"
    with site.database.transaction() as session:
        session.execute(
            update(Candidate)
            .where(Candidate.id == candidate_id)
            .values(version=2, title=new_title, title_key=title_key(new_title), updated_at=site.clock())
        )
    after = await only_entry(site)
    assert after.title == new_title
    assert after.id != before.id
    assert after.published_parsed > before.published_parsed
    # The same version from one poll to the next keeps its entry.
    site.clock.advance(timedelta(minutes=15))
    assert (await only_entry(site)).id == after.id
