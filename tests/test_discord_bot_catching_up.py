"""The review bot and decisions it did not see made: reactions while it was down, decisions from the web page or
the command line, and reactions of members who are (or stopped being) maintainers, end to end against the fake
Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Decision
from tests.conftest import make_settings
from tests.discord_bot import (
    approved_by_ann,
    eventually,
    last_embed,
    list_md,
    message_id,
    posted_candidate,
    row,
    running,
    section_of,
)
from tests.factories import decision_actions, insert_candidate, real_papers
from tests.fake_discord import BOT_ID, LISTED_MAINTAINER, MAINTAINER, STRANGER, FakeDiscord, FakeMember


@pytest.mark.asyncio
async def test_a_reaction_made_while_the_bot_was_down_is_applied_on_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[3]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 3)
    await fake.react(mid, STRANGER, "❌", online=False)
    await fake.react(mid, MAINTAINER, "🧩", online=False)
    assert row(db, candidate_id).status == "pending"
    async with running(bot_settings, db):
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "message edited")
    assert row(db, candidate_id).decided_section == "Sparse Autoencoder"
    assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in section_of(list_md(bot_settings), "Sparse Autoencoder")


@pytest.mark.asyncio
async def test_a_decision_made_elsewhere_edits_the_message(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db, sync_interval=0.1) as bot:
        first, first_mid = await posted_candidate(fake, db, bot, 0)
        second, second_mid = await posted_candidate(fake, db, bot, 1)
        # The web page, in this process: the Reviewer's listener edits at once.
        await bot.reviewer.decide_async(first, "reject", Actor("web-ann", None, "web"))
        assert "Rejected by web-ann" in last_embed(fake, first_mid)["description"]
        # The CLI, another process: only the database changes; the bot notices on its next check.
        Reviewer(db, bot_settings).decide(second, "approve", Actor("cli-bob", None, "cli"), "Steering")
        shown = "Approved by cli-bob via cli into Steering"
        await eventually(lambda: shown in last_embed(fake, second_mid)["description"], "CLI decision shown")
        # The bot records what the message shows right after Discord accepted the edit.
        await eventually(lambda: row(db, second).discord_shown_status == "approved", "shown status recorded")
    assert row(db, second).discord_shown_status == "approved"


@pytest.mark.asyncio
async def test_a_revert_made_elsewhere_is_not_undone_by_the_old_reaction_on_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[2]
    async with running(bot_settings, db) as bot:
        candidate_id, _mid = await approved_by_ann(fake, db, bot, 2)
    # While the bot is down a maintainer takes the approval back on the command line; the ✅ stays on the message.
    Reviewer(db, bot_settings).decide(candidate_id, "revert", Actor("cli-bob", None, "cli"))
    async with running(bot_settings, db):  # start() returns once the bot has caught up
        assert row(db, candidate_id).status == "pending"
    assert paper["arxiv_id"] not in list_md(bot_settings)
    assert decision_actions(db) == ["approve", "revert"]


@pytest.mark.asyncio
async def test_a_stranger_adding_and_removing_the_check_mark_does_not_revert_a_maintainers_approval(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        first, first_mid = await posted_candidate(fake, db, bot, 0)
        second, second_mid = await posted_candidate(fake, db, bot, 1)
        await fake.react(first_mid, MAINTAINER, "✅")
        await eventually(lambda: row(db, first).status == "approved", "approved by the maintainer")
        await fake.react(first_mid, STRANGER, "✅")
        await fake.unreact(first_mid, STRANGER, "✅")
        # Reactions are handled in arrival order: once this one is applied, the stranger's were handled too.
        await fake.react(second_mid, MAINTAINER, "❌")
        await eventually(lambda: row(db, second).status == "rejected", "second rejected")
    assert row(db, first).status == "approved"
    assert "Approved by ann" in last_embed(fake, first_mid)["description"]
    assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in section_of(list_md(bot_settings), "Sparse Autoencoder")
    with db.reading() as session:
        audit = session.execute(select(Decision.candidate_id, Decision.action).order_by(Decision.id)).all()
    assert [tuple(entry) for entry in audit] == [(first, "approve"), (second, "reject")]


@pytest.mark.asyncio
async def test_the_bots_own_reactions_never_decide_even_when_it_holds_the_maintainer_role(
    tmp_path: Path,
) -> None:
    from tests.fake_discord import MAINTAINER_ROLE_ID

    fake = FakeDiscord(bot_roles=(MAINTAINER_ROLE_ID,))
    await fake.start()
    settings = make_settings(tmp_path / "data", fake.config_toml(), {"DISCORD_TOKEN": "fake-token"})
    database = open_service_database(settings)
    try:
        async with running(settings, database) as bot:
            # Posting adds the bot's ✅ and ❌; Discord tells the bot about both, with its maintainer role.
            first, first_mid = await posted_candidate(fake, database, bot, 0)
            second, second_mid = await posted_candidate(fake, database, bot, 1)
            await fake.react(second_mid, MAINTAINER, "❌")
            await eventually(lambda: row(database, second).status == "rejected", "second rejected")
            assert row(database, first).status == "pending"
        # While the bot is away its ❌ goes and a stranger's ✅ joins its ✅: on restart only the bot's own
        # reaction could approve, and it must not.
        fake.reactions[(first_mid, "❌")].remove(BOT_ID)
        await fake.react(first_mid, STRANGER, "✅", online=False)
        async with running(settings, database):  # start() returns once the bot has caught up
            assert row(database, first).status == "pending"
        assert "Approved" not in last_embed(fake, first_mid)["description"]
        with database.reading() as session:
            assert session.scalars(select(Decision.candidate_id)).all() == [second]
    finally:
        database.dispose()
        await fake.close()


def demote(fake: FakeDiscord, member: FakeMember) -> FakeMember:
    """A server admin takes the maintainer role away (a maintainer who stepped down): the member stays."""
    demoted = FakeMember(member.id, member.name, ())
    fake.members = [demoted if m.id == member.id else m for m in fake.members]
    return demoted


@pytest.mark.asyncio
async def test_a_former_maintainers_approvals_stand_after_a_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A maintainer who steps down loses the role; their ✅ stays on the messages. At the bot's next start every
    approval they made in Discord in the last 14 days was taken back out of the list (their reaction no longer
    counted as a maintainer's, so it read as taken back). A reaction still on the message is never taken back."""
    paper = real_papers()[2]
    async with running(bot_settings, db) as bot:
        candidate_id, _mid = await approved_by_ann(fake, db, bot, 2)
        # The list file is written after the decision commits: listed before the restart, as the maintainer saw it.
        await eventually(lambda: paper["arxiv_id"] in list_md(bot_settings), "listed")
    demote(fake, MAINTAINER)
    async with running(bot_settings, db):  # start() returns once the bot has caught up
        assert row(db, candidate_id).status == "approved"
    assert paper["arxiv_id"] in list_md(bot_settings)
    assert decision_actions(db) == ["approve"]


