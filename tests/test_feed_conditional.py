"""Conditional GETs of the feeds as HTTP allows them to arrive: If-None-Match split over several header lines.
Through the web app on loopback (tests/web_server.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import pytest_asyncio

from digest.review.rules import Actor
from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site, approval_links, running_site, site_settings

TOKEN = {"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data")) as running:
        insert_candidate(running.database, real_papers()[0])
        yield running


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "params"),
    [("/feeds/list.xml", None), ("/feeds/list.atom", None), ("/feeds/candidates.xml", TOKEN)],
)
async def test_the_etag_a_reader_holds_on_a_second_if_none_match_line_is_not_modified(
    site: Site, path: str, params: dict[str, str] | None
) -> None:
    """A reader (or a proxy in front of the site) that sends the ETags it holds as several If-None-Match lines, which
    HTTP makes the same as one comma-separated line, was sent the whole feed on every poll: only the first line was
    read. Expected: 304 when any line holds the feed's ETag; the whole feed when none does."""
    async with site.client.get(path, params=params) as reply:
        assert reply.status == 200
        etag = reply.headers["ETag"]
    held = [("If-None-Match", '"an-older-copy"'), ("If-None-Match", etag)]
    async with site.client.get(path, params=params, headers=held) as reply:
        assert reply.status == 304
        assert await reply.read() == b""
    other = [("If-None-Match", '"an-older-copy"'), ("If-None-Match", '"another"')]
    async with site.client.get(path, params=params, headers=other) as reply:
        assert reply.status == 200
        assert (await reply.read()).startswith(b"<?xml")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "params"),
    [("/feeds/list.xml", None), ("/feeds/list.atom", None), ("/feeds/candidates.xml", TOKEN)],
)
async def test_a_reader_asking_with_if_modified_since_alone_is_answered_not_modified_until_the_feed_changes(
    site: Site, path: str, params: dict[str, str] | None
) -> None:
    """A reader that keeps only Last-Modified (If-Modified-Since, no ETag) was sent the whole candidates feed on every
    poll: it had no Last-Modified. Expected of every feed: 304 while it is the same, the whole feed once it changed
    (here a new candidate found), with a later Last-Modified."""
    async with site.client.get(path, params=params) as reply:
        assert reply.status == 200
        held = reply.headers["Last-Modified"]
    site.clock.advance(timedelta(minutes=5))
    async with site.client.get(path, params=params, headers={"If-Modified-Since": held}) as reply:
        assert reply.status == 304
        assert await reply.read() == b""
    site.clock.advance(timedelta(minutes=5))
    approved, found = real_papers()[2], real_papers()[1]
    await site.reviewer.decide_async(insert_candidate(site.database, approved), "approve", Actor("ann", None, "cli"))
    insert_candidate(site.database, found)
    shown = found if path == "/feeds/candidates.xml" else approved
    async with site.client.get(path, params=params, headers={"If-Modified-Since": held}) as reply:
        assert reply.status == 200
        assert f"arxiv.org/abs/{shown['arxiv_id']}" in await reply.text()
        assert parsedate_to_datetime(reply.headers["Last-Modified"]) > parsedate_to_datetime(held)


@pytest.mark.asyncio
async def test_renewed_approval_links_reach_a_reader_asking_with_if_modified_since(site: Site) -> None:
    """The candidates feed changes with no candidate found or decided when its approval links are renewed (their expiry
    is in each id): a reader holding the Last-Modified of the old links must be sent the new ones, not 304."""
    async with site.client.get("/feeds/candidates.xml", params=TOKEN) as reply:
        held, old_body = reply.headers["Last-Modified"], await reply.text()
    site.clock.advance(timedelta(days=site.settings.web.approval_link_days))
    async with site.client.get("/feeds/candidates.xml", params=TOKEN, headers={"If-Modified-Since": held}) as reply:
        assert reply.status == 200
        assert approval_links(await reply.text()) != approval_links(old_body)
