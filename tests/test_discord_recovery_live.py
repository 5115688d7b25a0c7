"""The review bot's live reactions whose fate is settled later: cleared by a moderator, or waiting for a member lookup
Discord cannot answer yet (applied once it can, not overturning a later decision, surviving a catch-up). The real
discord.py client against the fake Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from digest.config import Settings
from digest.storage.db import Database
from digest.storage.models import Decision
from tests.discord_bot import (
    PENDING_COLOUR,
    approved_by_ann,
    decision_count,
    discord_health,
    eventually,
    last_embed,
    list_md,
    posted_candidate,
    rounds,
    row,
    running,
)
from tests.factories import decision_actions, real_papers
from tests.fake_discord import (
    BOT_ID,
    LISTED_MAINTAINER,
    MAINTAINER,
    READ_MESSAGE_HISTORY,
    FakeDiscord,
)


@pytest.mark.asyncio
@pytest.mark.parametrize("cleared", [None, "✅"], ids=["all", "one-emoji"])
async def test_reactions_a_moderator_clears_count_as_taken_back_at_once_not_at_the_next_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings, cleared: str | None
) -> None:
    """A moderator's "remove all reactions" changed nothing while the bot ran: the message kept saying "Approved" with
    no reaction under it, and the next restart, days later, read the deciding ✅ as taken back and took the paper out
    of the list."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        other, other_mid = await posted_candidate(fake, db, bot, 1)
        await fake.react(other_mid, MAINTAINER, "❌")
        await eventually(lambda: row(db, other).status == "rejected", "the other one rejected")
        await fake.clear_reactions(mid, cleared)
        await fake.clear_reactions(other_mid, "✅")  # not the deciding reaction: nothing changes
        await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "the message shows pending")
        await eventually(
            lambda: fake.reactors(mid, "✅") == fake.reactors(mid, "❌") == [BOT_ID], "the bot's reactions are back"
        )
        assert row(db, candidate_id).status == "pending" and paper["arxiv_id"] not in list_md(bot_settings)
    decisions = decision_count(db)
    async with running(bot_settings, db):  # nothing more to do after a restart
        pass
    assert decision_count(db) == decisions == 3  # approve, reject, and the undo
    assert row(db, candidate_id).status == "pending" and row(db, other).status == "rejected"


@pytest.mark.asyncio
async def test_a_reaction_of_the_bots_a_moderator_takes_off_is_put_back_at_once_and_decides_nothing(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A moderator who took the bot's ✅ (or ❌) off a message, one reaction rather than all, left the maintainers
    without the reaction they click to decide, until the next restart, days later perhaps; only clearing all the
    message's reactions had it put back at once."""
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        approved, approved_mid = await approved_by_ann(fake, db, bot, 1)
        decisions = decision_count(db)
        await fake.unreact(mid, fake.bot, "✅")
        await fake.unreact(approved_mid, fake.bot, "❌")
        await eventually(lambda: fake.reactors(mid, "✅") == [BOT_ID], "the bot's ✅ is back")
        await eventually(lambda: fake.reactors(approved_mid, "❌") == [BOT_ID], "the bot's ❌ is back")
        assert decision_count(db) == decisions and row(db, approved).status == "approved"
        await fake.react(mid, MAINTAINER, "✅")  # a click on the bot's ✅, as maintainers decide
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "approved")
    assert row(db, candidate_id).status == "approved"


@pytest.mark.asyncio
async def test_a_live_reaction_whose_author_cannot_be_looked_up_is_applied_once_discord_can_say_not_at_the_next_start(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A reaction whose event carried no member, made while Discord failed member lookups (a 503): the bot logged that
    it was not applied and left the paper pending until the next restart."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        fake.member_lookup_status = 503  # Discord cannot say who holds which role, for now
        await fake.react(mid, MAINTAINER, "❌", with_member=False)
        await rounds(bot, 3)
        assert row(db, candidate_id).status == "pending"  # nothing decided on a guess
        fake.member_lookup_status = None
        await eventually(lambda: "Rejected by ann" in last_embed(fake, mid)["description"], "applied when Discord can")
        await rounds(bot, 3)
    assert row(db, candidate_id).status == "rejected"
    assert decision_actions(db) == ["reject"]  # applied once


@pytest.mark.asyncio
async def test_a_live_reaction_whose_author_discord_briefly_calls_unknown_is_applied_when_it_knows_them(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A member lookup answering 404 for one who had just reacted (Discord lagging behind its own event) recorded the
    maintainer's reaction as a stranger's for good: it decided nothing, then or after any restart."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        fake.member_lookup_status = 404
        await fake.react(mid, MAINTAINER, "❌", with_member=False)
        await eventually(lambda: len(fake.requests("GET", f"/members/{MAINTAINER.id}")) >= 1, "looked up")
        fake.member_lookup_status = None
        await eventually(lambda: "Rejected by ann" in last_embed(fake, mid)["description"], "applied when known")
    assert row(db, candidate_id).status == "rejected"


@pytest.mark.asyncio
async def test_a_reaction_waiting_for_its_member_lookup_does_not_overturn_a_later_reaction_that_decided_meanwhile(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann's ❌ waited for Discord to say who she is (a 503); bob's ✅, made after it, approved meanwhile. Once Discord
    answered, ann's older reaction rejected the paper over bob's newer decision, and took it out of the list."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        fake.member_lookup_status = 503
        await fake.react(mid, MAINTAINER, "❌", with_member=False)
        await rounds(bot, 3)
        await fake.react(mid, LISTED_MAINTAINER, "✅")  # a maintainer by user id: no lookup needed
        await eventually(lambda: "Approved by bob" in last_embed(fake, mid)["description"], "bob's approval")
        fake.member_lookup_status = None
        await rounds(bot, 10)
        assert "Approved by bob" in last_embed(fake, mid)["description"]
    async with running(bot_settings, db):  # nor at the next start
        pass
    assert row(db, candidate_id).status == "approved"
    assert row(db, candidate_id).arxiv_id in list_md(bot_settings)
    with db.reading() as session:
        rows = session.execute(select(Decision.actor, Decision.action, Decision.applied).order_by(Decision.id)).all()
    assert [tuple(r) for r in rows] == [("bob", "approve", True), ("ann", "reject", False)]


@pytest.mark.asyncio
async def test_a_live_reaction_waiting_for_its_member_lookup_survives_catching_up_on_the_channel(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A ❌ on a paper approved a month ago, made while Discord failed member lookups, waits to be tried again; catching
    up on the channel meanwhile (Read Message History given back, the server back after an outage) dropped every wait,
    and it looks only at the last 14 days' candidates: the ❌ was never applied, the paper stayed in the list."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        with db.transaction() as session:
            for decision in session.scalars(select(Decision)):
                decision.at -= timedelta(days=30)
        fake.member_lookup_status = 503
        await fake.react(mid, MAINTAINER, "❌", with_member=False)
        await rounds(bot, 3)
        await fake.deny_bot(READ_MESSAGE_HISTORY)
        await eventually(lambda: "Read Message History" in discord_health().message, "said when taken away")
        await fake.deny_bot(0)
        await eventually(lambda: discord_health().ok, "cleared when given back")
        await rounds(bot, 3)
        assert row(db, candidate_id).status == "approved"
        fake.member_lookup_status = None
        await eventually(lambda: "Rejected by ann" in last_embed(fake, mid)["description"], "applied when Discord can")
    assert row(db, candidate_id).status == "rejected"
