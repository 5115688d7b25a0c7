"""The back-off from a host that answered 429 or 5xx is the host's, not one process's: the other commands on the data
folder, and the next one after a restart, wait it out too (real processes against the local arXiv stand-in)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import signal
import sys
import time
from asyncio.subprocess import Process
from pathlib import Path

import pytest

from digest.arxiv.fetcher import Fetcher, FetchError
from digest.cli import main
from digest.config import ArxivSettings
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.processes import Started

CL = "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml"
HEAT_BATH = "api/api_new_arxiv.py_id_1605.08386_s0_m100_199195aa31ad_http200.xml"  # one entry: 1605.08386
BACK_OFF = 5.0  # the fetcher's first back-off after a refusal without Retry-After


async def digest(started: Started, data_dir: Path, config: Path, *arguments: str) -> Process:
    """`digest ARGUMENTS` started in a process of its own on `data_dir`, ended with the test if it is still running."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(data_dir), *arguments]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=config.parent, env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    return started.add(process)


def arxiv_config(tmp_path: Path, server: ArxivServer, feed: str, extra: str = "") -> Path:
    paper = (Path(__file__).parent / "data" / "arxiv" / HEAT_BATH).read_bytes()
    api = server.program("/api/query", Reply(body=paper))
    config = tmp_path / "config.toml"
    config.write_text(
        f'[arxiv]\nmin_interval_seconds = 1\nsources = ["{feed}"]\napi_url = "{api}"\n{extra}', encoding="utf-8"
    )
    return config


async def first_request(server: ArxivServer, within: float = 120.0) -> None:
    """Waits until arXiv got a request (a command under load may take many seconds to start)."""
    deadline = time.monotonic() + within
    while not server.requests:
        assert time.monotonic() < deadline, f"arXiv got no request within {within:.0f} s"
        await asyncio.sleep(0.05)


def holds_open(process: Process, path: Path) -> bool:
    """Whether `process` has `path` open (as `ls -l /proc/PID/fd` shows it)."""
    with contextlib.suppress(OSError):  # the process ended meanwhile
        for descriptor in Path(f"/proc/{process.pid}/fd").iterdir():
            with contextlib.suppress(OSError):  # a descriptor closed meanwhile
                if Path(os.readlink(descriptor)) == path.resolve():
                    return True
    return False


async def waiting_for_its_turn(process: Process, data_dir: Path, within: float = 120.0) -> None:
    """Waits until `process` has the data folder's turn file open: with another process's request in flight (which
    holds the file's lock) it then waits for that request to end, and reads what its answer left in the file. Started
    beside a request in flight, a command under load may take longer to start than any answer takes to come."""
    deadline = time.monotonic() + within
    while not holds_open(process, data_dir / "arxiv.turn"):
        assert process.returncode is None, "the command ended before it asked for its turn to ask arXiv"
        assert time.monotonic() < deadline, f"the command did not ask for its turn to ask arXiv within {within:.0f} s"
        await asyncio.sleep(0.02)


@pytest.mark.asyncio
async def test_a_command_beside_a_poll_waits_out_the_back_off_the_poll_began(
    data_dir: Path, tmp_path: Path, started: Started
) -> None:
    """`digest poll` answered 503 (no Retry-After) backs off 5 s before asking again; a `digest add` run beside it
    asked arXiv the spacing (1 s) after that 503, so arXiv saw no back-off from this machine at all. It now asks
    once the back-off is over, and the poll's retry the interval apart from it (either may go first: the add no longer
    holds the turn while it waits)."""
    assert main(["--data-dir", str(data_dir), "candidates"]) == 0  # the folder exists and is seeded
    body = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
    add_waiting = asyncio.Event()  # the 503 is answered once the add waits for its turn, however slow its start-up
    async with ArxivServer() as server:
        feed = server.program("/rss/one", Reply(status=503, before_answer=add_waiting.wait), Reply(body=body))
        config = arxiv_config(tmp_path, server, feed)
        poll = await digest(started, data_dir, config, "poll")
        await first_request(server)  # the poll's, in flight
        add = await digest(started, data_dir, config, "add", "1605.08386", "--section", "Probing")
        try:
            await waiting_for_its_turn(add, data_dir)
        finally:
            add_waiting.set()
        outputs = [await poll.communicate(), await add.communicate()]
    assert [poll.returncode, add.returncode] == [0, 0], outputs
    [refusal, retry], [added] = server.requests_to("/rss/one"), [r.at for r in server.requests_to("/api/query")]
    assert refusal.ended is not None and added - refusal.ended >= BACK_OFF, (refusal.ended, added)  # not 1 s after
    assert abs(retry.at - added) >= 1.0, (added, retry.at)  # and the poll's retry, the interval apart
    # The add (which logs nothing else) says why it waits, in one line: 10 minutes of silence would look like a hang.
    waiting = [line for line in outputs[1][1].decode().splitlines() if "back-off" in line]
    assert len(waiting) == 1, outputs[1][1].decode()
    assert re.search(r"waiting \d+ s first, the back-off after 127\.0\.0\.1 refused", waiting[0]), waiting


