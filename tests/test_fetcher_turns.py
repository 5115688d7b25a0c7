"""The turn file a data folder's processes share to ask arXiv one at a time: polls in processes (and containers) of
their own keep the interval, and a host's Retry-After holds for the next pass and the other commands."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from digest.arxiv.fetcher import Fetcher, FetchError
from digest.arxiv.turn_file import TurnFile, left_alone_until
from digest.cli import main
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.fetching import ARXIV, CL
from tests.processes import Started

HEAT_BATH = "api/api_new_arxiv.py_id_1605.08386_s0_m100_199195aa31ad_http200.xml"  # one entry: 1605.08386

# A pid namespace of its own, as a container's. --kill-child: killing unshare (the test's clean-up of a failed test)
# kills the `digest` inside, which would otherwise go on as pid 1 of its namespace.
CONTAINER = ["unshare", "--pid", "--fork", "--kill-child"]


async def polls_side_by_side(
    started: Started, data_dir: Path, tmp_path: Path, interval: float, launcher: list[str]
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
            started.add(
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
            )
            for command in (["poll"], ["add", "1605.08386", "--section", "Probing"])
        ]
        outputs = [await poll.communicate() for poll in polls]
    assert [poll.returncode for poll in polls] == [0, 0], outputs
    return sorted(request.at for request in server.requests), sorted(released)


@pytest.mark.asyncio
async def test_two_processes_on_one_data_folder_take_turns_to_ask_arxiv(
    data_dir: Path, tmp_path: Path, started: Started
) -> None:
    """The service polling while cron (or a maintainer) runs `digest poll` on the same folder: arXiv still gets one
    request at a time, the interval apart, not one from each process at once."""
    interval = 1.0
    (first, second), _released = await polls_side_by_side(started, data_dir, tmp_path, interval, [])
    # The second process waited for the first one's request (held up to 4 s) to end, then the interval.
    assert second - first >= interval, (first, second)


@pytest.mark.asyncio
async def test_polls_in_containers_of_their_own_keep_the_interval_between_them(
    data_dir: Path, tmp_path: Path, started: Started
) -> None:
    """The service in one container and `digest poll` in another over the shared data volume: each is pid 1 of its
    own namespace, and the turn file, which told processes apart by pid, took the other's request for its own: the
    second asked arXiv the moment the first answer ended, not the interval after."""
    if os.geteuid() != 0 or subprocess.run([*CONTAINER, "true"], check=False).returncode != 0:
        pytest.skip("a pid namespace of its own needs root and unshare (util-linux 2.32 or later: --kill-child)")
    interval = 2.0
    (_first, second), (first_answered, *_) = await polls_side_by_side(started, data_dir, tmp_path, interval, CONTAINER)
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
async def test_the_wait_a_host_asked_for_is_read_whole_while_another_process_writes_the_turn_file(
    tmp_path: Path,
) -> None:
    """arXiv asked to be left alone (503, Retry-After: 7200). The service, its poll done, reads the turn file to know
    when to poll again while a `digest add` beside it ends its turn and writes the file back (emptied, then written):
    read without the lock, it now and then found the file empty and saw no wait, and no poll was planned after it.
    A writer taking turns in a thread of its own, the reader reading all along: the wait is there at every read."""
    clock = FakeClock()
    turn_file = tmp_path / "arxiv.turn"
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CL", Reply(status=503, retry_after="7200"))
        async with Fetcher(ARXIV, clock=clock, turn_file=turn_file) as fetcher:
            with pytest.raises(FetchError, match="retry after 7200 s"):
                await fetcher.fetch(url)
    asked_for = {"127.0.0.1": clock.now() + timedelta(seconds=7200)}
    done, turns = threading.Event(), []

    async def taking_turns() -> None:  # each turn read under the lock and written back, as every fetch does
        while not done.is_set():
            (await TurnFile.claim(turn_file, asyncio.sleep)).close(asked=True)
            turns.append(1)

    writer = threading.Thread(target=asyncio.run, args=(taking_turns(),))
    writer.start()
    read, deadline = [], time.monotonic() + 60
    try:
        while len(turns) < 100 and time.monotonic() < deadline:  # read all along a hundred writes
            read.append(await left_alone_until(turn_file, clock.now()))
    finally:
        done.set()
        writer.join()
    assert len(turns) >= 100, len(turns)
    assert [found for found in read if found != asked_for] == [], f"{len(read)} reads"
