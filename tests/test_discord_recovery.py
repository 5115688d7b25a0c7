"""The review bot coming back: reactions made, disagreeing or taken back while it was away, and decisions made
elsewhere meanwhile. The real discord.py client against the fake Discord on 127.0.0.1, a real SQLite file and the
list Markdown the Reviewer writes. Discord failing is in test_discord_recovery_failures.py, the bot's permissions in
_permissions, live reactions settled later in _live."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.db import Database
from digest.storage.models import Decision
from tests.discord_bot import (
    PENDING_COLOUR,
    approved_by_ann,
    decision_count,
    eventually,
    last_embed,
    list_md,
    posted_candidate,
    row,
    running,
)
from tests.factories import real_papers
from tests.fake_discord import (
    LISTED_MAINTAINER,
    MAINTAINER,
    FakeDiscord,
)


@pytest.mark.asyncio
async def test_a_deciding_reaction_taken_back_while_the_bot_was_away_returns_the_paper_to_pending(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
    fake.reactions[(mid, "✅")].remove(MAINTAINER.id)  # no gateway event reaches anyone
    async with running(bot_settings, db):  # start() returns once caught up
        await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "message shows pending")
    assert row(db, candidate_id).status == "pending"
    assert paper["arxiv_id"] not in list_md(bot_settings)
    assert "Approved" not in last_embed(fake, mid)["description"]


@pytest.mark.asyncio
async def test_another_maintainers_reject_made_while_the_bot_was_away_stands(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
    await fake.react(mid, LISTED_MAINTAINER, "❌", online=False)
    async with running(bot_settings, db):
        await eventually(lambda: "Rejected by bob" in last_embed(fake, mid)["description"], "message shows rejected")
    assert row(db, candidate_id).status == "rejected"
    assert paper["arxiv_id"] not in list_md(bot_settings)


@pytest.mark.asyncio
async def test_a_reapproval_made_while_the_bot_was_away_after_an_undo_is_applied(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        await fake.unreact(mid, MAINTAINER, "✅")
        await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "undone and shown")
    await fake.react(mid, MAINTAINER, "✅", online=False)
    async with running(bot_settings, db):
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "approved again")
    assert row(db, candidate_id).status == "approved"
    assert paper["arxiv_id"] in list_md(bot_settings)


@pytest.mark.asyncio
async def test_a_second_maintainers_check_mark_still_on_the_message_approves_when_the_first_is_taken_back(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        await fake.react(mid, LISTED_MAINTAINER, "✅")  # agrees: recorded, changes nothing
        await eventually(lambda: decision_count(db) == 2, "bob's agreement recorded")
        await fake.unreact(mid, MAINTAINER, "✅")
        await eventually(lambda: "Approved by bob" in last_embed(fake, mid)["description"], "bob's ✅ stands")
    async with running(bot_settings, db):
        pass
    assert "Approved by bob" in last_embed(fake, mid)["description"]
    assert row(db, candidate_id).status == "approved"
    assert paper["arxiv_id"] in list_md(bot_settings)


@pytest.mark.asyncio
async def test_a_second_maintainers_check_mark_left_pending_by_an_older_bot_is_applied_on_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        await fake.react(mid, LISTED_MAINTAINER, "✅")
        await eventually(lambda: decision_count(db) == 2, "bob's agreement recorded")
    # Ann's undo as a bot without the standing-reaction rule recorded it: a revert, the paper pending.
    fake.reactions[(mid, "✅")].remove(MAINTAINER.id)
    Reviewer(db, bot_settings).decide(candidate_id, "revert", Actor("ann", str(MAINTAINER.id), "discord"))
    async with running(bot_settings, db):
        await eventually(lambda: "Approved by bob" in last_embed(fake, mid)["description"], "bob's ✅ applied")
    assert row(db, candidate_id).status == "approved"


@pytest.mark.asyncio
async def test_an_unchanged_message_decided_through_discord_stays_as_it_is_on_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        await fake.react(mid, LISTED_MAINTAINER, "✅")
        await eventually(lambda: decision_count(db) == 2, "bob's agreement recorded")
    edits = len(fake.messages[mid]["_edits"])
    async with running(bot_settings, db):
        pass
    assert row(db, candidate_id).decided_by == "ann"
    assert len(fake.messages[mid]["_edits"]) == edits


@pytest.mark.asyncio
async def test_papers_decided_through_discord_long_ago_are_not_looked_at_on_start(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
    with db.transaction() as session:
        for decision in session.scalars(select(Decision)):
            decision.at -= timedelta(days=30)
    fake.reactions[(mid, "✅")].remove(MAINTAINER.id)
    async with running(bot_settings, db):
        pass
    assert row(db, candidate_id).status == "approved"
    assert fake.requests("GET", f"/messages/{mid}") == []


@pytest.mark.asyncio
async def test_a_check_mark_on_a_section_named_loosely_is_recognised_on_restart_and_when_taken_back(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section="sparse autoencoders")
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(
            lambda: "Approved by ann into Sparse Autoencoder" in last_embed(fake, mid)["description"], "ok"
        )
    async with running(bot_settings, db):  # nothing changed while away: nothing to do
        assert decision_count(db) == 1
        await fake.unreact(mid, MAINTAINER, "✅")
        await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "taken back")
    assert row(db, candidate_id).status == "pending"


@pytest.mark.asyncio
async def test_a_decision_elsewhere_that_keeps_the_status_is_shown_on_the_message(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The message was edited only when the status changed: a move to another section from the shell, or an undo and
    someone else's rejection within one round, left it naming the wrong section or the wrong maintainer for good."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        moved, moved_message = await posted_candidate(fake, db, bot, 0)
        await fake.react(moved_message, MAINTAINER, "✅")
        approved = "Approved by ann into Sparse Autoencoder"
        await eventually(lambda: approved in last_embed(fake, moved_message)["description"], "shown")
        shell = Reviewer(db, bot_settings)  # another process
        shell.decide(moved, "approve", Actor("cli-bob", None, "cli"), "Steering")
        await eventually(
            lambda: last_embed(fake, moved_message)["description"].startswith(
                "**Approved by cli-bob via cli into Steering**"
            ),
            "the move shown",
        )
        redone, redone_message = await posted_candidate(fake, db, bot, 1)
        await fake.react(redone_message, MAINTAINER, "❌")
        await eventually(lambda: "Rejected by ann" in last_embed(fake, redone_message)["description"], "shown")
        shell.decide(redone, "revert", Actor("cli-bob", None, "cli"))
        shell.decide(redone, "reject", Actor("cli-cyd", None, "cli"))
        await eventually(
            lambda: last_embed(fake, redone_message)["description"].startswith("**Rejected by cli-cyd via cli**"),
            "the later rejection shown",
        )


@pytest.mark.asyncio
async def test_disagreeing_reactions_left_while_away_are_shown_and_taking_one_back_decides_at_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Disagreeing reactions left while the bot was away decide nothing; the message said nothing about it, and taking
    the wrong one back changed nothing until the next restart."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
    await fake.react(mid, MAINTAINER, "✅", online=False)
    await fake.react(mid, LISTED_MAINTAINER, "❌", online=False)
    async with running(bot_settings, db):  # start() returns once caught up
        assert row(db, candidate_id).status == "pending"
        first_line = last_embed(fake, mid)["description"].splitlines()[0]
        assert "Reactions disagree" in first_line and "by ann" in first_line and "by bob" in first_line
        await fake.unreact(mid, LISTED_MAINTAINER, "❌")
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "settled at once")
    assert row(db, candidate_id).status == "approved" and paper["arxiv_id"] in list_md(bot_settings)
    assert "disagree" not in last_embed(fake, mid)["description"]


@pytest.mark.asyncio
async def test_disagreeing_reactions_are_warned_about_once_not_at_every_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Reactions that disagree, left while the bot was away, stay on the message until a maintainer takes one back:
    every restart of the service warned of them again and edited the message again to say what it already said. Now
    the warning and the note come once per message (again only when the reactions disagree differently)."""
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
    await fake.react(mid, MAINTAINER, "✅", online=False)
    await fake.react(mid, LISTED_MAINTAINER, "❌", online=False)
    warned = f"conflicting reactions on candidate {candidate_id}"
    with caplog.at_level("INFO", logger="digest.discord"):
        async with running(bot_settings, db):
            assert "Reactions disagree" in last_embed(fake, mid)["description"]
        edits = len(fake.requests("PATCH", f"/messages/{mid}"))
        assert sum(warned in record.getMessage() and record.levelname == "WARNING" for record in caplog.records) == 1
        for _ in range(2):
            async with running(bot_settings, db):
                pass
    warnings = [r.getMessage() for r in caplog.records if warned in r.getMessage() and r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings
    assert len(fake.requests("PATCH", f"/messages/{mid}")) == edits, "the message was edited to say it again"
    assert "Reactions disagree" in last_embed(fake, mid)["description"]
    assert row(db, candidate_id).status == "pending"
