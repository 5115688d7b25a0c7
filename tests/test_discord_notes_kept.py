"""The note on a candidate's message saying why a maintainer's reaction did nothing ("⚠️ Couldn't approve ...") stays
on it, whatever else redraws it (a background round showing the list's sections as they are now, at a start too),
until a decision: then the message shows the decision and no note, a note Discord failed to show included. The real
discord.py client against the fake Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.db import Database
from tests.discord_bot import edits, eventually, last_embed, posted_candidate, rounds, row, running
from tests.fake_discord import MAINTAINER, FakeDiscord
from tests.list_edits import imported, steering_heading

REFUSED = "⚠️ Couldn't approve"
RENAMED = "🕹️ Activation Steering · "  # the legend of every pending message once the Steering heading is renamed


@pytest.mark.asyncio
async def test_a_refusal_note_stays_when_a_renamed_section_redraws_the_message(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    """A maintainer's ✅ on a paper with no section to approve into is answered "Couldn't approve ..."; the list's
    Steering heading renamed a moment later redrew the message's legend and took the answer off with it."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section=None)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: REFUSED in last_embed(fake, mid)["description"], "the refusal shown")
        imported(data_dir, tmp_path, steering_heading("Activation Steering"))
        await eventually(lambda: RENAMED in last_embed(fake, mid)["footer"]["text"], "the legend redrawn")
        await rounds(bot, 3)
    assert last_embed(fake, mid)["description"].startswith(REFUSED)
    assert "react with a section emoji" in last_embed(fake, mid)["description"].splitlines()[0]
    assert row(db, candidate_id).status == "pending"


@pytest.mark.asyncio
async def test_a_refusal_note_stays_when_a_section_renamed_while_the_bot_was_away_redraws_the_message(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    async with running(bot_settings, db) as bot:
        _candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section=None)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: REFUSED in last_embed(fake, mid)["description"], "the refusal shown")
    before = edits(fake, mid)
    imported(data_dir, tmp_path, steering_heading("Activation Steering"))
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        await bot.caught_up.wait()
        await eventually(lambda: RENAMED in last_embed(fake, mid)["footer"]["text"], "the legend redrawn")
        await rounds(bot, 3)
    redrawn = [body["embeds"][0]["description"] for body in fake.messages[mid]["_edits"][before:]]
    assert redrawn and all(description.startswith(REFUSED) for description in redrawn)  # never shown without it


@pytest.mark.asyncio
async def test_a_decision_elsewhere_after_a_refusal_note_shows_the_decision_and_no_note(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The note explains a reaction that changed nothing of the status shown then: a decision since (here `digest
    reject` in another process), which the background round shows, is shown without it."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section=None)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: REFUSED in last_embed(fake, mid)["description"], "the refusal shown")
        Reviewer(db, bot_settings).decide(candidate_id, "reject", Actor("bob", None, "cli"))
        await eventually(lambda: "Rejected by bob" in last_embed(fake, mid)["description"], "the rejection shown")
        await rounds(bot, 3)
    assert "Couldn't" not in last_embed(fake, mid)["description"]
    assert row(db, candidate_id).discord_note is None


@pytest.mark.asyncio
async def test_a_refusal_note_discord_failed_to_show_is_not_shown_after_a_decision_elsewhere(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A refusal note Discord answered 503 was shown once it answered again even when a decision came meanwhile
    (`digest reject` in another process): the rejected message said the maintainer's ✅ "couldn't approve" it."""
    async with running(bot_settings, db, sync_interval=1.0) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section=None)
        fake.refuse("PATCH", f"/messages/{mid}", 503, 0, "Service Unavailable", times=1)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: fake.refusals[-1].times == 0, "the note's edit refused")
        Reviewer(db, bot_settings).decide(candidate_id, "reject", Actor("bob", None, "cli"))
        await eventually(lambda: "Rejected by bob" in last_embed(fake, mid)["description"], "the rejection shown")
        await rounds(bot, 2)
    assert "Couldn't" not in last_embed(fake, mid)["description"]
    assert row(db, candidate_id).discord_note is None
