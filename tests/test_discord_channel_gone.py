"""The review channel deleted by a server admin, its messages with it: a decided candidate is never posted again,
pending ones wait on the review page for a channel, and the log says what became of them. The real discord.py client
against the fake Discord on 127.0.0.1 (404 Unknown Channel, code 10003, as Discord answers) and a real SQLite file."""

from __future__ import annotations

import logging

import pytest

from digest.config import Settings
from digest.review.rules import Actor
from digest.storage.db import Database
from tests.discord_bot import discord_health, eventually, last_embed, posted_candidate, row, running
from tests.fake_discord import CHANNEL_ID, FakeDiscord

WEB_ANN = Actor("web-ann", None, "web")
FORGOTTEN = f"channel {CHANNEL_ID} was deleted with the messages of 1 pending candidates"


@pytest.mark.asyncio
async def test_the_review_channel_deleted_while_connected_leaves_decided_candidates_unposted_and_pending_ones_waiting(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Deleting the channel took every message with it, yet each candidate stayed "posted" in a channel no one reads."""
    with caplog.at_level(logging.INFO, logger="digest.discord"):
        async with running(bot_settings, db) as bot:
            waiting, _ = await posted_candidate(fake, db, bot, 0)
            decided, decided_mid = await posted_candidate(fake, db, bot, 1)
            await bot.reviewer.decide_async(decided, "reject", WEB_ANN)
            assert "Rejected by web-ann" in last_embed(fake, decided_mid)["description"]
            await fake.delete_channel()
            await eventually(lambda: row(db, waiting).discord_state != "posted", "the pending one no longer posted")
            report = await bot.post_pending()
            state = discord_health()
    assert (row(db, waiting).status, row(db, waiting).discord_state) == ("pending", "repost")
    assert (row(db, decided).status, row(db, decided).discord_state) == ("rejected", "gone")
    assert row(db, decided).discord_message_id is None and (report.posted, report.failed) == (0, 1)
    assert f"review channel {CHANNEL_ID}" in state.message and "deleted? set channel_id" in state.message
    assert len([r for r in caplog.records if FORGOTTEN in r.getMessage() and "1 decided" in r.getMessage()]) == 1


@pytest.mark.asyncio
async def test_a_decision_after_the_review_channel_went_unheard_does_not_mark_the_decided_candidate_for_posting(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The channel gone without the bot hearing it (the gateway event missed): the edit's 404 "Unknown Channel" was
    taken for the one message deleted, the decided candidate marked to be posted again, the other left "posted"."""
    with caplog.at_level(logging.INFO, logger="digest.discord"):
        async with running(bot_settings, db) as bot:
            waiting, _ = await posted_candidate(fake, db, bot, 0)
            decided, _ = await posted_candidate(fake, db, bot, 1)
            fake.deleted.add(CHANNEL_ID)  # as delete_channel, but no CHANNEL_DELETE reaches the bot
            fake.messages.clear()
            await bot.reviewer.decide_async(decided, "approve", WEB_ANN, "Steering")
            await eventually(lambda: row(db, decided).discord_state != "posted", "the decided one no longer posted")
    assert (row(db, decided).status, row(db, decided).discord_state) == ("approved", "gone")
    assert (row(db, waiting).status, row(db, waiting).discord_state) == ("pending", "repost")
    assert len([r for r in caplog.records if FORGOTTEN in r.getMessage()]) == 1


@pytest.mark.asyncio
async def test_the_review_channel_deleted_while_the_bot_was_away_is_found_out_on_catching_up(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Catching up at the next start read each message's 404 "Unknown Channel" as that message deleted."""
    async with running(bot_settings, db) as bot:
        waiting, _ = await posted_candidate(fake, db, bot, 0)
        decided, _ = await posted_candidate(fake, db, bot, 1)
        await bot.reviewer.decide_async(decided, "reject", WEB_ANN)
    await fake.delete_channel()
    async with running(bot_settings, db) as bot:
        assert (await bot.post_pending()).posted == 0
    assert (row(db, decided).status, row(db, decided).discord_state) == ("rejected", "gone")
    assert (row(db, waiting).status, row(db, waiting).discord_state) == ("pending", "repost")


@pytest.mark.asyncio
async def test_catching_up_on_a_review_channel_deleted_while_away_asks_discord_once_not_once_per_message(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The channel deleted while the bot was away: catching up at the next start learnt from its first answer (404
    "Unknown Channel") that the channel and all its messages were gone, then asked Discord for each message after it
    anyway, one refused request per message posted in the last fortnight, every one of them another "Unknown
    Channel" (and counted toward Discord's limit on invalid requests)."""
    async with running(bot_settings, db) as bot:
        posted = [(await posted_candidate(fake, db, bot, index))[0] for index in range(4)]
    await fake.delete_channel()
    before = len(fake.received)
    async with running(bot_settings, db):
        pass
    reads = [r.path for r in fake.received[before:] if r.method == "GET" and f"/channels/{CHANNEL_ID}/" in r.path]
    assert len(reads) == 1, reads
    assert {(row(db, cid).status, row(db, cid).discord_state) for cid in posted} == {("pending", "repost")}