@pytest.mark.asyncio
async def test_the_back_off_a_refusal_began_outlasts_the_process_that_got_it(tmp_path: Path) -> None:
    """A poll (retries off) answered 503 and ended; the next command, started at once (after a restart too), asked
    arXiv again straight away: the back-off a refusal begins ended with the process that got it. The turn file keeps
    it; the next process (a clock of its own, the same wall time) waits out the 5 s, and the one after that does not."""
    turn_file = tmp_path / "arxiv.turn"
    settings = ArxivSettings(contact="maintainers@example.org", min_interval_seconds=3.0, max_retries=0)
    async with ArxivServer() as server:
        body = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
        feed = server.program("/rss/one", Reply(status=503), Reply(body=body))
        async with Fetcher(settings, clock=FakeClock(), turn_file=turn_file) as fetcher:
            with pytest.raises(FetchError, match="HTTP 503 after 1 attempt"):
                await fetcher.fetch(feed)
        clock = FakeClock()  # the next process: nothing of the first one's but the data folder
        async with Fetcher(settings, clock=clock, turn_file=turn_file) as fetcher:
            assert (await fetcher.fetch(feed)).status == 200
        assert clock.sleeps == [BACK_OFF]
        later = FakeClock(clock.now())
        async with Fetcher(settings, clock=later, turn_file=turn_file) as fetcher:
            assert (await fetcher.fetch(feed)).status == 200
        assert later.sleeps == []
    assert len(server.requests) == 3


def spaced(server: ArxivServer, interval: float) -> bool:
    """Whether every request `server` got arrived at least `interval` seconds after the one before it ended."""
    pairs = itertools.pairwise(server.requests)
    return all(earlier.ended is not None and later.at - earlier.ended >= interval for earlier, later in pairs)


@pytest.mark.asyncio
@pytest.mark.parametrize("lost", ["timed out", "dropped"])
async def test_a_command_beside_a_poll_waits_out_the_back_off_a_lost_request_began(
    data_dir: Path, tmp_path: Path, lost: str, started: Started
) -> None:
    """`digest poll` timed out (no answer within timeout_seconds) or had its connection dropped: it backs off 5 s, but a
    `digest add` run beside it asked the same server the interval after, as if nothing had happened; only a 429 or 5xx
    was backed off from across processes. It now waits the back-off out too, and says why in one line. The add is
    started while the poll's request is in flight, which is lost only once the add waits for its turn, however long
    its start-up takes: the hang-up waits for it, and the poll (timed out after 3 s) is frozen (SIGSTOP) meanwhile,
    so that its time-out, which comes while it is frozen, is seen only once it runs again."""
    assert main(["--data-dir", str(data_dir), "candidates"]) == 0  # the folder exists and is seeded
    timeout = 3.0
    loop = asyncio.get_running_loop()
    poll_started: asyncio.Future[Process] = loop.create_future()
    add_started: asyncio.Future[Process] = loop.create_future()
    resumed: list[float] = []  # when the frozen poll ran again

    async def beside() -> None:  # the poll's request, in flight: the add started, and waiting for its turn
        poll = await poll_started
        if lost == "timed out":
            poll.send_signal(signal.SIGSTOP)
        try:
            add_started.set_result(await digest(started, data_dir, config, "add", "1605.08386", "--section", "Probing"))
            await waiting_for_its_turn(add_started.result(), data_dir)
            await asyncio.sleep(max(0.0, server.requests[0].at + timeout - time.monotonic()))  # its time-out is due
        finally:
            if lost == "timed out":  # the time taken before the signal: the poll cannot run before it
                resumed.append(time.monotonic())
                poll.send_signal(signal.SIGCONT)
        if lost == "timed out":
            await asyncio.sleep(2.0)  # no answer before the poll's time-out

    async with ArxivServer() as server:
        feed = server.program("/rss/one", Reply(drop=lost == "dropped", before_answer=beside))
        # Dropped: lost by the hang-up, not by a time-out while the add starts (the default 30 s leaves it the time).
        timing = f"timeout_seconds = {timeout}\n" if lost == "timed out" else ""
        config = arxiv_config(tmp_path, server, feed, f"{timing}max_retries = 0\n")
        poll_started.set_result(await digest(started, data_dir, config, "poll"))
        poll, add = poll_started.result(), await asyncio.wait_for(add_started, 300)
        assert add.stderr is not None
        said = (await asyncio.wait_for(add.stderr.readline(), 120)).decode()
        outputs = [await poll.communicate(), await add.communicate()]
    assert add.returncode == 0, (said, outputs)
    # Every request that reached arXiv came the interval (1 s) after the one before ended: aiohttp no longer asks once
    # more at once over a new connection when one is dropped (as it did, the moment the first was dropped).
    assert spaced(server, 1.0), [(request.path, request.at, request.ended) for request in server.requests]
    [asked], [added] = server.requests_to("/rss/one"), [request.at for request in server.requests_to("/api/query")]
    # The poll's try was lost by then: the hang-up, or the time-out the poll saw once it ran again.
    lost_at = resumed[0] if lost == "timed out" else asked.ended
    assert lost_at is not None and added - lost_at >= BACK_OFF, (lost_at, added)  # not the interval after, as before
    assert re.search(rf"waiting \d s first, the back-off after a request to 127\.0\.0\.1:{server.port} was lost", said)


