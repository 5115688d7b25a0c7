"""The review bot over months, with decisions made in several places: reactions of members who were not maintainers
then, a config whose section emojis change, a reaction against a decision made on the web or the CLI, a post whose
process was killed before it was recorded, and what each restart says. The real discord.py client against the fake
Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.discord.markup import escape
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Decision
from tests.conftest import DATA_DIR, make_settings
from tests.discord_bot import (
    PENDING_COLOUR,
    decision_count,
    eventually,
    last_embed,
    list_md,
    message_id,
    posted_candidate,
    row,
    running,
)
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import (
    BOT_ID,
    GUILD_ID,
    LISTED_MAINTAINER,
    MAINTAINER,
    MAINTAINER_ROLE_ID,
    STRANGER,
    FakeDiscord,
    FakeMember,
)
from tests.killed import run_killed


async def _an_add_made_before_the_upgrade(fake: FakeDiscord, db: Database, bot_settings: Settings) -> int:
    """A paper approved by /add, its decision then taken through the upgrade to schema 0015 (logged as a reaction's,
    which cannot be told from an /add's): its candidate id."""
    from alembic import command

    from digest.storage.db import alembic_config

    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        await eventually(lambda: GUILD_ID in fake.commands, "commands registered")
        token = await fake.use_command(MAINTAINER, "add", {"paper": real_papers()[0]["arxiv_id"], "section": "Probing"})
        await eventually(lambda: len(fake.answers(token)) >= 1, "the bot answered")
        await eventually(lambda: "Approved by ann into Probing" in last_embed(fake, mid)["description"], "shown")
    command.downgrade(alembic_config(db.engine), "0014")
    command.upgrade(alembic_config(db.engine), "head")
    return candidate_id


@pytest.mark.asyncio
async def test_an_add_made_before_the_upgrade_is_logged_about_once_not_at_every_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """An /add approval recorded before schema 0015 (it cannot be told from a reaction) is kept at each catching up,
    and each restart in the following 14 days logged the same "decided before the upgrade" line again for it."""
    paper = real_papers()[0]
    candidate_id = await _an_add_made_before_the_upgrade(fake, db, bot_settings)
    with caplog.at_level(logging.INFO, logger="digest.discord"):
        for _restart in range(3):
            async with running(bot_settings, db):
                pass
    said = [r.getMessage() for r in caplog.records if "decided before the upgrade" in r.getMessage()]
    assert len(said) == 1, said
    assert f"`{same_invocation(bot_settings, 'pending', str(candidate_id))}` undoes it" in said[0], said
    assert (row(db, candidate_id).status, row(db, candidate_id).decided_section) == ("approved", "Probing")
    assert paper["arxiv_id"] in list_md(bot_settings) and decision_count(db) == 1


@pytest.mark.asyncio
async def test_the_pending_command_an_add_before_the_upgrade_names_undoes_it_on_the_service_database_run_as_printed(
    fake: FakeDiscord,
    db: Database,
    bot_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The service's log said the bare `digest pending ID` undoes an approval kept from before the upgrade; run in a
    maintainer's shell elsewhere it read ./data there ("not a candidate") and the paper stayed in the list. The line
    names the service's own invocation: run as printed from another folder, the paper goes back to pending."""
    from digest.cli import main
    from tests.printed import printed_command

    paper = real_papers()[0]
    candidate_id = await _an_add_made_before_the_upgrade(fake, db, bot_settings)
    with caplog.at_level(logging.INFO, logger="digest.discord"):
        async with running(bot_settings, db):
            pass
    [said] = [r.getMessage() for r in caplog.records if "decided before the upgrade" in r.getMessage()]
    printed = printed_command(said, f"pending {candidate_id}")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(printed[1:]) == 0
    assert row(db, candidate_id).status == "pending" and paper["arxiv_id"] not in list_md(bot_settings)
    assert list(elsewhere.iterdir()) == []  # no ./data made in the maintainer's folder


@pytest.mark.asyncio
@pytest.mark.parametrize("elsewhere", ["cli", "web"])
async def test_a_check_mark_after_a_reject_made_elsewhere_does_not_overturn_it_and_says_why(
    fake: FakeDiscord, db: Database, bot_settings: Settings, elsewhere: str
) -> None:
    """bob rejected a paper with `digest reject` (or on the review page); a moment later ann, whose Discord still
    showed it pending, reacted ✅, and the paper went into the list with no word to either of them: the later
    reaction silently overturned a decision made elsewhere. The first decision stands; the message says so, by whom,
    through which channel, and how to change it on purpose; a restart changes nothing either."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        Reviewer(db, bot_settings).decide(candidate_id, "reject", Actor("bob", None, elsewhere))
        await fake.react(mid, MAINTAINER, "✅")
        approve = escape(same_invocation(bot_settings, "approve", str(candidate_id)))  # the service's own database
        await eventually(lambda: approve in last_embed(fake, mid)["description"], "told why")
    description = last_embed(fake, mid)["description"]
    assert f"rejected by bob via {elsewhere}" in description and approve in description
    assert row(db, candidate_id).status == "rejected" and paper["arxiv_id"] not in list_md(bot_settings)
    async with running(bot_settings, db):  # the ✅ is still there: nothing to do
        pass
    assert row(db, candidate_id).status == "rejected" and paper["arxiv_id"] not in list_md(bot_settings)
    with db.reading() as session:
        log = session.execute(select(Decision.action, Decision.channel, Decision.applied).order_by(Decision.id)).all()
    assert [tuple(entry) for entry in log] == [("reject", elsewhere, True), ("approve", "discord", False)]


@pytest.mark.asyncio
@pytest.mark.parametrize("reactions", [["✅"], ["✅", "🕹️"]], ids=["one", "disagreeing"])
async def test_reactions_made_while_away_against_a_reject_made_on_the_web_do_not_approve_once_it_is_undone(
    fake: FakeDiscord, db: Database, bot_settings: Settings, reactions: list[str]
) -> None:
    """While the bot was away, ann put ✅ on a paper and bob rejected it on the review page. The restart did not look
    at the paper (decided on the web), so the ✅ got no word on the message; when bob later put the paper back to
    pending on the web, the next restart approved it by that old ✅, which the reject had overruled, with no one
    acting. It is read as it is when made live: recorded as overruled by the reject, and said so on the message."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
    for member, emoji in zip((MAINTAINER, LISTED_MAINTAINER), reactions, strict=False):
        await fake.react(mid, member, emoji, online=False)
    Reviewer(db, bot_settings).decide(candidate_id, "reject", Actor("bob", None, "web"))
    async with running(bot_settings, db):
        await eventually(lambda: "rejected by bob via web" in last_embed(fake, mid)["description"], "told why")
    assert "disagree" not in last_embed(fake, mid)["description"]  # nothing for the reactions to settle
    Reviewer(db, bot_settings).decide(candidate_id, "revert", Actor("bob", None, "web"))
    async with running(bot_settings, db):
        await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "shown pending")
    assert row(db, candidate_id).status == "pending" and paper["arxiv_id"] not in list_md(bot_settings)


async def eve_reacted_then_promoted(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> tuple[int, int, tuple[int, int], FakeMember]:
    """eve, a reader, puts ✅ on the first candidate (a maintainer's later ❌ on a second shows hers was handled); the
    bot stops and eve is given the maintainer role. Her candidate and its message, the second's, and eve now."""
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        await fake.react(mid, STRANGER, "✅")
        other, other_mid = await posted_candidate(fake, db, bot, 1)
        await fake.react(other_mid, MAINTAINER, "❌")  # handled in arrival order: after eve's
        await eventually(lambda: row(db, other).status == "rejected", "the later reaction applied")
    promoted = FakeMember(STRANGER.id, STRANGER.name, (MAINTAINER_ROLE_ID,))
    fake.members = [promoted if m.id == STRANGER.id else m for m in fake.members]
    return candidate_id, mid, (other, other_mid), promoted


@pytest.mark.asyncio
async def test_a_reaction_made_before_its_author_was_a_maintainer_does_not_decide_when_they_become_one(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """eve, a reader, put ✅ on a paper she liked; months later the server gave her the maintainer role, and the bot's
    next restart read her old ✅ as a maintainer's new reaction and approved the paper. A reaction counts only if its
    author was a maintainer when it was made: to decide now, she reacts again."""
    paper = real_papers()[0]
    candidate_id, mid, _, promoted = await eve_reacted_then_promoted(fake, db, bot_settings)
    async with running(bot_settings, db):  # start() returns once caught up
        assert row(db, candidate_id).status == "pending"
        await fake.unreact(mid, promoted, "✅")
        await fake.react(mid, promoted, "✅")  # her reaction now, as a maintainer
        await eventually(lambda: "Approved by eve" in last_embed(fake, mid)["description"], "approved by eve now")
    assert paper["arxiv_id"] in list_md(bot_settings)
    with db.reading() as session:
        assert session.scalars(select(Decision.actor).where(Decision.candidate_id == candidate_id)).all() == ["eve"]


@pytest.mark.asyncio
async def test_a_reaction_taken_back_and_made_again_at_once_is_one_decision_not_two(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """eve, newly a maintainer, took back her old ✅ and put it on again at once. Taking it back made the bot read the
    message, which showed her new ✅ already (Discord's events come after its API shows them): the bot approved the
    paper there, then approved it a second time when the event of her new ✅ arrived, two decisions in her name for
    one reaction. The event of a reaction already counted decides nothing more."""
    paper = real_papers()[0]
    candidate_id, mid, (other, other_mid), promoted = await eve_reacted_then_promoted(fake, db, bot_settings)
    async with running(bot_settings, db):
        await fake.unreact(mid, promoted, "✅", online=False)
        await fake.react(mid, promoted, "✅", online=False)
        await fake.announce(mid, promoted, "✅", added=False)
        await fake.announce(mid, promoted, "✅", added=True)
        await eventually(lambda: "Approved by eve" in last_embed(fake, mid)["description"], "approved by eve")
        await fake.react(other_mid, MAINTAINER, "✅")  # a later event: eve's new ✅ has been handled by then
        await eventually(lambda: row(db, other).status == "approved", "the later reaction applied")
    assert paper["arxiv_id"] in list_md(bot_settings)
    with db.reading() as session:
        log = session.execute(
            select(Decision.actor, Decision.action).where(Decision.candidate_id == candidate_id).order_by(Decision.id)
        ).all()
    assert [tuple(entry) for entry in log] == [("eve", "approve")]


@pytest.mark.asyncio
async def test_a_section_emoji_given_to_another_section_in_the_config_moves_no_paper_approved_with_it(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """🔭 meant Logit Lens; the maintainers gave it to Probing in the config and restarted, and every paper approved
    with 🔭 in the last 14 days moved to Probing (taken out of Logit Lens and approved again, two more decisions in
    ann's name). A recorded decision keeps its section; the config applies to reactions made from then on, and taking
    the old 🔭 back still undoes what it did."""
    paper = real_papers()[0]
    before = make_settings(
        tmp_path / "data",
        fake.config_toml(extra='[discord.section_emojis]\n"logit lens" = "🔭"\n'),
        {"DISCORD_TOKEN": "fake-token"},
    )
    db = open_service_database(before)
    try:
        async with running(before, db) as bot:
            candidate_id, mid = await posted_candidate(fake, db, bot, 0)
            await fake.react(mid, MAINTAINER, "🔭")
            await eventually(lambda: "into Beyond or Logit Lens" in last_embed(fake, mid)["description"], "approved")
        after = make_settings(
            tmp_path / "data",
            fake.config_toml(extra='[discord.section_emojis]\n"Probing" = "🔭"\n'),
            {"DISCORD_TOKEN": "fake-token"},
        )
        async with running(after, db) as bot:
            assert (row(db, candidate_id).status, row(db, candidate_id).decided_section) == (
                "approved",
                "Beyond or Logit Lens",
            )
            assert decision_count(db) == 1
            _other, other_mid = await posted_candidate(fake, db, bot, 1)
            await fake.react(other_mid, MAINTAINER, "🔭")  # a new reaction: the config as it is now
            await eventually(lambda: "into Probing" in last_embed(fake, other_mid)["description"], "new one")
            await fake.unreact(mid, MAINTAINER, "🔭")
            await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "taken back")
        assert row(db, candidate_id).status == "pending" and paper["arxiv_id"] not in list_md(after)
    finally:
        db.dispose()


@pytest.mark.asyncio
async def test_a_post_killed_before_it_was_recorded_is_not_posted_again_at_the_next_start(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """The service was killed (an OOM kill, a deploy past its grace) after Discord took a candidate's message but
    before the bot recorded it: the next start posted the candidate again, and the channel held two messages for
    one paper, the first with nobody's reactions counted. The next start now finds its message in the channel."""
    feed = DATA_DIR / "arxiv" / "rss" / "rss_cs.CL_2026-04-27_trimmed-3items.xml"
    sources = f'[arxiv]\nsources = ["{feed}"]\napi_url = "http://127.0.0.1:9/api"\n'
    settings = make_settings(tmp_path / "data", fake.config_toml() + sources, {"DISCORD_TOKEN": "fake-token"})
    db = open_service_database(settings)
    try:
        candidate_id = insert_candidate(db, real_papers()[0])
        (tmp_path / ".env").write_text("DISCORD_TOKEN=fake-token\n", encoding="utf-8")
        options = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(settings.data_dir)]
        await asyncio.to_thread(
            run_killed, "digest.discord.store:update", "before", [*options, "run", "--once"], tmp_path
        )
        assert len(fake.messages) == 1  # Discord has it; the database does not know
        async with running(settings, db) as bot:
            await bot.post_pending()
            mid = message_id(db, candidate_id)
            await fake.react(mid, MAINTAINER, "✅")
            await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "approved")
        assert list(fake.messages) == [mid]
        assert fake.reactors(mid, "❌") == [BOT_ID]
    finally:
        db.dispose()


@pytest.mark.asyncio
async def test_a_section_emoji_dropped_from_the_config_undoes_nothing_until_its_reaction_is_taken_back(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """The maintainers dropped 🦉 from [discord.section_emojis]: the next restart read the 🦉 still under a paper
    approved with it as no reaction at all and took the paper out of the list; and once that was fixed, taking the 🦉
    back was ignored until a later restart undid it. The approval stands while its reaction does, and taking the
    reaction back returns the paper to pending at once, as for any deciding reaction."""
    paper = real_papers()[0]
    emojis = '[discord.section_emojis]\n"logit lens" = "🦉"\n'
    before = make_settings(tmp_path / "data", fake.config_toml(extra=emojis), {"DISCORD_TOKEN": "fake-token"})
    db = open_service_database(before)
    try:
        async with running(before, db) as bot:
            candidate_id, mid = await posted_candidate(fake, db, bot, 0)
            await fake.react(mid, MAINTAINER, "🦉")
            await eventually(lambda: "into Beyond or Logit Lens" in last_embed(fake, mid)["description"], "approved")
        after = make_settings(tmp_path / "data", fake.config_toml(), {"DISCORD_TOKEN": "fake-token"})
        async with running(after, db):
            assert row(db, candidate_id).status == "approved" and paper["arxiv_id"] in list_md(after)
            await fake.unreact(mid, MAINTAINER, "🦉")
            await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "taken back")
        assert row(db, candidate_id).status == "pending" and paper["arxiv_id"] not in list_md(after)
    finally:
        db.dispose()


@pytest.mark.asyncio
async def test_a_reaction_on_a_message_a_killed_process_did_not_record_decides_once_it_is_found(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """A maintainer approved the candidate in the message a killed service had sent but not recorded; the next start
    found that message but not what had been done to it: the paper stayed pending under ann's ✅ until a later
    restart caught up on it."""
    feed = DATA_DIR / "arxiv" / "rss" / "rss_cs.CL_2026-04-27_trimmed-3items.xml"
    sources = f'[arxiv]\nsources = ["{feed}"]\napi_url = "http://127.0.0.1:9/api"\n'
    settings = make_settings(tmp_path / "data", fake.config_toml() + sources, {"DISCORD_TOKEN": "fake-token"})
    db = open_service_database(settings)
    try:
        candidate_id = insert_candidate(db, real_papers()[0])
        (tmp_path / ".env").write_text("DISCORD_TOKEN=fake-token\n", encoding="utf-8")
        options = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(settings.data_dir)]
        killed_at = ("digest.discord.store:update", "before")  # the first write after the post: its record
        await asyncio.to_thread(run_killed, *killed_at, [*options, "run", "--once"], tmp_path)
        [mid] = list(fake.messages)
        await fake.react(mid, MAINTAINER, "✅", online=False)
        async with running(settings, db) as bot:
            await bot.post_pending()
            await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "approved")
        assert row(db, candidate_id).status == "approved" and list(fake.messages) == [mid]
    finally:
        db.dispose()


@pytest.mark.asyncio
async def test_a_former_maintainers_approvals_are_not_logged_again_at_every_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """ann stepped down; her ✅ stays under the papers she approved, and each restart in the next 14 days logged
    "ignored a reaction ... by non-maintainer" twice for every one of them, reactions the bot had long seen."""
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "approved")
    fake.leave(MAINTAINER, roles=())
    with caplog.at_level(logging.INFO, logger="digest.discord"):
        for _restart in range(3):
            async with running(bot_settings, db):
                pass
    said = [r.getMessage() for r in caplog.records if "ignored a reaction" in r.getMessage()]
    assert said == [], said
    assert row(db, candidate_id).status == "approved" and decision_count(db) == 1
