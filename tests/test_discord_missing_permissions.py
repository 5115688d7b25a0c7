"""A bot invited without a permission it needs in the review channel (Send Messages, Add Reactions, Read Message
History), as Discord refuses it then (403 "Missing Permissions" 50013, "Missing Access" 50001): said once, naming the
permission and the channel, shown on /healthz, nothing lost, and done once it is given, without a restart. The real
discord.py client against the fake Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import logging
from functools import partial

import pytest

from digest.config import Settings
from digest.storage.db import Database
from tests.discord_bot import discord_health, eventually, posted_candidate, rounds, row, running
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import (
    ADD_REACTIONS,
    BOT_ID,
    CHANNEL_ID,
    MAINTAINER,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    FakeDiscord,
)


def reacted_by_bot_alone(fake: FakeDiscord, message_id: int) -> bool:
    """Both review reactions are on the message, put there by the bot and nobody else."""
    return fake.reactors(message_id, "✅") == fake.reactors(message_id, "❌") == [BOT_ID]


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name == "digest.discord"]


@pytest.mark.asyncio
async def test_a_bot_invited_without_send_messages_says_so_once_keeps_the_candidates_and_posts_them_once_given_it(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Poll after poll, each refused post is a warning of its own."""
    fake.denied_to_bot = SEND_MESSAGES
    with caplog.at_level("INFO", logger="digest.discord"):
        async with running(bot_settings, db, sync_interval=0.05) as bot:
            first = insert_candidate(db, real_papers()[0])
            second = insert_candidate(db, real_papers()[1])
            for _poll in range(3):
                assert (await bot.post_pending()).posted == 0
            await rounds(bot, 3)
            waiting = [(row(db, cid).status, row(db, cid).discord_state) for cid in (first, second)]
            healthz = discord_health()
            said = warnings_of(caplog)
            await fake.deny_bot(0)
            await eventually(lambda: row(db, second).discord_state == "posted", "posted once given")
            await eventually(lambda: discord_health().ok, "cleared when given")
    assert waiting == [("pending", "unposted")] * 2
    assert len(said) == 1 and "Send Messages" in said[0] and str(CHANNEL_ID) in said[0], said
    assert not healthz.ok and "Send Messages" in healthz.message and str(CHANNEL_ID) in healthz.message
    assert "fake-token" not in " ".join([*said, healthz.message])
    assert row(db, first).discord_state == "posted"
    assert len(fake.posted()) == 2


@pytest.mark.asyncio
async def test_a_bot_invited_without_add_reactions_says_so_once_and_reacts_once_given_it(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Each message posted without Add Reactions logged a warning of its own."""
    fake.denied_to_bot = ADD_REACTIONS
    with caplog.at_level("INFO", logger="digest.discord"):
        async with running(bot_settings, db, sync_interval=0.05) as bot:
            mids = [(await posted_candidate(fake, db, bot, index))[1] for index in range(3)]
            await rounds(bot, 3)
            bare = [fake.reactors(mid, "✅") for mid in mids]
            healthz = discord_health()
            said = warnings_of(caplog)
            await fake.deny_bot(0)
            for mid in mids:
                await eventually(partial(reacted_by_bot_alone, fake, mid), "put")
            await eventually(lambda: discord_health().ok, "cleared when given")
    assert bare == [[], [], []]
    assert len(said) == 1 and "Add Reactions" in said[0] and str(CHANNEL_ID) in said[0], said
    assert not healthz.ok and "Add Reactions" in healthz.message


@pytest.mark.asyncio
async def test_a_bot_without_read_message_history_applies_the_reactions_made_while_away_once_given_it(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """ann's ✅ made while the bot was away, read back only once the bot may read the channel's messages."""
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
    await fake.react(mid, MAINTAINER, "✅", online=False)
    fake.denied_to_bot = READ_MESSAGE_HISTORY
    with caplog.at_level("INFO", logger="digest.discord"):
        async with running(bot_settings, db, sync_interval=0.05) as bot:
            await rounds(bot, 5)
            still = row(db, candidate_id).status
            healthz = discord_health()
            said = warnings_of(caplog)
            await fake.deny_bot(0)
            await eventually(lambda: row(db, candidate_id).status == "approved", "approved once given")
            await eventually(lambda: discord_health().ok, "cleared when given")
    assert still == "pending"
    assert len(said) == 1 and "Read Message History" in said[0] and str(CHANNEL_ID) in said[0], said
    assert not healthz.ok and "Read Message History" in healthz.message
