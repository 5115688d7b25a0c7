"""TLS failures that another try seconds later would not change: given up at once, in one line naming the host."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from digest.arxiv.fetcher import Fetcher, FetchError
from digest.config import ArxivSettings
from tests.arxiv_server import ArxivServer, FakeClock
from tests.test_poll_faults import poll_sources

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


@pytest.mark.asyncio
@pytest.mark.parametrize("fault", ["self-signed certificate", "does not speak TLS"])
async def test_a_tls_fault_on_one_feed_is_not_asked_again_for_the_others_on_that_host(
    tmp_path: Path, fault: str
) -> None:
    """A mirror whose certificate is not trusted (or an https:// address on its plain-HTTP port): each of its feeds
    in the pass made its own connection and failed the same way. The first now says why; the others on that host and
    port say they were not tried, and a feed elsewhere is read as ever."""
    from tests.smtp_server import self_signed_certificate, server_tls_context

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    context = server_tls_context(*self_signed_certificate(tmp_path)) if "certificate" in fault else None
    mirror = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    port = mirror.sockets[0].getsockname()[1]
    try:
        async with ArxivServer() as arxiv:
            elsewhere = arxiv.serve_file("/rss/cs.CL", CL).replace("127.0.0.1", "localhost")
            broken = [f"https://127.0.0.1:{port}/rss/{category}" for category in ("cs.CV", "cs.LG", "cs.AI")]
            summary, states = await poll_sources(tmp_path / "data", [*broken, elsewhere])
    finally:
        mirror.close()
        await mirror.wait_closed()
    assert summary.outcome == "partial"
    assert fault in (states[broken[0]].last_message or "")
    for later in broken[1:]:
        said = states[later].last_message or ""
        assert said.startswith(f"{later}: not tried, 127.0.0.1:{port}") and fault in said, said
    assert states[elsewhere].last_outcome == "fetched"
