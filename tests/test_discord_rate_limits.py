"""Discord's 429 (rate limited, retry_after) on the bot's post and on its reactions: it waits as told, the message is
posted once, and the candidate is marked posted only once Discord has the message."""

from __future__ import annotations

import asyncio

import pytest

from digest.config import Settings
from digest.storage.db import Database
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import BOT_ID, FakeDiscord
from tests.test_discord_bot import eventually, row, running

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
