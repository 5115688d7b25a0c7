"""Discord's 429 (rate limited, retry_after) on the bot's post and on its reactions: it waits as told, the message is
posted once, and the candidate is marked posted only once Discord has the message."""

from __future__ import annotations

import asyncio
import logging

import pytest

from digest.config import Settings
from digest.storage.db import Database
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import BOT_ID, MAINTAINER, FakeDiscord
from tests.test_discord_bot import eventually, posted_candidate, row, running

RETRY_AFTER = 0.4


@pytest.mark.asyncio
async def test_a_429_on_the_post_is_waited_out_and_the_message_is_posted_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    candidate_id = insert_candidate(db, real_papers()[0])
    async with running(bot_settings, db) as bot:
        hold = fake.hold_next("POST", "/messages")
        posting = asyncio.ensure_future(bot.post_pending())
        await hold.arrived.wait()
        fake.fail_next(1, 429, retry_after=RETRY_AFTER)
        hold.released.set()
        await eventually(lambda: not fake.faults, "the 429 answered")
        assert row(db, candidate_id).discord_state == "sending"  # Discord has no message yet
        report = await posting
    assert (report.posted, report.failed) == (1, 0)
    tries = fake.requests("POST", "/messages")
    assert len(tries) == 2 and tries[1].at - tries[0].at >= RETRY_AFTER * 0.9
    assert len(fake.posted()) == 1
    stored = row(db, candidate_id)
    assert stored.discord_state == "posted" and stored.discord_message_id == str(max(fake.messages))


@pytest.mark.asyncio
async def test_a_429_on_a_reaction_is_waited_out_and_the_reaction_added_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    candidate_id = insert_candidate(db, real_papers()[0])
    async with running(bot_settings, db) as bot:
        hold = fake.hold_next("PUT", "/reactions/")
        posting = asyncio.ensure_future(bot.post_pending())
        await hold.arrived.wait()
        fake.fail_next(1, 429, retry_after=RETRY_AFTER)
        hold.released.set()
        report = await posting
    assert (report.posted, report.failed) == (1, 0)
    assert len(fake.posted()) == 1
    mid = max(fake.messages)
    assert fake.reactors(mid, "✅") == [BOT_ID] and fake.reactors(mid, "❌") == [BOT_ID]
    first = fake.requests("PUT", "/reactions/")
    assert len(first) == 3 and first[1].path == first[0].path and first[1].at - first[0].at >= RETRY_AFTER * 0.9
    assert row(db, candidate_id).discord_state == "posted"


@pytest.mark.asyncio
async def test_a_429_of_minutes_on_an_edit_fails_it_in_one_line_and_keeps_the_decision(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Discord answering a ✅'s message edit with a 429 of ten minutes held the bot's reaction handling that long (the
    client waits out any retry_after: no max_ratelimit_timeout), the message showing 'pending' and saying nothing.
    The wait is bounded: past it the edit fails at once, in one line naming the wait, the approval recorded and the
    edit left to the bot's retries."""
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        fake.fail_next(1, 429, retry_after=600)
        with caplog.at_level(logging.INFO, logger="digest.discord"):
            await fake.react(mid, MAINTAINER, "✅")
            await eventually(lambda: bool(ours(caplog)), "the long 429 said by the bot")
        assert row(db, candidate_id).status == "approved"
    said = ours(caplog)
    assert len(said) == 1 and "\n" not in said[0] and "rate" in said[0], said
    assert "Traceback" not in caplog.text


def ours(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The bot's own lines naming the wait (discord.py's logger says its own)."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("digest.") and "600" in r.getMessage()]
