"""The review bot as maintainers live with it for months: a maintainer whose role was taken away or who left the
server, sections named loosely, super reactions and skin tones, and what their reactions still mean after a restart.
The real discord.py client against the fake Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from digest.awesome import store as liststore
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.discord_bot import (
    PENDING_COLOUR,
    approved_by_ann,
    decision_count,
    eventually,
    last_embed,
    list_md,
    posted_candidate,
    rename,
    rounds,
    row,
    running,
)
from tests.factories import real_papers
from tests.fake_discord import BOT_ID, GUILD_ID, LISTED_MAINTAINER, MAINTAINER, FakeDiscord


@pytest.mark.asyncio
@pytest.mark.parametrize("gone", ["role taken away", "left the server"])
async def test_an_approval_by_a_maintainer_who_since_stepped_down_stands_after_a_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings, gone: str
) -> None:
    """Catching up read a former maintainer's ✅, still on the message, as taken back: a restart took every paper they
    had approved in the last two weeks out of the list."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
    fake.leave(MAINTAINER, roles=None if gone == "left the server" else ())
    async with running(bot_settings, db):  # start() returns once caught up
        pass
    assert row(db, candidate_id).status == "approved"
    assert paper["arxiv_id"] in list_md(bot_settings)
    assert "Approved by ann" in last_embed(fake, mid)["description"]
    assert decision_count(db) == 1


@pytest.mark.asyncio
async def test_a_section_emoji_whose_config_names_the_section_loosely_is_read_the_same_on_restart_and_taken_back(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """The config may name a section as people do ("logit lens"); the approval is recorded under the list's name, so
    a restart read the 🔭 as a new reaction (the paper taken out of the list and put back, twice in the history), and
    taking the 🔭 back changed nothing."""
    emojis = '[discord.section_emojis]\n"logit lens" = "🔭"\n"sparse autoencoders" = "🧩"\n'
    settings = make_settings(tmp_path / "data", fake.config_toml(extra=emojis), {"DISCORD_TOKEN": "fake-token"})
    db = open_service_database(settings)
    paper = real_papers()[0]
    try:
        async with running(settings, db) as bot:
            candidate_id, mid = await posted_candidate(fake, db, bot, 0)
            await fake.react(mid, MAINTAINER, "🔭")
            approved = "Approved by ann into Beyond or Logit Lens"
            await eventually(lambda: approved in last_embed(fake, mid)["description"], "approved and shown")
        async with running(settings, db):  # nothing changed while away: nothing to do
            assert decision_count(db) == 1
            await fake.unreact(mid, MAINTAINER, "🔭")
            await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "taken back")
        assert row(db, candidate_id).status == "pending"
        assert paper["arxiv_id"] not in list_md(settings)
    finally:
        db.dispose()


