"""The review bot restarted while a reaction waits to be acted on: a maintainer's reaction on a paper decided weeks ago
(its message older than the fortnight catching up looks at) that the database or a member lookup kept the bot from
acting on at once. The real discord.py client against the fake Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from digest.cli import main
from digest.config import Settings
from digest.discord.bot import ReviewBot
from digest.service.wiring import open_service_database
from digest.storage.db import Database, alembic_config, create_database_engine
from tests.discord_bot import (
    WEB_ANN,
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
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import CHANNEL_ID, LISTED_MAINTAINER, MAINTAINER, FakeDiscord


def a_month_ago(database: Database) -> None:
    with database.transaction() as session:
        session.execute(text("UPDATE decisions SET at = datetime(at, '-30 days')"))


@pytest.mark.asyncio
async def test_a_reaction_the_database_failed_to_take_on_an_old_paper_is_applied_after_a_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann's ❌ on a paper approved a month ago came while the database was locked; the bot kept the message to catch up
    on in memory only. It was restarted before the database worked again: the ❌ was never applied, the paper stayed."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        a_month_ago(db)
        rename(db, "decisions", "decisions_away")
        await fake.react(mid, MAINTAINER, "❌")
        await rounds(bot, 3)
        assert row(db, candidate_id).status == "approved"
    await asyncio.to_thread(rename, db, "decisions_away", "decisions")
    async with running(bot_settings, db, sync_interval=0.05):  # start() returns once caught up
        assert "Rejected by ann" in last_embed(fake, mid)["description"]
    assert row(db, candidate_id).status == "rejected"
    assert row(db, candidate_id).arxiv_id not in list_md(bot_settings)
    a_month_ago(db)
    fetched = len(fake.requests("GET", f"/messages/{mid}"))
    async with running(bot_settings, db):  # caught up for good: not looked at again at every start
        pass
    assert len(fake.requests("GET", f"/messages/{mid}")) == fetched


@pytest.mark.asyncio
async def test_a_reaction_whose_author_could_not_be_looked_up_on_an_old_paper_is_applied_after_a_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann's ❌ on a paper approved a month ago came while Discord failed member lookups (a 503); the bot was restarted
    before Discord answered again, and the next start looked at the last fortnight's papers only: the ❌ was lost."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        a_month_ago(db)
        fake.member_lookup_status = 503
        await fake.react(mid, MAINTAINER, "❌", with_member=False)
        await rounds(bot, 3)
        assert row(db, candidate_id).status == "approved"
    fake.member_lookup_status = None
    async with running(bot_settings, db, sync_interval=0.05):
        await eventually(lambda: "Rejected by ann" in last_embed(fake, mid)["description"], "applied after the restart")
    assert row(db, candidate_id).status == "rejected"
    assert row(db, candidate_id).arxiv_id not in list_md(bot_settings)


@pytest.mark.asyncio
async def test_the_owed_messages_step_keeps_every_decision_both_ways(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """0018 adds the table of messages owed a catching up to a database the release before left (decisions in it);
    going back to 0017 drops only that table."""
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
    db.dispose()
    engine = create_database_engine(str(db.engine.url))
    try:
        command.downgrade(alembic_config(engine), "0017")
        assert "discord_owed_messages" not in inspect(engine).get_table_names()
        command.upgrade(alembic_config(engine), "0018")
        assert "discord_owed_messages" in inspect(engine).get_table_names()
        command.upgrade(alembic_config(engine), "0020")  # and 0020 keeps the reactions waiting for a lookup
        assert "discord_held_reactions" in inspect(engine).get_table_names()
        command.downgrade(alembic_config(engine), "0019")
        assert "discord_held_reactions" not in inspect(engine).get_table_names()
        command.downgrade(alembic_config(engine), "0017")
        command.upgrade(alembic_config(engine), "head")
    finally:
        engine.dispose()
    upgraded = open_service_database(bot_settings)
    try:
        assert decision_count(upgraded) == 1 and row(upgraded, candidate_id).status == "approved"
        async with running(bot_settings, upgraded):  # the bot starts on it and finds nothing to do again
            pass
        assert decision_count(upgraded) == 1 and "Approved by ann" in last_embed(fake, mid)["description"]
    finally:
        upgraded.dispose()


@pytest.mark.asyncio
async def test_a_reaction_waiting_for_its_member_lookup_does_not_overturn_a_later_decision_after_a_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann's ❌ waited for Discord to say who she is (a 503); bob's ✅, made after it, approved. The bot restarted
    before Discord answered: the next start read ann's ❌ as new and rejected the paper over bob's later approval."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        fake.member_lookup_status = 503
        await fake.react(mid, MAINTAINER, "❌", with_member=False)
        await rounds(bot, 3)
        await fake.react(mid, LISTED_MAINTAINER, "✅")  # a maintainer by user id: no lookup needed
        await eventually(lambda: "Approved by bob" in last_embed(fake, mid)["description"], "bob's approval")
    fake.member_lookup_status = None
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        await rounds(bot, 5)
    assert row(db, candidate_id).status == "approved"
    assert "Approved by bob" in last_embed(fake, mid)["description"]
    with db.reading() as session:
        rows = session.execute(text("SELECT actor, action, applied FROM decisions ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("bob", "approve", 1), ("ann", "reject", 0)]


async def overruled_on_an_old_decision(
    fake: FakeDiscord, db: Database, bot: ReviewBot, *, edits_fail: bool = False
) -> tuple[int, int]:
    """web-ann rejected the candidate a month ago; ann puts ✅ on its message now, which changes nothing (`edits_fail`:
    while Discord answers each edit with a 503)."""
    candidate_id, mid = await posted_candidate(fake, db, bot, 0)
    await bot.reviewer.decide_async(candidate_id, "reject", WEB_ANN)
    await eventually(lambda: "Rejected by web-ann" in last_embed(fake, mid)["description"], "the web decision shown")
    a_month_ago(db)
    edits = len(fake.requests("PATCH", f"/messages/{mid}"))
    if edits_fail:
        fake.refuse("PATCH", "/messages/", 503, 0, "Service Unavailable")
    await fake.react(mid, MAINTAINER, "✅")
    await eventually(lambda: len(fake.requests("PATCH", f"/messages/{mid}")) > edits, "the note's edit")
    await rounds(bot, 2)
    return candidate_id, mid


@pytest.mark.asyncio
async def test_a_note_discord_failed_to_show_on_an_old_paper_is_shown_after_a_restart(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann's ✅ on a paper web-ann rejected a month ago changed nothing, and Discord failed the edit saying so (a 503):
    the note was owed in memory only, and the bot restarted before Discord answered again. ann was never told why."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await overruled_on_an_old_decision(fake, db, bot, edits_fail=True)
        a_month_ago(db)
    fake.refusals.clear()
    assert "Couldn't approve" not in last_embed(fake, mid)["description"]
    async with running(bot_settings, db, sync_interval=0.05):
        await eventually(lambda: "Couldn't approve" in last_embed(fake, mid)["description"], "the note shown")
    assert "Rejected by web-ann" in last_embed(fake, mid)["description"]
    assert row(db, candidate_id).status == "rejected"


@pytest.mark.asyncio
async def test_an_embed_put_back_after_a_restart_keeps_the_note_it_showed(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The note on ann's ✅ (web-ann's rejection a month ago stands) was known to this process only: a moderator
    removing the embed after a restart got it put back without the note, so ann's ✅ seemed to do nothing unsaid."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await overruled_on_an_old_decision(fake, db, bot)
        await eventually(lambda: "Couldn't approve" in last_embed(fake, mid)["description"], "the note shown")
        a_month_ago(db)
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        await fake.remove_embeds(mid)
        await eventually(lambda: bool(fake.shown(mid)["embeds"]), "the embed put back")
        await rounds(bot, 3)
        first_line = fake.shown(mid)["embeds"][0]["description"].splitlines()[0]
    assert first_line.startswith("⚠️ Couldn't approve"), first_line
    assert row(db, candidate_id).status == "rejected"


@pytest.mark.asyncio
async def test_a_reaction_made_while_the_gateway_resumes_is_acted_on_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Discord asks the bot to reconnect (op 7); ann's ✅ comes while the bot is away. Discord replays it on RESUME (the
    fake now does, as Discord does: it dropped it), and the bot approves the paper once, one decision recorded."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        fake.resume_gate = asyncio.Event()
        await fake.reconnect_request()
        await eventually(lambda: any(frame.get("op") == 6 for frame in fake.frames), "the bot resumes")
        await fake.react(mid, MAINTAINER, "✅")  # while the bot is away
        fake.resume_gate.set()
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "message edited")
        await fake.reconnect_request()  # a second resume replays nothing already seen
        await eventually(lambda: sum(frame.get("op") == 6 for frame in fake.frames) == 2, "the bot resumes again")
        await rounds(bot, 2)
    assert row(db, candidate_id).status == "approved" and decision_count(db) == 1
    assert list_md(bot_settings).count(f"](https://arxiv.org/abs/{row(db, candidate_id).arxiv_id}) (") == 1


@pytest.mark.asyncio
async def test_a_reaction_made_while_the_gateway_session_expired_is_acted_on_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Guard: Discord refuses the bot's RESUME (op 9, the session expired), so nothing is replayed and the bot
    identifies anew; ann's ✅ made meanwhile is found when it catches up on the channel, and approves the paper once."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        fake.resume_gate, fake.session_expired = asyncio.Event(), True
        identified = sum(frame.get("op") == 2 for frame in fake.frames)
        await fake.reconnect_request()
        await eventually(lambda: any(frame.get("op") == 6 for frame in fake.frames), "the bot resumes")
        await fake.react(mid, MAINTAINER, "✅")  # while the bot is away
        fake.resume_gate.set()
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "message edited")
        await rounds(bot, 2)
    assert sum(frame.get("op") == 2 for frame in fake.frames) == identified + 1  # it identified anew
    assert row(db, candidate_id).status == "approved" and decision_count(db) == 1
    assert list_md(bot_settings).count(f"](https://arxiv.org/abs/{row(db, candidate_id).arxiv_id}) (") == 1


def standing_notices(fake: FakeDiscord) -> list[str]:
    """The channel's messages that are text alone (the candidates' are embeds): the notices of candidates waiting."""
    return [message["content"] for message in fake.messages.values() if message.get("content")]


@pytest.mark.asyncio
async def test_the_waiting_notice_a_restart_made_untrue_is_taken_down(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """`digest run` posted three of seven candidates and said "4 more candidates wait on the review page"; restarted,
    it posted the rest, logged "posted 1 candidate, 0 wait", and the notice stayed up saying 4 wait. The channel holds
    one notice, the one true now, and none once nothing waits."""
    ids = [insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:7])]
    page = f"{bot_settings.web.base_url.rstrip('/')}/review"
    async with running(bot_settings, db) as bot:
        assert (await bot.post_pending()).waiting == 4
    assert standing_notices(fake) == [f"4 more candidates wait on the review page: {page}"]
    async with running(bot_settings, db, sync_interval=0.05) as bot:  # the restart posts what waits, up to the cap
        await eventually(lambda: row(db, ids[5]).discord_state == "posted", "three more posted")
        await eventually(lambda: standing_notices(fake) == [f"1 more candidate waits on the review page: {page}"], "1")
    caplog.set_level(logging.INFO, logger="digest.discord")
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        await eventually(lambda: "discord: posted 1 candidate, 0 wait on the review page" in caplog.text, "the last")
        await eventually(lambda: standing_notices(fake) == [], "the notice taken down")
        await rounds(bot, 3)
    assert len(fake.posted()) == 7 and row(db, ids[6]).discord_state == "posted"


@pytest.mark.asyncio
async def test_the_waiting_notice_is_taken_down_once_what_waited_is_decided_elsewhere(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path
) -> None:
    ids = [insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:4])]
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        assert (await bot.post_pending()).waiting == 1 and len(standing_notices(fake)) == 1
        assert main(["--data-dir", str(data_dir), "reject", str(ids[3])]) == 0  # on the command line (or the web)
        await eventually(lambda: standing_notices(fake) == [], "the notice taken down")
        await rounds(bot, 3)
    history = [r for r in fake.requests("GET") if r.path.endswith(f"/channels/{CHANNEL_ID}/messages")]
    assert len(fake.posted()) == 3 and len(history) == 1  # looked for the earlier notice once, not each round
