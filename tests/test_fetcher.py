"""The polite fetcher against a local arXiv stand-in: headers, conditional GET, spacing, back-off, size limit."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest.arxiv.fetcher import Fetcher, FetchError
from digest.cli import main
from digest.config import ArxivSettings
from tests.arxiv_server import ArxivServer, FakeClock, Reply

CL = "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml"
HEAT_BATH = "api/api_new_arxiv.py_id_1605.08386_s0_m100_199195aa31ad_http200.xml"  # one entry: 1605.08386
ARXIV = ArxivSettings(contact="maintainers@example.org", min_interval_seconds=3.0, max_retries=4)


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


async def polls_side_by_side(
    data_dir: Path, tmp_path: Path, interval: float, launcher: list[str]
) -> tuple[list[float], list[float]]:
    """`digest poll` and `digest add` on one data folder (one poll at a time holds the folder's poll lock; other
    commands still ask arXiv beside it), started together (each behind `launcher`): when arXiv got each request, and
    when the first answer was let go. A request stays in flight until another one arrives (at most 4 s)."""
    assert main(["--data-dir", str(data_dir), "candidates"]) == 0  # the folder exists and is seeded
    released: list[float] = []
    async with ArxivServer() as server:

        async def held() -> None:
            for _ in range(80):
                if len(server.requests) > 1:
                    break
                await asyncio.sleep(0.05)
            released.append(time.monotonic())

        body = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
        feed = server.program("/rss/one", Reply(body=body, before_answer=held))
        paper = (Path(__file__).parent / "data" / "arxiv" / HEAT_BATH).read_bytes()
        api = server.program("/api/query", Reply(body=paper, before_answer=held))
        config = tmp_path / "config.toml"
        config.write_text(
            f'[arxiv]\nmin_interval_seconds = {interval}\nsources = ["{feed}"]\napi_url = "{api}"\n',
            encoding="utf-8",
        )
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
        polls = [
            await asyncio.create_subprocess_exec(
                *launcher,
                sys.executable,
                "-m",
                "digest",
                "--config",
                str(config),
                "--data-dir",
                str(data_dir),
                *command,
                cwd=tmp_path,
                env=environment,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for command in (["poll"], ["add", "1605.08386", "--section", "Probing"])
        ]
        outputs = [await poll.communicate() for poll in polls]
    assert [poll.returncode for poll in polls] == [0, 0], outputs
    return sorted(request.at for request in server.requests), sorted(released)


@pytest.mark.asyncio
async def test_two_processes_on_one_data_folder_take_turns_to_ask_arxiv(data_dir: Path, tmp_path: Path) -> None:
    """The service polling while cron (or a maintainer) runs `digest poll` on the same folder: arXiv still gets one
    request at a time, the interval apart, not one from each process at once."""
    interval = 1.0
    (first, second), _released = await polls_side_by_side(data_dir, tmp_path, interval, [])
    # The second process waited for the first one's request (held up to 4 s) to end, then the interval.
    assert second - first >= interval, (first, second)


@pytest.mark.asyncio
async def test_polls_in_containers_of_their_own_keep_the_interval_between_them(data_dir: Path, tmp_path: Path) -> None:
    """The service in one container and `digest poll` in another over the shared data volume: each is pid 1 of its
    own namespace, and the turn file, which told processes apart by pid, took the other's request for its own: the
    second asked arXiv the moment the first answer ended, not the interval after."""
    if os.geteuid() != 0 or subprocess.run(["unshare", "--pid", "--fork", "true"], check=False).returncode != 0:
        pytest.skip("a pid namespace of its own needs root and unshare")
    interval = 2.0
    (_first, second), (first_answered, *_) = await polls_side_by_side(
        data_dir, tmp_path, interval, ["unshare", "--pid", "--fork"]
    )
    assert second - first_answered >= interval, (first_answered, second)


@pytest.mark.asyncio
async def test_a_far_retry_after_holds_for_the_next_pass_and_the_other_commands(tmp_path: Path) -> None:
    """arXiv answered the 04:30 poll "503, Retry-After: 7200": the retry job, a `digest add` or a reader's /suggest an
    hour later do not ask it again before 06:30; afterwards they do."""
    clock = FakeClock()
    turn_file = tmp_path / "arxiv.turn"
    async with ArxivServer() as server:
        body = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
        url = server.program("/rss/cs.CL", Reply(status=503, retry_after="7200"), Reply(body=body))
        async with Fetcher(ARXIV, clock=clock, turn_file=turn_file) as fetcher:
            with pytest.raises(FetchError, match="retry after 7200 s"):
                await fetcher.fetch(url)
        await clock.sleep(3600)
        async with Fetcher(ARXIV, clock=clock, turn_file=turn_file) as fetcher:
            with pytest.raises(FetchError, match="until 2026-04-27 06:30 UTC") as refused:
                await fetcher.fetch(server.url("/api/query?id_list=2504.11695"))
        assert refused.value.busy_host == "127.0.0.1" and "\n" not in str(refused.value)
        assert len(server.requests) == 1
        await clock.sleep(3601)
        async with Fetcher(ARXIV, clock=clock, turn_file=turn_file) as fetcher:
            assert (await fetcher.fetch(url)).status == 200
    assert len(server.requests) == 2


@pytest.mark.asyncio
async def test_a_retry_after_of_hundreds_of_digits_is_a_wait_of_two_days_said_so(tmp_path: Path) -> None:
    """A 503 with a Retry-After of 400 nines (a broken proxy) failed the source as "asked to retry after inf s", and
    the infinity kept in the turn file outweighed every later Retry-After of that host: one of two hours an hour later
    was not kept, and the next command asked at once. The wait is read as the longest kept (two days), said so."""
    clock = FakeClock()
    turn_file = tmp_path / "arxiv.turn"
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CL", Reply(status=503, retry_after="9" * 400))
        async with Fetcher(ARXIV, clock=clock, turn_file=turn_file) as fetcher:
            with pytest.raises(FetchError) as refused:
                await fetcher.fetch(url)
        assert "asked to retry after 2 days or more (the longest wait kept); giving up for now" in str(refused.value)
        assert "inf" not in str(refused.value) and "Infinity" not in turn_file.read_text(encoding="utf-8")
        await clock.sleep(3600)
        async with Fetcher(ARXIV, clock=clock, turn_file=turn_file) as fetcher:
            with pytest.raises(FetchError, match="until 2026-04-29 04:30 UTC"):
                await fetcher.fetch(url)
    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_an_infinite_wait_kept_by_an_older_version_does_not_outweigh_a_later_retry_after(tmp_path: Path) -> None:
    """A turn file holding an endless wait for the host (written after such a Retry-After before this was fixed): a
    later "503, Retry-After: 7200" was not kept, and the next command asked again at once."""
    clock = FakeClock()
    turn_file = tmp_path / "arxiv.turn"
    turn_file.write_text('{"process": "1-old", "ended": 0, "left_alone": {"127.0.0.1": Infinity}}', encoding="utf-8")
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CL", Reply(status=503, retry_after="7200"))
        async with Fetcher(ARXIV, clock=clock, turn_file=turn_file) as fetcher:
            with pytest.raises(FetchError, match="retry after 7200 s"):
                await fetcher.fetch(url)
        await clock.sleep(3600)
        async with Fetcher(ARXIV, clock=clock, turn_file=turn_file) as fetcher:
            with pytest.raises(FetchError, match="until 2026-04-27 06:30 UTC"):
                await fetcher.fetch(url)
    assert len(server.requests) == 1


@pytest.mark.asyncio
async def test_a_turn_file_on_a_filesystem_without_locks_still_fetches_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A data folder on a network mount that refuses file locks (ENOLCK): every fetch failed with an OSError from the
    turn file, so no poll, `digest add` or /suggest reached arXiv at all."""
    import errno
    import fcntl
    import logging

    def no_locks(handle: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(fcntl, "flock", no_locks)  # what the mount answers; nothing else here is faked
    clock = FakeClock()
    async with ArxivServer() as server:
        body = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
        url = server.program("/rss/cs.CL", Reply(body=body), Reply(body=body))
        with caplog.at_level(logging.WARNING, logger="digest.arxiv"):
            for _ in range(2):
                async with Fetcher(ARXIV, clock=clock, turn_file=tmp_path / "arxiv.turn") as fetcher:
                    result = await fetcher.fetch(url)
                assert result.status == 200
        assert len(server.requests) == 2
    warnings = [record.getMessage() for record in caplog.records if "cannot lock" in record.getMessage()]
    assert len(warnings) == 1 and "arxiv.turn" in warnings[0], warnings


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


@pytest.mark.asyncio
async def test_a_retry_after_from_the_host_a_redirect_led_to_is_kept_for_that_host(tmp_path: Path) -> None:
    """export.arxiv.org answered 301 to another host, which answered "503, Retry-After: 7200": the wait was kept
    under export.arxiv.org (left alone for nothing) while the host that refused was asked again at once by the next
    command, through the redirect or straight."""
    clock = FakeClock()
    turn_file = tmp_path / "arxiv.turn"
    async with ArxivServer() as server:
        elsewhere = f"http://localhost:{server.port}/rss/cs.CL"
        server.program("/rss/cs.CL", Reply(status=503, retry_after="7200"))
        moved = server.program("/export/rss/cs.CL", Reply(status=301, headers={"Location": elsewhere}))
        async with Fetcher(ARXIV, clock=clock, turn_file=turn_file) as fetcher:
            with pytest.raises(FetchError, match="retry after 7200 s") as refused:
                await fetcher.fetch(moved)
        assert refused.value.busy_host == "localhost"
        await clock.sleep(3600)
        server.serve_file("/rss/cs.CL", CL)
        async with Fetcher(ARXIV, clock=clock, turn_file=turn_file) as fetcher:
            with pytest.raises(FetchError, match="localhost asked to be left alone until 2026-04-27 06:30:03 UTC"):
                await fetcher.fetch(elsewhere)
            with pytest.raises(FetchError, match="localhost asked to be left alone until 2026-04-27 06:30:03 UTC"):
                await fetcher.fetch(moved)
            assert (await fetcher.fetch(server.url("/rss/cs.CL"))).status == 200  # 127.0.0.1 did not refuse
    assert [request.path for request in server.requests] == [
        "/export/rss/cs.CL",
        "/rss/cs.CL",
        "/export/rss/cs.CL",
        "/rss/cs.CL",
    ]


@pytest.mark.asyncio
async def test_a_certificate_error_gives_up_at_once_naming_the_host(tmp_path: Path) -> None:
    """A mirror (or a proxy in the way) whose certificate is not trusted: the fetch was tried again after 5, 10, 20
    and 40 s, as if the network had blinked, and then failed "after 5 attempts"; a certificate does not mend in
    seconds. It now fails at once, in one line naming the host and what is wrong with its certificate."""
    from tests.smtp_server import self_signed_certificate, server_tls_context

    connections: list[int] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    context = server_tls_context(*self_signed_certificate(tmp_path))
    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    clock = FakeClock()
    try:
        async with Fetcher(ARXIV, clock=clock) as fetcher:
            with pytest.raises(FetchError) as failed:
                await fetcher.fetch(f"https://127.0.0.1:{port}/rss/cs.CL")
    finally:
        server.close()
        await server.wait_closed()
    message = str(failed.value)
    assert "127.0.0.1" in message and "self-signed certificate" in message and "\n" not in message, message
    assert "attempts" not in message and clock.sleeps == [], (message, clock.sleeps)
    assert connections == []


@pytest.mark.asyncio
async def test_a_cut_off_gzip_answer_is_a_broken_gzip_not_a_feed() -> None:
    """A proxy that sent half of the gzip'd feed with a Content-Length to match: the fetch took it as a 200 and the
    poll then said the feed itself was cut off (arXiv's fault, it seemed). It is now one line saying the gzip is
    broken, and no answer: no ETag kept, so the retry asks for the whole feed again."""
    import gzip

    from tests.arxiv_server import RawServer

    feed = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
    squeezed = gzip.compress(feed)
    cut = squeezed[: len(squeezed) // 2]
    head = f'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nETag: "half"\r\nContent-Length: {len(cut)}\r\n\r\n'
    async with RawServer() as raw, Fetcher(ARXIV, clock=FakeClock()) as fetcher:
        whole = raw.program(
            "/whole",
            f"{head[: head.index('Content-Length')]}Content-Length: {len(squeezed)}\r\n\r\n".encode() + squeezed,
        )
        assert (await fetcher.fetch(whole)).body == feed  # a whole gzip answer is read as ever
        url = raw.program("/rss/cs.CL", head.encode() + cut)
        with pytest.raises(FetchError) as broken:
            await fetcher.fetch(url)
    message = str(broken.value)
    assert "broken gzip" in message and "\n" not in message and message.startswith(url), message


@pytest.mark.asyncio
async def test_a_gzip_answer_of_two_members_is_read_whole() -> None:
    """A server (or a proxy streaming the feed as it compressed it) sent the feed as two gzip members one after the
    other, legal gzip (RFC 1952, what `cat a.gz b.gz` makes): only the first member was read and the entries in the
    second were lost without a word. Every member is read now, padding of zero bytes after the last ignored."""
    import gzip

    from tests.arxiv_server import RawServer

    feed = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
    half = len(feed) // 2
    members = gzip.compress(feed[:half]) + gzip.compress(feed[half:])
    async with RawServer() as raw, Fetcher(ARXIV, clock=FakeClock()) as fetcher:
        for path, body in (("/two", members), ("/padded", members + b"\0" * 16)):
            head = f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(body)}\r\n\r\n"
            url = raw.program(path, head.encode() + body)
            assert (await fetcher.fetch(url)).body == feed, path


@pytest.mark.asyncio
async def test_a_gzip_answer_unpacking_past_the_limit_names_the_limit_in_mib() -> None:
    """A small gzip that unpacks to 3 MiB against a 1 MiB limit is refused; the line named the limit as
    '1048576-byte limit', a number to count the digits of; it says '1 MiB' as every size the service names."""
    import gzip

    from tests.arxiv_server import RawServer

    squeezed = gzip.compress(b"<rss>" + b" " * (3 * 1024 * 1024) + b"</rss>")
    settings = ARXIV.model_copy(update={"max_response_bytes": 1024 * 1024})
    async with RawServer() as raw, Fetcher(settings, clock=FakeClock()) as fetcher:
        head = f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(squeezed)}\r\n\r\n"
        url = raw.program("/rss/cs.CL", head.encode() + squeezed)
        with pytest.raises(FetchError) as refused:
            await fetcher.fetch(url)
    assert str(refused.value) == f"{url}: the answer unpacks to over the 1 MiB limit; refused", str(refused.value)
