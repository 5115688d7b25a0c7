"""A channel Discord rate-limited for minutes (ChannelHolds), beyond the bot's posts, edits and reactions: its reads
(catching up on the channel's messages) wait the hold out too, and what was kept back meanwhile (a reaction made while
the bot was away, the notice of how many candidates wait on the review page) is acted on once, after it. And what one
edit of a message costs the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event

from digest.cli import main
from digest.config import Settings
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.discord_bot import (
    Skipping,
    approved_by_ann,
    eventually,
    last_embed,
    posted_candidate,
    rounds,
    row,
    running,
    since,
)
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import BOT_ID, CHANNEL_ID, MAINTAINER, FakeDiscord

LONG = 600.0  # Discord's answer to a bot that keeps hitting its limit: minutes


@pytest.fixture
def bot_settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    """One candidate a posting run: a run leaves the others waiting on the review page, and says so in the channel."""
    return make_settings(tmp_path / "data", fake.config_toml(post_cap=1), {"DISCORD_TOKEN": "fake-token"})


def identified(fake: FakeDiscord) -> int:
    """How many times the bot identified to the gateway (a new session, after which it catches up on the channel)."""
    return sum(frame.get("op") == 2 for frame in fake.frames)


@pytest.mark.asyncio
async def test_a_held_channel_is_not_read_until_discord_allows_it_and_a_reaction_made_meanwhile_decides_then(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path
) -> None:
    """The bot's edit answered 429 for ten minutes holds the channel; the gateway session then expires and ann's ✅
    comes while the bot is away. Catching up after it identified anew read the channel's history and messages all the
    same, each read answered 429 in practice (Discord's limit covers the channel) and counted toward a ban. No request
    goes to the channel until the wait is over; then the ✅ approves the paper and both messages show their decision."""
    clock = Skipping()
    async with running(bot_settings, db, sync_interval=0.05, clock=clock) as bot:
        rejected, rejected_mid = await posted_candidate(fake, db, bot, 0)
        approved, mid = await posted_candidate(fake, db, bot, 1)
        fake.fail_next(1, 429, retry_after=LONG)
        assert main(["--data-dir", str(data_dir), "reject", str(rejected)]) == 0
        await eventually(lambda: bool(fake.requests("PATCH")), "the edit answered 429")
        mark, sessions = len(fake.received), identified(fake)
        fake.resume_gate, fake.session_expired = asyncio.Event(), True
        await fake.reconnect_request()
        await eventually(lambda: any(frame.get("op") == 6 for frame in fake.frames), "the bot resumes")
        await fake.react(mid, MAINTAINER, "✅")  # while the bot is away
        fake.resume_gate.set()
        await eventually(lambda: identified(fake) == sessions + 1 and bot.caught_up.is_set(), "identified anew")
        await rounds(bot, 20)
        channel = f"/channels/{CHANNEL_ID}/"
        assert [said for said in since(fake, mark) if channel in said] == []
        assert row(db, approved).status == "pending"
        clock.skip(LONG)
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "the ✅ acted on")
        await eventually(lambda: "Rejected by" in last_embed(fake, rejected_mid)["description"], "the rejection shown")
    assert row(db, approved).status == "approved"


def notices(fake: FakeDiscord) -> list[str]:
    """The bot's messages that are text alone (the candidates' are embeds): the notices of candidates waiting."""
    return [body["content"] for body in fake.posted() if body.get("content")]


@pytest.mark.asyncio
@pytest.mark.parametrize("decided_meanwhile", [False, True], ids=["still-waiting", "decided-meanwhile"])
async def test_the_waiting_notice_a_held_channel_kept_back_is_said_once_the_hold_is_over(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, decided_meanwhile: bool
) -> None:
    """A run posts one of three candidates and its ✅ is answered 429 for ten minutes: the notice that two wait on the
    review page was skipped, and only a later run that posted (the next poll's) said it. It is said once the wait is
    over, once; not when the two were decided meanwhile (no longer true)."""
    ids = [insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:3])]
    clock = Skipping()
    async with running(bot_settings, db, sync_interval=0.05, clock=clock) as bot:
        hold = fake.hold_next("PUT", "/reactions/")
        posting = asyncio.ensure_future(bot.post_pending())
        await hold.arrived.wait()
        fake.fail_next(1, 429, retry_after=LONG)
        hold.released.set()
        report = await posting
        await rounds(bot, 20)
        assert (report.posted, report.waiting) == (1, 2) and notices(fake) == []
        if decided_meanwhile:
            assert main(["--data-dir", str(data_dir), "reject", str(ids[1]), str(ids[2])]) == 0
        clock.skip(LONG)
        mid = int(row(db, ids[0]).discord_message_id or 0)
        await eventually(lambda: fake.reactors(mid, "❌") == [BOT_ID], "the bot's reactions added after the wait")
        if not decided_meanwhile:
            await eventually(lambda: bool(notices(fake)), "the notice said")
        await rounds(bot, 20)
    review_page = f"{bot_settings.web.base_url.rstrip('/')}/review"
    assert notices(fake) == ([] if decided_meanwhile else [f"2 more candidates wait on the review page: {review_page}"])
    assert len(fake.posted()) == 1 + len(notices(fake))  # no other candidate posted meanwhile


@pytest.mark.asyncio
async def test_an_edit_reads_the_database_in_one_session(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Each edit of an approved candidate's message read the database in three sessions besides its write (the
    candidate, its suggested section as the list has it, the section it went into now), the list's sections three
    times: 4 connections and 7 SELECTs an edit. Now one session reads the three, the sections once: 2 connections (the
    read, the write) and 5 SELECTs (the candidate, the sections, the papers' entries, the decision that stands, whose
    channel the message names when it is not Discord; the write's own)."""
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        statements: list[str] = []
        checkouts: list[object] = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        event.listen(db.engine.pool, "checkout", lambda *args: checkouts.append(args[0]))
        await bot.editor.show(candidate_id, note="a note")
    print(f"one edit: {len(statements)} statements in {len(checkouts)} connections:", *statements, sep="\n")
    assert "a note" in last_embed(fake, mid)["description"]
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(checkouts) == 2 and len(reads) == 5, statements
