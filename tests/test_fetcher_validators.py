"""Validators (ETag, Last-Modified) a server sends that cannot be sent back as they are: a feed must not be stuck."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.storage.db import Database
from digest.storage.state import FeedState
from tests.arxiv_server import ARXIV_DATA, FakeClock, RawServer

CL = "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "header",
    [b'ETag: "a\x01b"', b'ETag: "\xff\xfe"', b"Last-Modified: Mon, 27 Apr 2026\x0b04:00:02 GMT"],
    ids=["control-etag", "not-utf8-etag", "control-date"],
)
async def test_a_validator_that_cannot_be_sent_back_does_not_stick_the_feed(
    tmp_path: Path, settings: Settings, database: Database, header: bytes
) -> None:
    """A server sent an ETag holding a control character: the feed was read and the ETag kept, and every later poll
    sent it back in If-None-Match, which the HTTP client refuses to send ("Forbidden control character"): the feed
    failed as "a broken answer" on every poll from then on, for ever. Such a validator is not kept: the next poll
    asks for the whole feed and reads it."""
    feed = (ARXIV_DATA / CL).read_bytes()
    answer = b"HTTP/1.1 200 OK\r\n" + header + f"\r\nContent-Length: {len(feed)}\r\n\r\n".encode() + feed
    async with RawServer() as raw:
        url = raw.program("/rss/cs.CL", answer)
        first = await run_poll(settings, database, sources=[url], clock=FakeClock())
        second = await run_poll(settings, database, sources=[url], clock=FakeClock())
    assert first.sources[0].outcome == "fetched", first.sources[0].line()
    assert second.sources[0].outcome in ("fetched", "quiet"), second.sources[0].line()
    assert raw.paths == ["/rss/cs.CL", "/rss/cs.CL"]


@pytest.mark.asyncio
async def test_a_validator_kept_by_an_earlier_version_that_cannot_be_sent_is_not_sent(
    settings: Settings, database: Database
) -> None:
    """A database where an earlier version kept an ETag with a control character: every poll of that feed still
    failed as "a broken answer". The validator is not sent; the feed is asked for whole and read."""
    feed = (ARXIV_DATA / CL).read_bytes()
    answer = f"HTTP/1.1 200 OK\r\nContent-Length: {len(feed)}\r\n\r\n".encode() + feed
    async with RawServer() as raw:
        url = raw.program("/rss/cs.CL", answer)
        with database.transaction() as session:
            session.add(FeedState(source=url, etag='"a\x01b"', last_modified="Mon, 27 Apr\x7f2026"))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    assert summary.sources[0].outcome == "fetched", summary.sources[0].line()
