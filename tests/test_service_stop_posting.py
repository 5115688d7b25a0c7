"""`digest run` with Discord on, stopped (SIGTERM) while a scheduled poll finishes its answer in flight: the stopped
poll does not start posting (a slow Discord would outlast the stop's wind-down); what it found waits, and is posted at
the next start."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.arxiv_server import ArxivServer, Reply
from tests.conftest import make_settings
from tests.fake_discord import FakeDiscord
from tests.feedbuild import build_rss, load_records
from tests.service_runs import (
    assert_stopped_without_trace,
    ended,
    killed_if_running,
    pretend_the_machine_was_off,
    said_by,
    scheduled_poll_asked,
    spawned_service,
    stopped,
)

TOKEN = {"DISCORD_TOKEN": "fake-token"}


async def posted_within(fake: FakeDiscord, count: int, seconds: float = 60.0) -> int:
    """How many messages the fake Discord holds once it holds `count` (or `seconds` passed)."""
    deadline = time.monotonic() + seconds
    while len(fake.posted()) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return len(fake.posted())


def found(tmp_path: Path) -> int:
    """How many candidates the polls stored."""
    with sqlite3.connect(f"file:{tmp_path / 'data' / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        return int(connection.execute("SELECT count(*) FROM candidates").fetchone()[0])


@pytest.mark.asyncio
async def test_a_stopped_poll_leaves_its_posts_for_the_next_start(tmp_path: Path, fake: FakeDiscord) -> None:
    """The poll's answer came within the stop's grace, and the poll went on to post its papers to Discord; Discord
    slow to answer held the stop to its deadline, where the scheduler's shutdown cancelled the poll: an ERROR with a
    traceback after "stopped". A stopped poll now posts nothing; the next start posts its papers."""
    records = load_records()
    today = datetime.now(ZoneInfo("America/New_York")).date()
    first, later = build_rss("cs.CL", records[:1], today), build_rss("cs.CL", records, today)
    async with ArxivServer() as arxiv:
        # The first start's poll is answered at once; the second start's scheduled poll once the service has said its
        # model (loaded beside the fetch) is ready and has begun to stop: the answer arrives within the stop's grace.
        answer = asyncio.Event()
        slow_answer = Reply(body=later, before_answer=answer.wait)
        feed = arxiv.program("/rss/cs.CL", Reply(body=first), slow_answer, Reply(body=later))
        service, log = spawned_service(tmp_path, feed, web=fake.config_toml(), secrets=TOKEN)
        try:
            await said_by(service, log, "start-up: caught up")
            assert await posted_within(fake, 1) == 1, log.read_text(encoding="utf-8")
            assert await stopped(service) == 0, log.read_text(encoding="utf-8")
            config = (tmp_path / "config.toml").read_text(encoding="utf-8")
            pretend_the_machine_was_off(make_settings(tmp_path / "data", config), "poll")  # the scheduled poll is due
            slow = fake.hold_next("POST", "/messages")  # Discord slow to take a post (past the stop's grace)
            service, log = spawned_service(tmp_path, feed, web=fake.config_toml(), secrets=TOKEN)
            await scheduled_poll_asked(service, log, arxiv, "/rss/cs.CL")
            await said_by(service, log, "relevance model ready")
            started = time.monotonic()
            service.send_signal(signal.SIGTERM)
            await said_by(service, log, "digest.service: stopping\n")
            answer.set()
            status = await ended(service)
            took = time.monotonic() - started
            said = log.read_text(encoding="utf-8")
            slow.released.set()
            fake.holds.clear()
            assert len(fake.posted()) == 1, "the stopped poll posted"
            candidates = found(tmp_path)
            service, log = spawned_service(tmp_path, feed, web=fake.config_toml(), secrets=TOKEN)
            await said_by(service, log, "start-up: caught up")
            posted_after = await posted_within(fake, candidates)
            assert await stopped(service) == 0, log.read_text(encoding="utf-8")
        finally:
            killed_if_running(service)
    assert status == 0, said
    assert took < 9.0, f"the stop took {took:.1f} s"  # the stop's grace is 8 s; docker stop kills at 10 s
    assert_stopped_without_trace(said)
    assert candidates > 1, f"the stopped poll found no paper: {said}"
    assert posted_after == candidates, "the papers the stopped poll found were not posted at the next start"
