"""The polite fetcher against a local arXiv stand-in: headers, conditional GET, spacing, back-off, size limit.

The waits kept in the data folder's turn file (between processes and passes) are in test_fetcher_turns.py; gzip'd
answers in test_fetcher_gzip.py; TLS failures in test_fetcher_tls.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.arxiv.fetcher import Fetcher, FetchError
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.fetching import ARXIV, CL


@pytest.mark.asyncio
async def test_identifies_itself_and_sends_validators_exactly() -> None:
    async with ArxivServer() as server, Fetcher(ARXIV, clock=FakeClock()) as fetcher:
        url = server.serve_file("/rss/cs.CL", CL, etag='W/"abc-123"', last_modified="Mon, 27 Apr 2026 04:00:02 GMT")
        first = await fetcher.fetch(url)
        assert first.status == 200 and b"Source-Modality Monitoring" in first.body
        assert first.etag == 'W/"abc-123"'
        second = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    sent = server.requests_to("/rss/cs.CL")
    assert "maintainers@example.org" in sent[0].headers["User-Agent"]
    assert "application/rss+xml" in sent[0].headers["Accept"]
    assert "If-None-Match" not in sent[0].headers
    assert sent[1].headers["If-None-Match"] == 'W/"abc-123"'
    assert sent[1].headers["If-Modified-Since"] == "Mon, 27 Apr 2026 04:00:02 GMT"


@pytest.mark.asyncio
async def test_requests_are_spaced_across_fetchers_in_the_process() -> None:
    clock = FakeClock()
    async with ArxivServer() as server:
        url = server.serve_file("/rss/cs.CL", CL)
        async with Fetcher(ARXIV, clock=clock) as one:
            await one.fetch(url)
        async with Fetcher(ARXIV, clock=clock) as two:  # a second client still waits its turn
            await two.fetch(url)
            await two.fetch(url)
    assert clock.sleeps == [3.0, 3.0]


@pytest.mark.asyncio
async def test_backs_off_on_429_and_503_honouring_retry_after() -> None:
    clock = FakeClock()
    async with ArxivServer() as server, Fetcher(ARXIV, clock=clock) as fetcher:
        body = (server_file := Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
        assert server_file.exists()
        url = server.program(
            "/rss/cs.CL",
            Reply(status=429, retry_after="30"),
            Reply(status=503),
            Reply(
                status=503,
                retry_after="Mon, 27 Apr 2026 04:32:00 GMT",
                headers={"Date": "Mon, 27 Apr 2026 04:30:49 GMT"},
            ),
            Reply(body=body),
        )
        result = await fetcher.fetch(url)
    assert result.status == 200 and b"Source-Modality Monitoring" in result.body
    assert len(server.requests_to("/rss/cs.CL")) == 4
    backoffs = [s for s in clock.sleeps if s != 3.0]
    # 429 asked for 30 s (more than the 5 s back-off); the next 503 doubles to 10 s; the HTTP date was ~1.5 min away.
    assert backoffs[0] == 30.0 and backoffs[1] == 10.0 and 60 < backoffs[2] <= 120


@pytest.mark.asyncio
async def test_a_retry_after_date_is_read_against_the_servers_clock_not_this_ones() -> None:
    """This machine's clock an hour ahead of arXiv's: a 503 asking to come back at a moment two minutes ahead (an HTTP
    date) was read against the local clock, found in the past, and the host asked again after the 5 s back-off. The
    date is now read against the answer's own Date, as RFC 9110 says: two minutes."""
    clock = FakeClock()  # 04:30 UTC; the server's clock says 03:30
    async with ArxivServer() as server, Fetcher(ARXIV, clock=clock) as fetcher:
        body = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
        busy = Reply(
            status=503, retry_after="Mon, 27 Apr 2026 03:32:00 GMT", headers={"Date": "Mon, 27 Apr 2026 03:30:00 GMT"}
        )
        url = server.program("/rss/cs.CL", busy, Reply(body=body))
        result = await fetcher.fetch(url)
    assert result.status == 200 and len(server.requests_to("/rss/cs.CL")) == 2
    assert [s for s in clock.sleeps if s != 3.0] == [120.0]


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [507, 509, 520, 522])
async def test_every_busy_5xx_is_backed_off_honouring_retry_after(status: int) -> None:
    """Only 500, 502, 503 and 504 were taken for a busy host: a 509 (bandwidth limit) or a CDN's 520-522 with
    'Retry-After: 30' was the answer itself, so the source failed at once and the Retry-After was never honoured (the
    next feed on that host was asked 3 s later). Every 5xx but 501 and 505 (which another try does not change) is now
    a refusal, as 429 is."""
    clock = FakeClock()
    async with ArxivServer() as server, Fetcher(ARXIV, clock=clock) as fetcher:
        body = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
        url = server.program("/rss/cs.CL", Reply(status=status, retry_after="30"), Reply(body=body))
        result = await fetcher.fetch(url)
    assert result.status == 200 and b"Source-Modality Monitoring" in result.body
    assert len(server.requests_to("/rss/cs.CL")) == 2
    assert [s for s in clock.sleeps if s != 3.0] == [30.0]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "retry_after",
    [
        "\u00b2",
        "\u0663\u0660",
        "\uff13\uff10",
        "Mon, \u0662\u0667 Apr 2026 04:32:00 GMT",
        "Mon, 27 Apr 99999999999999999999 04:32:00 GMT",
        "soon",
    ],
)
async def test_a_retry_after_of_other_digits_is_backed_off_as_none(retry_after: str) -> None:
    """A 503 with 'Retry-After: ²' failed the source at once as 'a broken answer', Arabic-Indic or full-width digits
    (which str.isdigit takes) were waited as seconds, and a date with a 20-digit year raised OverflowError out of the
    fetch: none is seconds in ASCII digits or an HTTP date, so each is now taken as absent and the busy host backed
    off by the default 5 s, as a 503 without one."""
    clock = FakeClock()
    async with ArxivServer() as server, Fetcher(ARXIV, clock=clock) as fetcher:
        body = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
        url = server.program("/rss/cs.CL", Reply(status=503, retry_after=retry_after), Reply(body=body))
        result = await fetcher.fetch(url)
    assert result.status == 200 and b"Source-Modality Monitoring" in result.body
    assert len(server.requests_to("/rss/cs.CL")) == 2
    assert [s for s in clock.sleeps if s != 3.0] == [5.0]


