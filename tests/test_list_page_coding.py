"""The list page `/` as browsers fetch it: gzipped when asked for (all do), with an ETag of its bytes (the gzipped
bytes' own) and `Vary: Accept-Encoding`, 304 to a browser that holds it, the whole page again once the list changed.
Through the web app on loopback (tests/web_server.py), read by a client that does not decompress."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from multidict import CIMultiDict

from digest.review.rules import Actor
from tests.factories import insert_candidate, real_papers
from tests.web_server import Site, running_site, site_settings


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data")) as running:
        yield running


async def _fetched(site: Site, headers: dict[str, str]) -> tuple[int, CIMultiDict[str], bytes]:
    async with (
        aiohttp.ClientSession(site.base, auto_decompress=False) as raw,
        raw.get("/", headers=headers) as reply,
    ):
        return reply.status, CIMultiDict(reply.headers), await reply.read()


@pytest.mark.asyncio
async def test_the_list_page_is_sent_gzipped_and_not_again_to_a_browser_that_holds_it(site: Site) -> None:
    """The list page, some 36 KB for the bundled list (60 for a grown one), was sent whole and uncompressed on every
    visit, with no ETag, while the feeds had both. Expected: the same page gzipped (a third of the bytes or less) with
    its own ETag and Vary on the coding; 304 without a body for the ETag held (either coding's); the whole page once
    the list changed; a browser that takes no gzip gets the bytes as they are."""
    status, plain_headers, plain = await _fetched(site, {"Accept-Encoding": "identity"})
    assert status == 200 and "Content-Encoding" not in plain_headers
    assert plain_headers["Vary"] == "Accept-Encoding" and plain_headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<h1>" in plain and len(plain) > 30_000

    status, headers, body = await _fetched(site, {"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == plain
    assert len(body) * 3 < len(plain), (len(body), len(plain))
    assert headers["ETag"] != plain_headers["ETag"]

    for held in (headers["ETag"], plain_headers["ETag"]):
        status, _, body = await _fetched(site, {"Accept-Encoding": "gzip", "If-None-Match": f'"older", {held}'})
        assert (status, body) == (304, b"")
    status, refused, body = await _fetched(site, {"Accept-Encoding": "gzip;q=0, identity"})
    assert status == 200 and "Content-Encoding" not in refused and body == plain

    approved = real_papers()[2]
    await site.reviewer.decide_async(insert_candidate(site.database, approved), "approve", Actor("ann", None, "cli"))
    status, changed, body = await _fetched(site, {"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})
    assert status == 200 and changed["ETag"] != headers["ETag"]
    assert f"arxiv.org/abs/{approved['arxiv_id']}".encode() in gzip.decompress(body)
