"""The public feeds as feed readers fetch them: gzipped when the reader asks for it (they all do), with the gzipped
bytes' own ETag and `Vary: Accept-Encoding`, and still answered 304 when the reader holds it. Through the web app on
loopback (tests/web_server.py), read by a client that does not decompress, so the bytes are those on the wire."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import feedparser
import pytest
import pytest_asyncio
from multidict import CIMultiDict

from tests.web_server import Site, running_site, site_settings


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data")) as running:
        yield running


async def _fetched(site: Site, path: str, headers: dict[str, str]) -> tuple[int, CIMultiDict[str], bytes]:
    async with (
        aiohttp.ClientSession(site.base, auto_decompress=False) as raw,
        raw.get(path, headers=headers) as reply,
    ):
        return reply.status, CIMultiDict(reply.headers), await reply.read()


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/feeds/list.xml", "/feeds/list.atom"])
async def test_a_feed_reader_asking_for_gzip_gets_the_feed_gzipped_and_not_modified_after(
    site: Site, path: str
) -> None:
    """A reader asking with Accept-Encoding: gzip was sent the whole feed as it is, some 90 KB for the bundled list, on
    every change. Expected: the same feed gzipped (a third of the bytes or less), its own ETag, Vary on the coding,
    and 304 when the reader sends that ETag back; a client that takes no gzip gets the bytes as they are."""
    status, plain_headers, plain = await _fetched(site, path, {"Accept-Encoding": "identity"})
    assert status == 200 and "Content-Encoding" not in plain_headers
    assert plain_headers["Vary"] == "Accept-Encoding"

    status, headers, body = await _fetched(site, path, {"Accept-Encoding": "gzip, deflate"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == plain
    assert len(body) * 3 < len(plain), (len(body), len(plain))
    assert headers["ETag"] != plain_headers["ETag"]
    parsed = feedparser.parse(gzip.decompress(body))
    assert not parsed.bozo and len(parsed.entries) > 10

    status, _, body = await _fetched(site, path, {"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")
    status, refused, body = await _fetched(site, path, {"Accept-Encoding": "gzip;q=0, identity"})
    assert status == 200 and "Content-Encoding" not in refused and body == plain