@pytest.mark.asyncio
async def test_a_501_is_not_asked_again() -> None:
    async with ArxivServer() as server, Fetcher(ARXIV, clock=FakeClock()) as fetcher:
        url = server.program("/rss/cs.CL", Reply(status=501))
        assert (await fetcher.fetch(url)).status == 501
    assert len(server.requests_to("/rss/cs.CL")) == 1


@pytest.mark.asyncio
async def test_gives_up_after_the_retries_with_one_line() -> None:
    clock = FakeClock()
    settings = ARXIV.model_copy(update={"max_retries": 2})
    async with ArxivServer() as server, Fetcher(settings, clock=clock) as fetcher:
        url = server.program("/rss/cs.CL", Reply(status=503))
        with pytest.raises(FetchError, match="HTTP 503 after 3 attempts"):
            await fetcher.fetch(url)
    assert len(server.requests_to("/rss/cs.CL")) == 3


@pytest.mark.asyncio
async def test_a_far_retry_after_stops_this_pass() -> None:
    async with ArxivServer() as server, Fetcher(ARXIV, clock=FakeClock()) as fetcher:
        url = server.program("/rss/cs.CL", Reply(status=429, retry_after="86400"))
        with pytest.raises(FetchError, match="retry after 86400 s"):
            await fetcher.fetch(url)
    assert len(server.requests_to("/rss/cs.CL")) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("declare_length", [True, False])
async def test_a_50_mb_answer_is_refused_without_reading_it(declare_length: bool) -> None:
    settings = ARXIV.model_copy(update={"max_response_bytes": 1024 * 1024})
    async with ArxivServer() as server, Fetcher(settings, clock=FakeClock()) as fetcher:
        url = server.program("/rss/cs.CV", Reply(stream_bytes=50 * 1024 * 1024, declare_length=declare_length))
        with pytest.raises(FetchError, match="over the 1 MiB limit"):
            await fetcher.fetch(url)


@pytest.mark.asyncio
async def test_a_dead_server_is_one_line_after_retries(unused_tcp_port: int) -> None:
    clock = FakeClock()
    async with Fetcher(ARXIV.model_copy(update={"max_retries": 1}), clock=clock) as fetcher:
        with pytest.raises(FetchError, match="after 2 attempts"):
            await fetcher.fetch(f"http://127.0.0.1:{unused_tcp_port}/rss/cs.CV")
    assert 5.0 in clock.sleeps


@pytest.mark.asyncio
async def test_local_files_are_read_directly(tmp_path: Path) -> None:
    async with Fetcher(ARXIV, clock=FakeClock()) as fetcher:
        path = Path(__file__).parent / "data" / "arxiv" / CL
        result = await fetcher.fetch(str(path))
        assert result.status == 200 and result.body == path.read_bytes()
        with pytest.raises(FetchError, match="cannot read the file"):
            await fetcher.fetch(str(tmp_path / "missing.xml"))


@pytest.mark.asyncio
async def test_a_redirect_is_followed_the_interval_after_the_answer_that_gave_it() -> None:
    """export.arxiv.org/rss/cs.CL answers 301 to rss.arxiv.org: the request that follows is one more request to
    arXiv, and it went out the moment the 301 arrived, two requests with no pause between them on every poll."""
    clock = FakeClock()
    async with ArxivServer() as server, Fetcher(ARXIV, clock=clock) as fetcher:
        target = server.serve_file("/rss/cs.CL", CL)
        moved = server.program("/export/rss/cs.CL", Reply(status=301, headers={"Location": target}))
        result = await fetcher.fetch(moved)
    assert result.status == 200 and b"Source-Modality Monitoring" in result.body
    assert [request.path for request in server.requests] == ["/export/rss/cs.CL", "/rss/cs.CL"]
    assert clock.sleeps == [3.0]  # the one pause: between the 301 and the request it leads to


@pytest.mark.asyncio
async def test_the_back_off_between_retries_is_bounded() -> None:
    """An operator who raised max_retries to 10 for a flaky mirror: the back-off doubled from 5 s without end, so the
    tenth wait was 43 minutes (an hour and a half for one source, holding the service's poll all along). Each wait is
    now at most the 10 minutes a Retry-After is waited within a pass."""
    clock = FakeClock()
    settings = ARXIV.model_copy(update={"max_retries": 10})
    async with ArxivServer() as server, Fetcher(settings, clock=clock) as fetcher:
        url = server.program("/rss/cs.CL", Reply(status=503))
        with pytest.raises(FetchError, match="HTTP 503 after 11 attempts"):
            await fetcher.fetch(url)
    backoffs = [s for s in clock.sleeps if s != 3.0]
    assert backoffs[:4] == [5.0, 10.0, 20.0, 40.0] and max(backoffs) == 600.0, backoffs
