"""What moderators do to the review channel and the bot answers: a candidate's embed removed from its message, the
channel cleared in one bulk delete. The real discord.py client against the fake Discord on 127.0.0.1 and a real
SQLite file."""

from __future__ import annotations

import asyncio
import logging

import pytest

from digest.config import Settings
from digest.storage.db import Database
from tests.discord_bot import discord_health, eventually, message_id, posted_candidate, rounds, row, running
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import MAINTAINER, FakeDiscord


def footer_shown(fake: FakeDiscord, mid: int) -> str:
    """The footer of the message's embed as members see it; "" when it shows none."""
    embeds = fake.shown(mid)["embeds"]
    return str(embeds[0]["footer"]["text"]) if embeds else ""


@pytest.mark.asyncio
async def test_an_embed_a_moderator_removes_is_put_back_at_once_and_the_candidate_not_posted_twice(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A moderator removing the embed left the candidate's message blank for good: nothing to read or react to."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        await fake.remove_embeds(mid)
        await eventually(lambda: footer_shown(fake, mid).startswith(f"Candidate {candidate_id} ·"), "embed put back")
        await rounds(bot, 3)
        await fake.react(mid, MAINTAINER, "❌")
        await eventually(lambda: "Rejected by ann" in fake.shown(mid)["embeds"][0]["description"], "still decides")
    assert len(fake.messages) == 1 and len(fake.posted()) == 1
    assert row(db, candidate_id).status == "rejected"


@pytest.mark.asyncio
async def test_an_embed_removed_while_the_bot_was_away_is_put_back_when_it_starts(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        approved, approved_mid = await posted_candidate(fake, db, bot, 1)
        await fake.react(approved_mid, MAINTAINER, "✅")
        await eventually(lambda: "Approved by ann" in fake.shown(approved_mid)["embeds"][0]["description"], "shown")
    await fake.remove_embeds(mid)
    await fake.remove_embeds(approved_mid)
    async with running(bot_settings, db):  # start() returns once caught up
        assert footer_shown(fake, mid).startswith(f"Candidate {candidate_id} ·")
        assert "Approved by ann" in fake.shown(approved_mid)["embeds"][0]["description"]
    assert len(fake.messages) == 2 and len(fake.posted()) == 2
    assert row(db, approved).status == "approved"


@pytest.mark.asyncio
async def test_the_bot_removed_from_the_server_and_invited_back_is_well_again_and_catches_up_at_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """An admin who removed the bot by mistake and invited it back: /healthz kept saying the server is not one the bot
    is in, and a maintainer's reaction made meanwhile (the bot hears of none while out) waited for the next restart."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        await fake.remove_bot()
        await eventually(lambda: not discord_health().ok, "/healthz says the bot is out of the server")
        await fake.react(mid, MAINTAINER, "❌", online=False)
        await fake.invite_bot()
        await eventually(lambda: discord_health().ok, "/healthz well again")
        await eventually(lambda: "Rejected by ann" in fake.shown(mid)["embeds"][0]["description"], "caught up")
    assert row(db, candidate_id).status == "rejected"


@pytest.mark.asyncio
async def test_an_embed_put_back_keeps_the_note_the_message_showed(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The embed the bot put back after a moderator removed it lost the "Couldn't approve ..." line: the maintainer
    whose ✅ did nothing was no longer told why, nor what to do instead."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section=None)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: "Couldn't approve" in fake.shown(mid)["embeds"][0]["description"], "refusal shown")
        await fake.remove_embeds(mid)
        await eventually(lambda: footer_shown(fake, mid).startswith(f"Candidate {candidate_id} ·"), "embed put back")
        await rounds(bot, 3)
        first_line = fake.shown(mid)["embeds"][0]["description"].splitlines()[0]
    assert first_line.startswith("⚠️ Couldn't approve") and first_line.endswith("react with a section emoji")
    assert row(db, candidate_id).status == "pending"


@pytest.mark.asyncio
async def test_an_embed_removed_while_discord_takes_the_note_is_put_back_with_the_note(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A moderator removing the embed while Discord was slow to take the bot's edit showing "Couldn't approve ..." got
    it put back without that line: the bot read the note the message showed before the edit under way had noted it."""
    caplog.set_level(logging.INFO, "digest.discord")
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section=None)
        slow = fake.hold_next("PATCH", f"/messages/{mid}")
        await fake.react(mid, MAINTAINER, "✅")
        await asyncio.wait_for(slow.arrived.wait(), 10)  # the refusal's edit, on its way
        await fake.remove_embeds(mid)
        await eventually(lambda: "was removed; putting it back" in caplog.text, "the bot heard of the removal")
        slow.released.set()
        await eventually(lambda: footer_shown(fake, mid).startswith(f"Candidate {candidate_id} ·"), "embed put back")
        await rounds(bot, 3)
        first_line = fake.shown(mid)["embeds"][0]["description"].splitlines()[0]
    assert first_line.startswith("⚠️ Couldn't approve") and first_line.endswith("react with a section emoji")


@pytest.mark.asyncio
async def test_review_messages_a_moderator_bulk_deletes_are_posted_again_and_the_decided_one_not(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A moderator clearing the review channel deletes the bot's messages in one bulk delete (one MESSAGE_DELETE_BULK
    event, no MESSAGE_DELETE for each). The pending candidates stay pending and come back to the channel at the next
    posting run, as a single deleted message does (the channel is where maintainers review); the one already approved
    stays approved and is not posted again; the waiting notice comes back too."""
    scores = [0.9, 0.8, 0.7, 0.6]
    ids = [insert_candidate(db, paper, score=score) for paper, score in zip(real_papers(), scores, strict=False)]
    async with running(bot_settings, db) as bot:
        assert (await bot.post_pending()).posted == 3  # the cap: the fourth waits on the review page
        approved, *pending = ids[:3]
        await fake.react(message_id(db, approved), MAINTAINER, "✅")
        await eventually(lambda: row(db, approved).discord_shown_status == "approved", "approved and shown")
        cleared = list(fake.messages)
        assert len(cleared) == 4  # three candidates and the notice that one more waits
        await fake.delete_messages(cleared)
        await eventually(lambda: all(row(db, i).discord_state == "repost" for i in pending), "marked for repost")
        report = await bot.post_pending()
    assert (report.posted, report.waiting) == (3, 0)
    assert [row(db, i).status for i in ids] == ["approved", "pending", "pending", "pending"]
    footers = [
        body["embeds"][0]["footer"]["text"].split(" ·")[0] for body in map(fake.shown, fake.messages) if body["embeds"]
    ]
    assert footers == [f"Candidate {i}" for i in ids[1:]]
    assert not set(cleared) & set(fake.messages)


def posted_anew(db: Database, fake: FakeDiscord, candidate_id: int) -> bool:
    """Whether the candidate's message, as recorded, is one the channel holds (not one a moderator deleted)."""
    return int(row(db, candidate_id).discord_message_id or 0) in fake.messages


@pytest.mark.asyncio
async def test_review_messages_bulk_deleted_while_the_bot_was_away_are_posted_again_when_it_starts(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Guard: the channel cleared while the service was stopped (Discord replays no event of it to a new session).
    Catching up at the start finds the pending candidates' messages gone and posts them again, without waiting for
    a poll; the approved one stays approved, its message not posted again."""
    ids = [insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:3])]
    async with running(bot_settings, db) as bot:
        assert (await bot.post_pending()).posted == 3
        await fake.react(message_id(db, ids[0]), MAINTAINER, "✅")
        await eventually(lambda: row(db, ids[0]).discord_shown_status == "approved", "approved and shown")
    cleared = list(fake.messages)
    await fake.delete_messages(cleared)
    async with running(bot_settings, db, sync_interval=0.05):
        await eventually(lambda: all(posted_anew(db, fake, i) for i in ids[1:]), "posted again")
    assert [row(db, i).status for i in ids] == ["approved", "pending", "pending"]
    footers = [body["embeds"][0]["footer"]["text"].split(" ·")[0] for body in map(fake.shown, fake.messages)]
    assert footers == [f"Candidate {i}" for i in ids[1:]]
    assert not set(cleared) & set(fake.messages) and row(db, ids[0]).discord_message_id is None


@pytest.mark.asyncio
async def test_a_waiting_notice_a_moderator_deleted_is_said_again_by_the_next_run_though_it_posts_nothing(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A moderator deleting "2 more candidates wait on the review page" left the channel saying nothing of them until a
    run that posted something: a run whose posts AutoMod refused left two candidates waiting, and no word of it. The
    notice is not put back at once (the moderator's deletion is not fought), but by the next posting run."""
    page = f"{bot_settings.web.base_url.rstrip('/')}/review"
    for index, paper in enumerate(real_papers()[:3]):
        insert_candidate(db, paper, score=0.9 - index / 10)
    for paper in real_papers()[3:5]:
        insert_candidate(db, paper, score=0.2, title=f"A forbiddenword in {paper['title']}")
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        assert (await bot.post_pending()).waiting == 2  # the cap is 3
        notices = [mid for mid, message in fake.messages.items() if message["content"]]
        assert [fake.shown(mid)["content"] for mid in notices] == [f"2 more candidates wait on the review page: {page}"]
        await fake.delete_message(notices[0])  # a moderator
        await rounds(bot, 3)
        assert [message for message in fake.messages.values() if message["content"]] == []
        fake.automod_words = ("forbiddenword",)  # and the server's AutoMod refuses the two that wait
        report = await bot.post_pending()
        shown = [fake.shown(mid)["content"] for mid, message in fake.messages.items() if message["content"]]
    assert (report.posted, report.waiting) == (0, 2)
    assert shown == [f"2 more candidates wait on the review page: {page}"]
