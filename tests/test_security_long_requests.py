"""An over-long request line or header, refused by the HTTP parser, is logged without quoting any of it."""

from __future__ import annotations

import logging

import pytest

from tests.raw_requests import refused_each
from tests.web_server import SECRETS_ENV, Site


@pytest.mark.asyncio
async def test_an_over_long_request_is_logged_without_the_feed_token_it_carried(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """A feed reader asking for the private feed with an address over 8190 bytes (its token first, then a long
    query a proxy or a tracker appended) got its 400, and the service's log kept the line "Got more than 8190 bytes
    when reading: bytearray(b'/feeds/candidates.xml?token=...')": the feed's token on disk. The line now says what
    was wrong and quotes nothing of the request, as for any other malformed request."""
    feed_token = SECRETS_ENV["DIGEST_FEED_TOKEN"]
    requests = [
        f"GET /feeds/candidates.xml?token={feed_token}&utm={'A' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n",
        f"GET /review HTTP/1.1\r\nHost: x\r\nCookie: digest_session={feed_token}{'A' * 9000}\r\n\r\n",
    ]
    with caplog.at_level(logging.DEBUG):
        await refused_each(site, requests)
    refused = [record.getMessage() for record in caplog.records if "malformed request" in record.getMessage()]
    assert len(refused) == 2 and all("from 127.0.0.1 (400: Got more than" in line for line in refused), refused
    assert feed_token not in caplog.text and "AAAA" not in caplog.text, refused
