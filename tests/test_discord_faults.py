"""The review bot under faults: no guild_id in the config, member lookups that fail, candidates found by another
process, Discord unreachable at start, the database failing under the background loop. The real discord.py client
against the fake Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from digest import health
from digest.clock import utc_now
from digest.config import Settings
from digest.discord.bot import ReviewBot
from digest.discord.connection import Backoff
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Candidate
from digest.storage.state import PollRun
from tests.conftest import make_settings
from tests.discord_bot import eventually, last_embed, message_id, posted_candidate, rounds, row, running
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import LISTED_MAINTAINER, MAINTAINER, FakeDiscord, reserve_port


def open_db(settings: Settings) -> Database:
    return open_service_database(settings)


@pytest.fixture
def db(bot_settings: Settings) -> Any:
    database = open_db(bot_settings)
    yield database
    database.dispose()


@pytest.fixture
def bot_settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    return make_settings(tmp_path / "data", fake.config_toml(post_cap=3), {"DISCORD_TOKEN": "fake-token"})


def attempts_failed(message: str) -> int:
    found = re.search(r"(\d+) attempts? failed", message)
    return int(found[1]) if found else 0


def discord_health() -> health.Component:
    return next(component for component in health.components() if component.name == "discord")


def messages_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "digest.discord"]


# -- the guild -----------------------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_without_guild_id_a_reaction_made_while_the_bot_was_away_is_applied(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    settings = make_settings(tmp_path / "data", fake.config_toml(guild=False), {"DISCORD_TOKEN": "fake-token"})
    assert settings.discord.guild_id is None
    database = open_db(settings)
    try:
        async with running(settings, database) as bot:
            candidate_id, mid = await posted_candidate(fake, database, bot, 0)
        await fake.react(mid, MAINTAINER, "✅", online=False)  # a maintainer by role: needs the member's roles
        async with running(settings, database):  # start() returns once the bot has caught up
            assert row(database, candidate_id).status == "approved"
        assert "Approved by ann" in last_embed(fake, mid)["description"]
    finally:
        database.dispose()


@pytest.mark.asyncio
async def test_a_maintainers_reaction_that_cannot_be_checked_is_never_skipped_silently(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(bot_settings, db) as bot:
        by_role, by_role_mid = await posted_candidate(fake, db, bot, 0)
        listed, listed_mid = await posted_candidate(fake, db, bot, 1)
    await fake.react(by_role_mid, MAINTAINER, "✅", online=False)
    await fake.react(listed_mid, LISTED_MAINTAINER, "❌", online=False)
    fake.member_lookup_status = 503  # Discord cannot say who holds which role
    with caplog.at_level(logging.INFO, logger="digest.discord"):
        async with running(bot_settings, db):
            pass
    assert row(db, by_role).status == "pending"
    assert row(db, listed).status == "rejected"  # a listed user id needs no lookup
    skipped = [line for line in messages_logged(caplog) if f"reacted on candidate {by_role}" in line]
    assert len(skipped) == 1 and str(MAINTAINER.id) in skipped[0] and "not applied" in skipped[0]


# -- posting what other processes found ------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_candidates_another_process_found_are_posted_but_never_the_second_tier(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        # `digest poll` or `digest backfill` beside the service: only the database changes.
        second_tier = insert_candidate(db, real_papers()[0], score=0.95, relevant=False)
        first_tier = insert_candidate(db, real_papers()[1], score=0.5)
        await eventually(lambda: len(fake.posted()) == 1, "the first-tier candidate posted")
        await rounds(bot, 3)
    assert row(db, first_tier).discord_state == "posted"
    assert row(db, second_tier).discord_state == "unposted" and len(fake.posted()) == 1
    assert fake.posted()[0]["embeds"][0]["footer"]["text"].startswith(f"Candidate {first_tier} ·")


@pytest.mark.asyncio
async def test_a_running_poll_is_waited_for_and_gets_one_run_under_the_cap(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    with db.transaction() as session:
        run = PollRun(started_at=utc_now(), outcome="running", summary={})
        session.add(run)
        session.flush()
        run_id = run.id
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        ids = [insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:5])]
        await rounds(bot, 3)
        assert fake.posted() == []  # the poll is still storing what it finds
        with db.transaction() as session:
            finished = session.get(PollRun, run_id)
            assert finished is not None
            finished.outcome, finished.finished_at = "ok", utc_now()
        await eventually(lambda: len(fake.posted()) == 4, "three candidates and the waiting notice")
        await rounds(bot, 3)
    footers = [body["embeds"][0]["footer"]["text"].split(" ·")[0] for body in fake.posted() if body.get("embeds")]
    assert footers == [f"Candidate {i}" for i in ids[:3]]
    assert fake.posted()[-1]["content"].startswith("2 more candidates wait on the review page")
    with db.reading() as session:
        unposted = session.scalars(select(Candidate.id).where(Candidate.discord_state == "unposted")).all()
    assert sorted(unposted) == ids[3:]


@pytest.mark.asyncio
async def test_candidates_a_killed_digest_poll_stored_are_posted_without_waiting_hours(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """`digest poll` killed mid-pass beside the service (kill -9, the out-of-memory killer, a cron time-out's KILL)
    left its run "running": the bot took it for a poll still storing and held back what it had stored, two hours
    before such a row counts as dead. Its process is gone: what it stored is posted."""
    import os

    from tests.poll_faults import dead_pid

    with db.transaction() as session:
        process = {"host": os.uname().nodename, "pid": dead_pid()}
        session.add(PollRun(started_at=utc_now(), outcome="running", summary={"process": process}))
    async with running(bot_settings, db, sync_interval=0.05):
        first = insert_candidate(db, real_papers()[0], score=0.9)
        await eventually(lambda: len(fake.posted()) == 1, "the killed poll's candidate posted")
    assert row(db, first).discord_state == "posted"


# -- Discord unreachable, the database failing ------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_discord_unreachable_at_start_is_retried_reported_and_connected_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeDiscord(port=reserve_port())  # nothing listens there yet
    settings = make_settings(tmp_path / "data", fake.config_toml(), {"DISCORD_TOKEN": "fake-token"})
    database = open_db(settings)
    reviewer = Reviewer(database, settings)
    bot = ReviewBot(settings, database, reviewer, guild_ready_timeout=0.01, backoff=Backoff(0.05, 0.2))
    health.forget()
    try:
        with caplog.at_level(logging.INFO, logger="digest.discord"):
            await bot.start()
            assert not bot.ready
            state = discord_health()
            assert not state.ok and "unreachable" in state.message and "trying again in" in state.message
            # Out of reach for a while (a weekend's outage, in tenths of a second): the log said every attempt, one
            # line every 5 minutes once the back-off was at its longest; it says the first, /healthz counts them.
            await eventually(lambda: attempts_failed(discord_health().message) >= 5, "five attempts failed")
            said = messages_logged(caplog)
            [unreachable] = [line for line in said if "cannot reach Discord" in line]
            assert "trying again in 0.05 s" in unreachable
            assert not any(line.startswith("discord: on") for line in said)
            await fake.start()
            await eventually(lambda: bot.ready and discord_health().ok, "connected after Discord came back")
            assert "connected as" in discord_health().message
            [on] = [line for line in messages_logged(caplog) if line.startswith("discord: on")]
            assert re.search(r"\(after \d+ s down \(since \d\d:\d\d UTC, \d+ attempts failed\)\)$", on), on
            insert_candidate(database, real_papers()[0])
            assert (await bot.post_pending()).posted == 1
    finally:
        await bot.close()
        await fake.close()
        database.dispose()
        health.forget()


@pytest.mark.asyncio
async def test_the_loop_that_mirrors_decisions_made_elsewhere_outlives_a_database_error(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    def rename(old: str, new: str) -> None:
        with db.transaction() as session:
            session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))

    with caplog.at_level(logging.WARNING, logger="digest.discord"):
        async with running(bot_settings, db, sync_interval=0.05) as bot:
            candidate_id, mid = await posted_candidate(fake, db, bot, 0)
            await asyncio.to_thread(rename, "candidates", "candidates_away")
            await eventually(
                lambda: any("syncing with the database failed" in line for line in messages_logged(caplog)),
                "the failure logged",
            )
            await asyncio.to_thread(rename, "candidates_away", "candidates")
            # The CLI, another process: only the database changes; the loop must still be there to notice.
            Reviewer(db, bot_settings).decide(candidate_id, "reject", Actor("cli-bob", None, "cli"))
            await eventually(
                lambda: "Rejected by cli-bob" in last_embed(fake, mid)["description"], "CLI decision shown"
            )
    assert message_id(db, candidate_id) == mid
