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


@pytest.mark.asyncio
async def test_a_request_carrying_both_lengths_is_logged_with_the_whole_reason(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """A request carrying both Content-Length and Transfer-Encoding (a smuggling probe) got its 400, and the log said
    "(400: Transfer-Encoding can)": the reason cut at its apostrophe. It now says the whole reason, on one line, and
    still quotes nothing of the request (its address carried the feed's token)."""
    feed_token = SECRETS_ENV["DIGEST_FEED_TOKEN"]
    request = (
        f"POST /feeds/candidates.xml?token={feed_token} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    with caplog.at_level(logging.DEBUG):
        await refused_each(site, [request])
    refused = [record.getMessage() for record in caplog.records if "malformed request" in record.getMessage()]
    reason = "Transfer-Encoding can't be present with Content-Length"
    assert refused == [f"web: refused a malformed request from 127.0.0.1 (400: {reason})"], refused
    assert feed_token not in caplog.text, refused


@pytest.mark.asyncio
async def test_an_address_the_parser_refuses_whole_is_not_logged(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    """An absolute address without a host is refused by the parser with the address alone as its reason; the reason
    that is the address (the feed's token in it) is logged as "Invalid URL", never quoted."""
    feed_token = SECRETS_ENV["DIGEST_FEED_TOKEN"]
    with caplog.at_level(logging.DEBUG):
        await refused_each(site, [f"GET http:///feeds/candidates.xml?token={feed_token} HTTP/1.1\r\nHost: x\r\n\r\n"])
    refused = [record.getMessage() for record in caplog.records if "malformed request" in record.getMessage()]
    assert refused == ["web: refused a malformed request from 127.0.0.1 (400: Invalid URL)"], refused
    assert feed_token not in caplog.text, refused
