"""`digest poll` stopped by SIGTERM (a cron job's time-out, `systemctl stop`) in each state a pass can be in: it ends
within the service's bound (the stop's grace and the wind-down after it), says so in one line, records the run as
interrupted, and the next poll reads what it did not (real processes against the local arXiv stand-in)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from digest.arxiv.turns import STOP_GRACE_SECONDS, WIND_DOWN_SECONDS
from tests.arxiv_server import ArxivServer, Reply

ROOT = Path(__file__).resolve().parent.parent
CL = "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml"
BOUND = STOP_GRACE_SECONDS + WIND_DOWN_SECONDS  # what the README promises of a stopped service


def _config(tmp_path: Path, settings: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\napi_url = "http://127.0.0.1:9/api/query"\n{settings}',
        encoding="utf-8",
    )
    return config


async def _poll(tmp_path: Path, config: Path, sources: list[str], log: Path) -> asyncio.subprocess.Process:
    # PYTHONASYNCIODEBUG unset, as users run it: what asyncio says at exit of a task left behind is what they see.
    prefixes = ("DIGEST_", "DISCORD_", "SMTP_", "PYTHONASYNCIODEBUG")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    environment["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(tmp_path / "data"), "poll"]
    with log.open("wb") as output:
        return await asyncio.create_subprocess_exec(
            *command, "--source", *sources, cwd=tmp_path, env=environment, stdout=output, stderr=output
        )


async def _stopped(poll: asyncio.subprocess.Process, log: Path, ready: object, settle: float) -> tuple[int, float]:
    """SIGTERM to `poll` `settle` seconds after `ready()` holds; its exit status and the seconds it took to end."""
    try:
        deadline = time.monotonic() + 120
        while not ready():  # type: ignore[operator]
            assert poll.returncode is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the poll did not reach the state to stop it in"
            await asyncio.sleep(0.05)
        await asyncio.sleep(settle)
        assert poll.returncode is None, log.read_text(encoding="utf-8")
        poll.send_signal(signal.SIGTERM)
        started = time.monotonic()
        status = await asyncio.wait_for(poll.wait(), 90)
        return status, time.monotonic() - started
    finally:
        if poll.returncode is None:
            poll.kill()
            await poll.wait()


def _outcomes(tmp_path: Path) -> list[str]:
    with sqlite3.connect(f"file:{tmp_path / 'data' / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        return [row[0] for row in connection.execute("SELECT outcome FROM poll_runs ORDER BY id")]


def _assert_quiet(said: str) -> None:
    """No traceback, and nothing asyncio says at exit of a task nobody awaited (the model loading beside the fetch)."""
    for noise in ("Traceback", "never retrieved", "destroyed but it is pending", "was never awaited"):
        assert noise not in said, said


def _assert_interrupted(status: int, took: float, bound: float, said: str) -> None:
    assert status == 130, said
    assert took < bound, f"the stop took {took:.1f} s, over the {bound:.0f} s"
    _assert_quiet(said)
    assert said.splitlines()[-1].startswith("digest: interrupted"), said


async def _next_poll(tmp_path: Path, config: Path, sources: list[str]) -> str:
    """The next `digest poll`, arXiv answering: it ends ok and reads the sources the stopped one did not."""
    log = tmp_path / "next.log"
    poll = await _poll(tmp_path, config, sources, log)
    status = await asyncio.wait_for(poll.wait(), 180)
    said = log.read_text(encoding="utf-8")
    assert status == 0, said
    _assert_quiet(said)
    return said


AT_ONCE = 3.0  # nothing in flight to give the grace to: the process's own end (as tests/test_service_stop_build.py)
# Each state: the [arxiv] settings, the first source's first answers, and the bound on the stop. The model is built (a
# new data folder's first) from the pass's start, so a stop in the first seconds catches its build too.
STATES = {
    # the back-off after a 503 (5 s, then 10 s), which the next poll waits out too
    "back-off": ("max_retries = 2\nmin_interval_seconds = 0\n", [Reply(status=503)], AT_ONCE),
    # waiting its turn to ask the second source (the spacing after the first's answer), that answer waiting for the
    # model being built
    "turn and model build": ("max_retries = 0\nmin_interval_seconds = 60\n", [], AT_ONCE),
    # a request arXiv takes longer to answer than the whole grace
    "slow request": (
        "max_retries = 0\nmin_interval_seconds = 0\ntimeout_seconds = 45\n",
        [Reply(delay_seconds=60)],
        BOUND,
    ),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("state", list(STATES))
async def test_sigterm_ends_digest_poll_within_the_services_bound(tmp_path: Path, state: str) -> None:
    """A `digest poll` stopped in a back-off wait or a slow request was seen to need SIGKILL; the README bounds a
    service's stop at the grace and the wind-down (9 s), and cron or systemd expect the same of the command. Stopped
    in each state it now ends within that bound, interrupted, and the next poll reads every source."""
    settings, first_replies, bound = STATES[state]
    body = (Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()
    async with ArxivServer() as arxiv:
        first = arxiv.program("/rss/cs.LG", *first_replies, Reply(body=body), Reply(body=body))
        second = arxiv.program("/rss/cs.CV", Reply(body=body), Reply(body=body))
        config = _config(tmp_path, settings)
        log = tmp_path / "poll.log"
        poll = await _poll(tmp_path, config, [first, second], log)
        status, took = await _stopped(poll, log, lambda: arxiv.requests_to("/rss/cs.LG"), 1.0)
        said = log.read_text(encoding="utf-8")
        asked_second = len(arxiv.requests_to("/rss/cs.CV"))
        _assert_interrupted(status, took, bound, said)
        config.write_text(config.read_text(encoding="utf-8").replace("= 60\n", "= 0\n"), encoding="utf-8")
        await _next_poll(tmp_path, config, [first, second])
    assert asked_second == 0, "a source was asked after the stop"
    assert len(arxiv.requests_to("/rss/cs.CV")) == 1, "the next poll did not read the source the stopped one left"
    assert _outcomes(tmp_path) == ["interrupted", "ok"]


@pytest.mark.asyncio
async def test_a_poll_stopped_after_its_rules_failed_says_so_in_one_line(tmp_path: Path) -> None:
    """The model is loaded beside the first feed's download; a stop during that download ended the pass as
    "interrupted: nothing was stored" and the loading's failure (rules.toml broken) was dropped unread, so a cron job
    stopped each day by its time-out never said why no poll could have stored anything. The failure is said now, in
    the one line a poll that is not stopped says it, and nothing of the loading left behind is said at exit."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(ROOT / "feeds" / "sources.toml", feeds / "sources.toml")
    (feeds / "rules.toml").write_text('[modality]\nstrong = "not a list"\n', encoding="utf-8")
    async with ArxivServer() as arxiv:
        first = arxiv.program("/rss/cs.LG", Reply(delay_seconds=60))
        second = arxiv.program("/rss/cs.CV", Reply(body=(Path(__file__).parent / "data" / "arxiv" / CL).read_bytes()))
        config = _config(tmp_path, "max_retries = 0\nmin_interval_seconds = 0\ntimeout_seconds = 45\n")
        config.write_text(f'feeds_dir = "{feeds}"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
        log = tmp_path / "poll.log"
        poll = await _poll(tmp_path, config, [first, second], log)
        # 5 s into the first download: the rules (read after NumPy's import in the loading thread) have failed by then
        status, took = await _stopped(poll, log, lambda: arxiv.requests_to("/rss/cs.LG"), 5.0)
        said = log.read_text(encoding="utf-8")
    assert status == 1, said
    assert took < BOUND, f"the stop took {took:.1f} s, over the {BOUND:.0f} s"
    _assert_quiet(said)
    lines = said.splitlines()
    assert lines[-1].startswith("poll failed: the relevance rules cannot be used: ") and "rules.toml" in lines[-1], said
    assert sum("rules cannot be used" in line for line in lines) == 2, said  # the log's ERROR line and the outcome
    assert "interrupted" not in said, said
    assert arxiv.requests_to("/rss/cs.CV") == [], "a source was asked after the stop"
    assert _outcomes(tmp_path) == ["failed"]
