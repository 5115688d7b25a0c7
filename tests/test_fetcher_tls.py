"""TLS failures that another try seconds later would not change: given up at once, in one line naming the host."""

from __future__ import annotations

import pytest

from digest.arxiv.fetcher import Fetcher, FetchError
from digest.config import ArxivSettings
from tests.arxiv_server import ArxivServer, FakeClock

CL = "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml"
ARXIV = ArxivSettings(contact="maintainers@example.org", min_interval_seconds=3.0, max_retries=4)


@pytest.mark.asyncio
async def test_an_https_address_on_a_plain_http_port_gives_up_at_once_saying_so() -> None:
    """`https://` typed for a mirror that speaks plain HTTP: the TLS handshake read an HTTP answer (ssl
    WRONG_VERSION_NUMBER) and the fetch was tried again after 5, 10, 20 and 40 s as if the network had blinked. It now
    fails at once, in one line naming the host and saying it does not speak TLS there."""
    clock = FakeClock()
    async with ArxivServer() as server, Fetcher(ARXIV, clock=clock) as fetcher:
        url = server.serve_file("/rss/cs.CL", CL).replace("http://", "https://")
        with pytest.raises(FetchError) as failed:
            await fetcher.fetch(url)
    message = str(failed.value)
    assert message.startswith(url) and "127.0.0.1" in message and "does not speak TLS" in message, message
    assert "\n" not in message and "attempts" not in message and clock.sleeps == [], (message, clock.sleeps)
