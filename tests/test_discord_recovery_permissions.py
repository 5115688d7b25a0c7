"""The review bot's permissions in the review channel taken and given back (Read Message History, View Channel, Add
Reactions, Send Messages, Embed Links; through its role or a new one): said once and caught up on at once. The real
discord.py client against the fake Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import logging

import pytest

from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.db import Database
from tests.discord_bot import (
    discord_health,
    eventually,
    last_embed,
    posted_candidate,
    rounds,
    row,
    running,
)
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import (
    BOT_ID,
    CHANNEL_ID,
    EMBED_LINKS,
    EVERYONE_PERMISSIONS,
    MAINTAINER,
    OTHER_ROLE_ID,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeDiscord,
)


@pytest.mark.asyncio
async def test_a_bot_without_read_message_history_says_so_once_at_start(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot needs Read Message History in the review channel to catch up on reactions made while it was away and
    to find a message it sent before a crash. Without it, nothing at start named the permission: catching up failed
    message by message with Discord's "Missing Access". Now the start says in one line which permission to give,
    and /healthz shows it."""
    async with running(bot_settings, db) as bot:
        for index in range(3):
            await posted_candidate(fake, db, bot, index)
    fake.denied_to_bot = READ_MESSAGE_HISTORY
    with caplog.at_level("INFO", logger="digest.discord"):
        async with running(bot_settings, db, sync_interval=0.05) as bot:
            await rounds(bot, 5)
            healthz = discord_health().message
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name == "digest.discord"]
    assert len(warnings) == 1, warnings
    assert "Read Message History" in warnings[0] and str(CHANNEL_ID) in warnings[0], warnings
    assert "Read Message History" in healthz


@pytest.mark.asyncio
@pytest.mark.parametrize(("denied", "named"), [(SEND_MESSAGES, "Send Messages"), (EMBED_LINKS, "Embed Links")])
async def test_a_bot_that_may_not_post_its_messages_names_the_permission_at_start_and_posts_once_given_it(
    fake: FakeDiscord,
    db: Database,
    bot_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    denied: int,
    named: str,
) -> None:
    """Without Send Messages (or Embed Links: a candidate's message is an embed) in the review channel, /healthz said
    "connected" and all was well until a candidate came, hours later; its refusal then said Discord's "Missing
    Permissions" without naming which. Now the start names the permission, and the candidate refused meanwhile is
    posted once it is given."""
    fake.denied_to_bot = denied
    with caplog.at_level("INFO", logger="digest.discord"):
        async with running(bot_settings, db, sync_interval=0.05) as bot:
            at_start = discord_health()
            candidate_id = insert_candidate(db, real_papers()[0])
            assert (await bot.post_pending()).failed == 1
            await fake.deny_bot(0)
            await eventually(lambda: row(db, candidate_id).discord_state == "posted", "posted once given")
            await eventually(lambda: discord_health().ok, "cleared when given")
    assert not at_start.ok and named in at_start.message and str(CHANNEL_ID) in at_start.message
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name == "digest.discord"]
    assert named in warnings[0], warnings
    assert [m["embeds"][0]["title"] for m in fake.messages.values() if m.get("embeds")] == [real_papers()[0]["title"]]


@pytest.mark.asyncio
async def test_read_message_history_taken_and_given_back_while_the_bot_runs_is_seen_at_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A server admin who gives the bot Read Message History after the start said it lacks it saw /healthz go on
    saying so until the next restart; one who takes it away while the bot runs heard nothing. Now each change of the
    review channel's permissions is looked at when Discord announces it."""
    async with running(bot_settings, db):
        assert discord_health().ok
        await fake.deny_bot(READ_MESSAGE_HISTORY)
        await eventually(lambda: "Read Message History" in discord_health().message, "said when taken away")
        await fake.deny_bot(0)
        await eventually(lambda: discord_health().ok, "cleared when given back")