@pytest.mark.asyncio
async def test_a_former_maintainer_taking_their_reaction_back_changes_nothing(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Taking the deciding reaction back returns the paper to pending (README), but only a maintainer's reaction
    counts: one whose role was taken away could still send their approvals back to pending, live or while the bot was
    away, where any other reaction of theirs changes nothing."""
    paper = real_papers()[2]
    async with running(bot_settings, db) as bot:
        first, first_mid = await posted_candidate(fake, db, bot, 2)
        second, second_mid = await posted_candidate(fake, db, bot, 1)
        third, third_mid = await posted_candidate(fake, db, bot, 0)
        await fake.react(first_mid, MAINTAINER, "✅")
        await fake.react(second_mid, MAINTAINER, "❌")
        await eventually(lambda: row(db, second).status == "rejected", "both decided")
        former = demote(fake, MAINTAINER)
        await fake.unreact(first_mid, former, "✅")
        await fake.react(third_mid, LISTED_MAINTAINER, "❌")  # handled in arrival order: after the removal
        await eventually(lambda: row(db, third).status == "rejected", "third rejected")
        assert row(db, first).status == "approved"
    fake.reactions[(second_mid, "❌")].remove(MAINTAINER.id)  # taken back while the bot is away
    async with running(bot_settings, db):
        assert row(db, second).status == "rejected"
    assert row(db, first).status == "approved" and paper["arxiv_id"] in list_md(bot_settings)
    assert "revert" not in decision_actions(db)


@pytest.mark.asyncio
async def test_catching_up_reads_the_messages_in_bulk_not_one_request_each(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """At each start the bot fetched every message of the last fortnight's candidates alone: one request each, slow
    and into Discord's rate limits with hundreds. It reads them from the channel's history, and the reactions made
    while it was away still decide, each on its own paper."""
    async with running(bot_settings, db) as bot:
        ids = [insert_candidate(db, real_papers()[index]) for index in range(3)]
        await bot.post_pending()
    mids = [message_id(db, candidate_id) for candidate_id in ids]
    await fake.react(mids[0], MAINTAINER, "✅", online=False)
    await fake.react(mids[2], MAINTAINER, "❌", online=False)
    before = len(fake.received)
    async with running(bot_settings, db):
        await eventually(lambda: row(db, ids[2]).status == "rejected", "the reaction made while away applied")
    assert [row(db, candidate_id).status for candidate_id in ids] == ["approved", "pending", "rejected"]
    fetched_alone = [
        r.path for r in fake.received[before:] if r.method == "GET" and r.path.endswith(tuple(map(str, mids)))
    ]
    assert fetched_alone == []
    assert fake.requests("GET", "/messages")