@pytest.mark.asyncio
async def test_a_super_reaction_counts_as_a_reaction_after_a_restart_too(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Discord lists a super reaction ("burst", Nitro) apart from the normal ones, and catching up asked for the normal
    ones only: a restart took a paper approved with a super ✅ out of the list, and a super ❌ given while the bot was
    away was never applied."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        approved, approved_mid = await posted_candidate(fake, db, bot, 0)
        await fake.react(approved_mid, MAINTAINER, "✅", burst=True)
        await eventually(lambda: "Approved by ann" in last_embed(fake, approved_mid)["description"], "approved")
        waiting, waiting_mid = await posted_candidate(fake, db, bot, 1)
    await fake.react(waiting_mid, MAINTAINER, "❌", online=False, burst=True)
    async with running(bot_settings, db):  # start() returns once caught up
        pass
    assert row(db, approved).status == "approved" and paper["arxiv_id"] in list_md(bot_settings)
    assert row(db, waiting).status == "rejected"
    assert "Rejected by ann" in last_embed(fake, waiting_mid)["description"]
    assert decision_count(db) == 2


@pytest.mark.asyncio
async def test_a_section_emoji_in_a_maintainers_skin_tone_approves_into_its_section(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """Discord's picker gives every hand in the maintainer's chosen skin tone: a section's 👍 reacted as 👍🏽 was not
    recognised, so it changed nothing and nothing said why."""
    emojis = '[discord.section_emojis]\n"Probing" = "👍"\n'
    settings = make_settings(tmp_path / "data", fake.config_toml(extra=emojis), {"DISCORD_TOKEN": "fake-token"})
    db = open_service_database(settings)
    try:
        async with running(settings, db) as bot:
            candidate_id, mid = await posted_candidate(fake, db, bot, 0)
            await fake.react(mid, MAINTAINER, "👍🏽")
            await eventually(lambda: "Approved by ann into Probing" in last_embed(fake, mid)["description"], "shown")
        async with running(settings, db):  # nothing changed while away: nothing to do
            assert decision_count(db) == 1
            await fake.unreact(mid, MAINTAINER, "👍🏽")
            await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "taken back")
        assert row(db, candidate_id).status == "pending"
    finally:
        db.dispose()


@pytest.mark.asyncio
async def test_a_reaction_the_database_failed_to_take_is_applied_once_it_works_again_without_a_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A database that failed for a moment (locked by a long backfill, say) while a maintainer reacted lost the
    reaction: the message kept saying pending and nothing was decided until the bot's next restart, weeks later."""
    paper = real_papers()[0]
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        rename(db, "decisions", "decisions_away")
        await fake.react(mid, MAINTAINER, "✅")
        await rounds(bot, 2)
        assert row(db, candidate_id).status == "pending"
        await asyncio.to_thread(rename, db, "decisions_away", "decisions")
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "applied later")
    assert row(db, candidate_id).status == "approved" and paper["arxiv_id"] in list_md(bot_settings)
    assert decision_count(db) == 1