@pytest.mark.asyncio
async def test_read_message_history_taken_from_the_bots_role_and_given_back_is_seen_at_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Most admins give a bot its permissions through a role in the server settings, not the channel's overwrites:
    taking Read Message History from @everyone there left /healthz saying all was well (catching up then failed
    message by message), and giving it back after a start that named it left /healthz naming it until the next
    restart. A role's permissions changed is looked at as a channel's are."""
    async with running(bot_settings, db):
        assert discord_health().ok
        await fake.set_everyone_permissions(EVERYONE_PERMISSIONS & ~READ_MESSAGE_HISTORY)
        await eventually(lambda: "Read Message History" in discord_health().message, "said when taken away")
        await fake.set_everyone_permissions(EVERYONE_PERMISSIONS)
        await eventually(lambda: discord_health().ok, "cleared when given back")


@pytest.mark.asyncio
async def test_read_message_history_given_through_a_new_role_of_the_bot_is_seen_at_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The start said the bot lacks Read Message History; the admin gave the bot a role that has it (the way most
    servers hand out permissions), and /healthz went on naming the permission until the next restart."""
    fake.everyone_permissions = EVERYONE_PERMISSIONS & ~READ_MESSAGE_HISTORY
    fake.readers_permissions = READ_MESSAGE_HISTORY
    async with running(bot_settings, db):
        await eventually(lambda: "Read Message History" in discord_health().message, "said at start")
        await fake.give_bot_roles((OTHER_ROLE_ID,))
        await eventually(lambda: discord_health().ok, "cleared when given through a role")


@pytest.mark.asyncio
async def test_a_review_channel_the_bot_cannot_see_is_named_as_such_not_as_read_message_history(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The review channel was made private for the maintainers and the bot left out of it: /healthz said "the bot
    lacks Read Message History ... give it that permission there". Given it in the channel, the bot still saw
    nothing and /healthz said the same, since a channel one cannot see grants nothing of its history. Expected: the
    permission named is the one missing at the root, View Channel."""
    fake.denied_to_bot = VIEW_CHANNEL
    async with running(bot_settings, db):
        await eventually(lambda: "View Channel" in discord_health().message, "View Channel named")
        assert "Read Message History" not in discord_health().message, discord_health().message


@pytest.mark.asyncio
async def test_add_reactions_taken_from_the_bot_is_said_and_its_reactions_are_put_back_once_given_back(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Without Add Reactions the bot's messages went out with no ✅ and ❌ to click, /healthz said all was well, and
    once the permission was given back those messages stayed without them until the next restart."""
    add_reactions = 1 << 6
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        await fake.deny_bot(add_reactions)
        await eventually(lambda: "Add Reactions" in discord_health().message, "said when taken away")
        _candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        assert fake.reactors(mid, "✅") == [] and fake.reactors(mid, "❌") == []
        await fake.deny_bot(0)
        await eventually(lambda: fake.reactors(mid, "✅") == fake.reactors(mid, "❌") == [BOT_ID], "put back")
        await eventually(lambda: discord_health().ok, "cleared when given back")


@pytest.mark.asyncio
async def test_a_review_channel_hidden_from_the_bot_and_shown_again_is_caught_up_on_at_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """An admin took View Channel from the bot for a while: Discord sent it no reaction of the channel and refused its
    edits. Given the permission back, /healthz turned green, but ann's ❌ made meanwhile stayed unapplied and the
    message of a paper rejected on the command line meanwhile went on showing it pending, both until the next
    restart, weeks later perhaps."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        other, other_mid = await posted_candidate(fake, db, bot, 1)
        await fake.deny_bot(VIEW_CHANNEL)
        await eventually(lambda: "View Channel" in discord_health().message, "said when taken away")
        await fake.react(mid, MAINTAINER, "❌", online=False)  # no event: the bot cannot see the channel
        Reviewer(db, bot_settings).decide(other, "reject", Actor("cli-bob", None, "cli"))
        await eventually(lambda: len(fake.requests("PATCH", f"/messages/{other_mid}")) == 1, "the edit refused")
        await fake.deny_bot(0)
        await eventually(lambda: "Rejected by ann" in last_embed(fake, mid)["description"], "ann's reject applied")
        await eventually(lambda: "Rejected by cli-bob" in last_embed(fake, other_mid)["description"], "shown")
    assert row(db, candidate_id).status == "rejected" and row(db, candidate_id).decided_by == "ann"