@pytest.mark.asyncio
async def test_a_command_waiting_out_a_back_off_does_not_hold_up_a_request_to_another_host(
    data_dir: Path, tmp_path: Path, started: Started
) -> None:
    """127.0.0.1 refused a request (503) and is backed off from for 12 s; a `digest poll` of a feed there waits that
    out, and held the data folder's turn all along, so a `digest add` asking another host (localhost) waited with it,
    asking only after the poll had. The add now asks at once (the interval kept), the poll once the back-off is over.
    (A `digest add` itself waits out no back-off this long: a person waits for it, and is told when to try again.)
    Both commands are started while the refused request is in flight, which is refused only once both wait for their
    turn, however long their start-up takes; the add is frozen (SIGSTOP) until the poll says it waits out the back-off,
    so that it asks for its turn while the poll waits, never before the poll has read the back-off."""
    assert main(["--data-dir", str(data_dir), "candidates"]) == 0  # the folder exists and is seeded
    settings = ArxivSettings(contact="maintainers@example.org", min_interval_seconds=3.0, max_retries=0)
    body = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
    both_waiting = asyncio.Event()  # the 503 is answered once the poll and the add wait for their turn
    async with ArxivServer() as server:
        refused = server.program("/rss/refused", Reply(status=503, before_answer=both_waiting.wait), Reply(body=body))
        config = arxiv_config(tmp_path, server, refused)
        api_elsewhere = config.read_text(encoding="utf-8").replace(
            'api_url = "http://127.0.0.1:', 'api_url = "http://localhost:'
        )
        config.write_text(api_elsewhere, encoding="utf-8")  # the add asks another host: localhost
        async with Fetcher(settings, turn_file=data_dir / "arxiv.turn", backoff_base_seconds=12.0) as fetcher:
            refusal = asyncio.ensure_future(fetcher.fetch(refused))
            try:
                await first_request(server)  # in flight: it holds the turn
                poll = await digest(started, data_dir, config, "poll")
                add = await digest(started, data_dir, config, "add", "1605.08386", "--section", "Probing")
                await waiting_for_its_turn(poll, data_dir)
                await waiting_for_its_turn(add, data_dir)
                add.send_signal(signal.SIGSTOP)  # it cannot have the turn: the refused request holds it
            finally:
                both_waiting.set()
            with pytest.raises(FetchError, match="HTTP 503"):
                await refusal
        try:
            assert poll.stderr is not None
            said = (await asyncio.wait_for(poll.stderr.readline(), 120)).decode()
            assert "waiting" in said and "the back-off after 127.0.0.1 refused" in said, said
        finally:
            add.send_signal(signal.SIGCONT)
        outputs = [await add.communicate(), await poll.communicate()]
    assert [add.returncode, poll.returncode] == [0, 0], outputs
    [refusal_request, polled], [added] = server.requests_to("/rss/refused"), server.requests_to("/api/query")
    assert refusal_request.ended is not None and polled.at - refusal_request.ended >= 12.0, (refusal_request, polled)
    assert added.at < polled.at - 1.0, (added.at, polled.at)  # not the interval after the poll's request, as it was