@pytest.mark.asyncio
async def test_a_reaction_the_database_failed_to_take_on_a_paper_decided_weeks_ago_is_not_lost(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Catching up after the database failed looks only at candidates decided in the last 14 days: a maintainer's ❌
    on a paper approved a month ago, made while the database was locked, was never applied though the log said it
    would be in a few seconds; the paper stayed in the list."""
    paper = real_papers()[0]
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        with db.transaction() as session:
            session.execute(text("UPDATE decisions SET at = datetime(at, '-30 days')"))
        rename(db, "decisions", "decisions_away")
        await fake.react(mid, MAINTAINER, "❌")
        await rounds(bot, 2)
        assert row(db, candidate_id).status == "approved"
        await asyncio.to_thread(rename, db, "decisions_away", "decisions")
        await eventually(lambda: "Rejected by ann" in last_embed(fake, mid)["description"], "applied later")
    assert row(db, candidate_id).status == "rejected" and paper["arxiv_id"] not in list_md(bot_settings)


@pytest.mark.asyncio
async def test_a_paper_approved_with_a_check_mark_stays_put_when_its_section_is_renamed_in_the_list(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The decision log names the section as it was called then: after the maintainers renamed it in the list, a
    restart read the ✅ (meaning the renamed section now) as a new reaction, took the paper out of the list and
    approved it again (the maintainers' edit of its entry lost), and counted two more decisions of ann's that she never
    made."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
    edited = re.sub(r"(?m)^(###.*)Sparse Autoencoder$", r"\1Sparse Autoencoders (SAEs)", list_md(bot_settings))
    edited = edited.replace(paper["title"], "SAE steering against hallucination")  # and a hand edit of its entry
    assert edited.count("Sparse Autoencoders (SAEs)") == 1 and "SAE steering against" in edited
    bot_settings.list_markdown_path.write_text(edited, encoding="utf-8")  # as `digest list import data/list.md`
    with db.transaction() as session:
        liststore.import_markdown(session, edited.encode("utf-8"), source="list.md")
    async with running(bot_settings, db):  # nothing changed in Discord while away: nothing to do
        assert list_md(bot_settings) == edited
        assert decision_count(db) == 1 and row(db, candidate_id).status == "approved"
        await fake.unreact(mid, MAINTAINER, "✅")  # and taking it back still undoes it
        await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "taken back")
    assert row(db, candidate_id).status == "pending"


@pytest.mark.asyncio
async def test_a_message_deleted_while_the_database_failed_is_posted_again_once_it_works(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A candidate's message deleted while the database failed for a moment was forgotten: the candidate stayed marked
    as posted, in no message anyone could react to, until the bot's next restart."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        rename(db, "candidates", "candidates_away")
        await fake.delete_message(mid)
        await rounds(bot, 2)
        await asyncio.to_thread(rename, db, "candidates_away", "candidates")
        await eventually(lambda: row(db, candidate_id).discord_message_id not in (None, str(mid)), "posted again")
    assert list(fake.messages) == [int(row(db, candidate_id).discord_message_id or 0)]  # the new message


@pytest.mark.asyncio
async def test_the_bots_reactions_a_moderator_cleared_while_it_was_away_are_put_back_when_it_starts(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Reactions cleared while the bot ran were put back at once, but not those cleared while it was away: the
    messages were left with no ✅ or ❌ to click, for good."""
    async with running(bot_settings, db) as bot:
        _candidate_id, mid = await posted_candidate(fake, db, bot, 0)
    await fake.clear_reactions(mid)  # no gateway event reaches the bot
    async with running(bot_settings, db):
        await eventually(lambda: fake.reactors(mid, "✅") == fake.reactors(mid, "❌") == [BOT_ID], "put back")


@pytest.mark.asyncio
async def test_a_check_mark_and_the_suggested_sections_emoji_left_while_away_agree_and_approve(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """✅ (approve into the suggested section) and that section's own emoji ask for the same thing, but left by two
    maintainers while the bot was away they were read as disagreeing: the paper stayed pending under a "Reactions
    disagree" line."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)  # suggested: Sparse Autoencoder (🧩)
    await fake.react(mid, MAINTAINER, "✅", online=False)
    await fake.react(mid, LISTED_MAINTAINER, "🧩", online=False)
    async with running(bot_settings, db):  # start() returns once caught up
        pass
    assert (row(db, candidate_id).status, row(db, candidate_id).decided_section) == ("approved", "Sparse Autoencoder")
    assert paper["arxiv_id"] in list_md(bot_settings)
    assert "disagree" not in last_embed(fake, mid)["description"]
    decisions = decision_count(db)
    async with running(bot_settings, db):  # nothing changed while away: nothing to do
        pass
    assert decision_count(db) == decisions


@pytest.mark.asyncio
async def test_a_paper_a_maintainer_approved_with_add_stays_approved_after_a_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """/add on a candidate already posted for review is recorded as a Discord decision like a reaction, so a restart
    within 14 days, finding no reaction of that maintainer's under the message, read it as taken back: the paper went
    out of the list again."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
        token = await fake.use_command(MAINTAINER, "add", {"paper": paper["arxiv_id"], "section": "Probing"})
        await eventually(lambda: len(fake.answers(token)) >= 1, "the bot answered")
        assert fake.answers(token)[-1].startswith(f"{paper['arxiv_id']}: approved into Probing")
        await eventually(lambda: "Approved by ann into Probing" in last_embed(fake, mid)["description"], "shown")
    async with running(bot_settings, db):  # nothing changed in Discord while away: nothing to do
        pass
    assert (row(db, candidate_id).status, row(db, candidate_id).decided_section) == ("approved", "Probing")
    assert paper["arxiv_id"] in list_md(bot_settings) and decision_count(db) == 1


@pytest.mark.asyncio
async def test_a_paper_approved_with_add_before_the_upgrade_stays_approved_after_it(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The release before this one recorded an /add like a reaction (no decisions.command), and the upgrade read its
    rows so: an /add approval made in the 14 days before upgrading, on a candidate posted for review, was taken back
    at the first start (no reaction of that maintainer's under the message), the paper out of the list."""
    from alembic import command

    from digest.storage.db import alembic_config

    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
        token = await fake.use_command(MAINTAINER, "add", {"paper": paper["arxiv_id"], "section": "Probing"})
        await eventually(lambda: len(fake.answers(token)) >= 1, "the bot answered")
        await eventually(lambda: "Approved by ann into Probing" in last_embed(fake, mid)["description"], "shown")
    command.downgrade(alembic_config(db.engine), "0014")  # the database as the release before left it
    command.upgrade(alembic_config(db.engine), "head")  # and this release's first start
    async with running(bot_settings, db):
        pass
    assert (row(db, candidate_id).status, row(db, candidate_id).decided_section) == ("approved", "Probing")
    assert paper["arxiv_id"] in list_md(bot_settings) and decision_count(db) == 1
