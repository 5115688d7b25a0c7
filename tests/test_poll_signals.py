"""`digest poll` told to stop by SIGTERM (a cron job's time-out, a container stopped) or a closed terminal's SIGHUP, as
Ctrl-C stops it: the pass ends, the run is recorded as interrupted, one line says so."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from tests.arxiv_server import ArxivServer, Reply

ROOT = Path(__file__).resolve().parent.parent


async def _stopped_poll(
    tmp_path: Path, arxiv: ArxivServer, sources: list[str], settings: str, signum: int
) -> tuple[int, float, str]:
    """`digest poll` of `sources` with these [arxiv] settings, sent `signum` once it asked the first: its exit status,
    the seconds from the signal to its end, and what it wrote to standard error."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\n{settings}'
        'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n',
        encoding="utf-8",
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(tmp_path / "data"), "poll"]
    log = tmp_path / "poll.log"
    with log.open("wb") as output:
        poll = await asyncio.create_subprocess_exec(
            *command, "--source", *sources, cwd=tmp_path, env=environment, stderr=output
        )
    try:
        deadline = time.monotonic() + 120
        while not arxiv.requests_to("/rss/cs.LG"):
            assert poll.returncode is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the poll did not ask the source"
            await asyncio.sleep(0.1)
        poll.send_signal(signum)
        stopped = time.monotonic()
        status = await asyncio.wait_for(poll.wait(), 90)
        took = time.monotonic() - stopped
    finally:
        if poll.returncode is None:
            poll.kill()
            await poll.wait()
    return status, took, log.read_text(encoding="utf-8")


def _recorded_outcomes(tmp_path: Path) -> list[tuple[str]]:
    with sqlite3.connect(f"file:{tmp_path / 'data' / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        return connection.execute("SELECT outcome FROM poll_runs").fetchall()


@pytest.mark.asyncio
@pytest.mark.parametrize(("signum", "spacing"), [(signal.SIGTERM, 1), (signal.SIGHUP, 1), (signal.SIGTERM, 0)])
async def test_sigterm_during_digest_poll_ends_the_pass_as_ctrl_c_does(
    tmp_path: Path, signum: int, spacing: int
) -> None:
    """Only Ctrl-C was handled: SIGTERM or SIGHUP killed `digest poll` on the spot, its run left "running" (the
    next service start took it for a crash) and nothing said. Both now end it as Ctrl-C does (exit 130). With no
    spacing to wait out (a mirror's min_interval_seconds = 0) the next source was still asked after the stop."""
    async with ArxivServer() as arxiv:
        # arXiv is slow: the signal comes meanwhile; the second source is not asked after the stop.
        slow = arxiv.program("/rss/cs.LG", Reply(body=b"", delay_seconds=4))
        never = arxiv.program("/rss/cs.CV", Reply(body=b""))
        status, _, said = await _stopped_poll(
            tmp_path, arxiv, [slow, never], f"min_interval_seconds = {spacing}\n", signum
        )
    assert not arxiv.requests_to("/rss/cs.CV")
    assert status == 130, said
    assert "Traceback" not in said
    assert said.splitlines()[-1].startswith("digest: interrupted"), said
    assert _recorded_outcomes(tmp_path) == [("interrupted",)]


@pytest.mark.asyncio
async def test_a_stopped_digest_poll_gives_the_fetch_in_flight_the_services_grace(tmp_path: Path) -> None:
    """The service cancels a fetch still in flight 8 s after a stop; `digest poll` waited out the whole HTTP time-out
    (30 s) and, the source being its last, ended "failed" with exit 1. It now gives the fetch the service's grace and
    ends interrupted (exit 130); the source is read again next time."""
    async with ArxivServer() as arxiv:
        hung = arxiv.program("/rss/cs.LG", Reply(body=b"", delay_seconds=90))  # arXiv hangs past the time-out
        status, took, said = await _stopped_poll(
            tmp_path, arxiv, [hung], "min_interval_seconds = 0\ntimeout_seconds = 45\n", signal.SIGTERM
        )
    assert status == 130, said
    assert took < 25, f"the stop took {took:.0f} s: the fetch in flight was not given up after the grace"
    assert "Traceback" not in said
    assert said.splitlines()[-1].startswith("digest: interrupted"), said
    assert _recorded_outcomes(tmp_path) == [("interrupted",)]
