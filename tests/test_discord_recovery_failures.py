"""The review bot coming back while Discord fails: a message or a member lookup it cannot get while catching up, a
failed post, a channel that keeps failing, a refused token and a database that failed at start. The real
discord.py client against the fake Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from digest.config import Settings
from digest.discord.bot import ReviewBot
from digest.review.reviewer import Reviewer
from digest.storage.db import Database
from tests.discord_bot import (
    PENDING_COLOUR,
    approved_by_ann,
    discord_health,
    eventually,
    last_embed,
    list_md,
    posted_candidate,
    rounds,
    row,
    running,
)
from tests.factories import decision_actions, insert_candidate, real_papers
from tests.fake_discord import (
    BOT_ID,
    MAINTAINER,
    FakeDiscord,
)


@pytest.mark.asyncio
async def test_a_message_discord_fails_to_return_while_catching_up_holds_up_no_other_and_is_tried_again(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db) as bot:
        first, first_mid = await posted_candidate(fake, db, bot, 0)
        second, second_mid = await posted_candidate(fake, db, bot, 1)
    await fake.react(first_mid, MAINTAINER, "✅", online=False)
    await fake.react(second_mid, MAINTAINER, "✅", online=False)
    fake.refuse("GET", f"/messages/{first_mid}", 503, 0, "Service Unavailable", times=1)
    async with running(bot_settings, db, sync_interval=0.05):  # start() returns once caught up
        assert "Approved by ann" in last_embed(fake, second_mid)["description"]
        await eventually(lambda: "Approved by ann" in last_embed(fake, first_mid)["description"], "tried again")
    assert (row(db, first).status, row(db, second).status) == ("approved", "approved")


@pytest.mark.asyncio
async def test_candidates_a_failed_post_held_back_are_posted_by_the_background_loop(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    ids = [insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:3])]
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        fake.fail_next(1, 503)  # a Discord blip during the poll's posting run; not retried by discord.py
        report = await bot.post_pending()
        assert (report.posted, report.failed) == (0, 1)
        await eventually(lambda: all(row(db, i).discord_state == "posted" for i in ids), "posted without a poll")
    assert [body["embeds"][0]["footer"]["text"].split(" ·")[0] for body in fake.posted()] == [
        f"Candidate {i}" for i in ids
    ]


@pytest.mark.asyncio
async def test_a_message_discord_kept_though_it_answered_a_server_error_is_not_posted_twice(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Discord (or the proxy in front of it) stored the candidate's message and still answered 5xx: the bot put the
    candidate back to unposted and the next try, under a new nonce, posted it a second time, and maintainers saw and
    reacted to two messages of one paper. Now the try after a server error first looks in the channel for it."""
    candidate_id = insert_candidate(db, real_papers()[0])
    fake.failed_after_create = (503, 1)  # not retried by discord.py (a 500 is, under the same nonce Discord dedupes)
    # The next try comes a back-off later (1.2 s here, a minute or more in service): Discord's nonce dedupe no longer
    # covers it.
    async with running(bot_settings, db, sync_interval=0.6) as bot:
        report = await bot.post_pending()
        assert (report.posted, report.failed) == (0, 1)
        await eventually(lambda: row(db, candidate_id).discord_state == "posted", "recorded by the next try")
        mid = int(row(db, candidate_id).discord_message_id or 0)
        await eventually(lambda: fake.reactors(mid, "✅") == [BOT_ID], "the bot's reactions on the one message")
    footers = [body["embeds"][0]["footer"]["text"] for body in fake.posted()]
    assert len(footers) == 1 and footers[0].startswith(f"Candidate {candidate_id} ·"), footers
    assert list(fake.messages) == [mid]


@pytest.mark.asyncio
async def test_posting_into_a_channel_that_keeps_failing_is_tried_less_and_less_often(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    insert_candidate(db, real_papers()[0])
    fake.refuse("POST", "/messages", 503, 0, "Service Unavailable")
    async with running(bot_settings, db, sync_interval=0.02) as bot:
        await bot.post_pending()
        await rounds(bot, 40)
    assert len(fake.requests("POST", "/messages")) <= 8


@pytest.mark.asyncio
async def test_the_bot_stops_cleanly_right_after_discord_refused_its_token(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    fake.refuse("GET", "/users/@me", 401, 0, "401: Unauthorized")
    bot = ReviewBot(bot_settings, db, Reviewer(db, bot_settings), guild_ready_timeout=0.01)
    await bot.start()  # returns as soon as the token is refused, while the connection is still closing
    refused = discord_health()
    await bot.close()
    assert not refused.ok and "refused the token" in refused.message
    assert discord_health().message == "off: logged out"
    assert len(fake.requests("GET", "/users/@me")) == 1


@pytest.mark.asyncio
async def test_catching_up_the_database_failed_at_start_is_done_by_the_background_loop(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    def rename(old: str, new: str) -> None:
        with db.transaction() as session:
            session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))

    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
    await fake.react(mid, MAINTAINER, "✅", online=False)
    rename("decisions", "decisions_away")
    async with running(bot_settings, db, sync_interval=0.05):  # start() returns once catching up failed
        assert row(db, candidate_id).status == "pending"
        await asyncio.to_thread(rename, "decisions_away", "decisions")
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "caught up later")
    assert row(db, candidate_id).status == "approved"


@pytest.mark.asyncio
async def test_a_member_lookup_discord_fails_while_catching_up_undoes_no_approval_and_is_tried_again(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A maintainer by role needs a member lookup to be recognised on restart: a failed lookup read the deciding ✅ as
    taken back, so a Discord blip at start took an approved paper out of the list."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        approved, _approved_message = await approved_by_ann(fake, db, bot, 0)
        waiting, waiting_message = await posted_candidate(fake, db, bot, 1)
    await fake.react(waiting_message, MAINTAINER, "❌", online=False)
    fake.member_lookup_status = 503  # Discord cannot say who holds which role, for now
    async with running(bot_settings, db, sync_interval=0.05) as bot:  # start() returns once caught up
        assert row(db, approved).status == "approved" and row(db, waiting).status == "pending"
        assert paper["arxiv_id"] in list_md(bot_settings)
        fake.member_lookup_status = None
        await eventually(lambda: "Rejected by ann" in last_embed(fake, waiting_message)["description"], "tried again")
    assert row(db, approved).status == "approved" and row(db, waiting).status == "rejected"
    assert paper["arxiv_id"] in list_md(bot_settings)
    assert decision_actions(db) == ["approve", "reject"]


@pytest.mark.asyncio
async def test_a_deciding_reaction_taken_back_while_member_lookups_fail_returns_the_paper_to_pending_once_they_work(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann took back the ✅ that approved a paper while Discord failed member lookups: the bot could not tell she is a
    maintainer, logged that it was not applied, and the paper stayed in the list, its message saying "Approved by
    ann", until the next restart."""
    paper = real_papers()[0]
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        fake.member_lookup_status = 503  # Discord cannot say who holds which role, for now
        await fake.unreact(mid, MAINTAINER, "✅")
        await rounds(bot, 3)
        assert row(db, candidate_id).status == "approved"  # nothing undone on a guess
        fake.member_lookup_status = None
        await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "taken back once Discord can say")
    assert row(db, candidate_id).status == "pending" and paper["arxiv_id"] not in list_md(bot_settings)
