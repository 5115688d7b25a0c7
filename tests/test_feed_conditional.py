"""Conditional GETs of the feeds as HTTP allows them to arrive: If-None-Match split over several header lines.
Through the web app on loopback (tests/web_server.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site, running_site, site_settings

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
