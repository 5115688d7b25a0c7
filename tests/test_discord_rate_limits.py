"""Discord's 429 (rate limited, retry_after) on the bot's post, its reactions and its edits: it waits as told (a wait
of minutes in the background, not blocking the bot), the message is posted once, and the candidate is marked posted
only once Discord has the message."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.storage.db import Database
from tests.discord_bot import Skipping, eventually, last_embed, posted_candidate, rounds, row, running, since
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import BOT_ID, CHANNEL_ID, MAINTAINER, FakeDiscord

RETRY_AFTER = 0.4


@pytest.mark.asyncio
async def test_a_429_on_the_post_is_waited_out_and_the_message_is_posted_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    candidate_id = insert_candidate(db, real_papers()[0])
    async with running(bot_settings, db) as bot:
        hold = fake.hold_next("POST", "/messages")
        posting = asyncio.ensure_future(bot.post_pending())
        await hold.arrived.wait()
        fake.fail_next(1, 429, retry_after=RETRY_AFTER)
        hold.released.set()
        await eventually(lambda: not fake.faults, "the 429 answered")
        assert row(db, candidate_id).discord_state == "sending"  # Discord has no message yet
        report = await posting
    assert (report.posted, report.failed) == (1, 0)
    tries = fake.requests("POST", "/messages")
    assert len(tries) == 2 and tries[1].at - tries[0].at >= RETRY_AFTER * 0.9
    assert len(fake.posted()) == 1
    stored = row(db, candidate_id)
    assert stored.discord_state == "posted" and stored.discord_message_id == str(max(fake.messages))


@pytest.mark.asyncio
async def test_a_429_on_a_reaction_is_waited_out_and_the_reaction_added_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    candidate_id = insert_candidate(db, real_papers()[0])
    async with running(bot_settings, db) as bot:
        hold = fake.hold_next("PUT", "/reactions/")
        posting = asyncio.ensure_future(bot.post_pending())
        await hold.arrived.wait()
        fake.fail_next(1, 429, retry_after=RETRY_AFTER)
        hold.released.set()
        report = await posting
    assert (report.posted, report.failed) == (1, 0)
    assert len(fake.posted()) == 1
    mid = max(fake.messages)
    assert fake.reactors(mid, "✅") == [BOT_ID] and fake.reactors(mid, "❌") == [BOT_ID]
    first = fake.requests("PUT", "/reactions/")
    assert len(first) == 3 and first[1].path == first[0].path and first[1].at - first[0].at >= RETRY_AFTER * 0.9
    assert row(db, candidate_id).discord_state == "posted"


@pytest.mark.asyncio
async def test_a_429_of_minutes_on_an_edit_fails_it_in_one_line_and_keeps_the_decision(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Discord answering a ✅'s message edit with a 429 of ten minutes held the bot's reaction handling that long (the
    client waits out any retry_after: no max_ratelimit_timeout), the message showing 'pending' and saying nothing.
    The wait is bounded: past it the edit fails at once, in one line naming the wait, the approval recorded and the
    edit left to the bot's retries."""
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        fake.fail_next(1, 429, retry_after=600)
        with caplog.at_level(logging.INFO, logger="digest.discord"):
            await fake.react(mid, MAINTAINER, "✅")
            await eventually(lambda: bool(ours(caplog)), "the long 429 said by the bot")
        assert row(db, candidate_id).status == "approved"
    said = ours(caplog)
    assert len(said) == 1 and "\n" not in said[0] and "rate" in said[0], said
    assert "Traceback" not in caplog.text


def ours(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The bot's own lines naming the wait (discord.py's logger says its own)."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("digest.") and "600" in r.getMessage()]


LONG = 600.0  # Discord's answer to a bot that keeps hitting its limit: minutes


@pytest.mark.asyncio
async def test_a_post_rate_limited_for_minutes_is_not_sent_again_before_discord_allows_it(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Discord answering a post 429 for ten minutes: the bot tried again after its own back-off (from a few seconds),
    each try answered 429 again and counting toward Discord's ban of the bot's address. It waits what Discord asked,
    whoever asks for a posting run meanwhile (a poll), then posts the candidates in order, each once."""
    ids = [insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:2])]
    clock = Skipping()
    async with running(bot_settings, db, sync_interval=0.05, clock=clock) as bot:
        fake.limit("POST", "/messages", LONG)
        report = await bot.post_pending()
        assert (report.posted, report.failed) == (0, 1)
        await rounds(bot, 20)
        assert (await bot.post_pending()).posted == 0  # a poll's run within the wait sends nothing either
        assert len(fake.requests("POST", "/messages")) == 1 and fake.posted() == []
        fake.lift()
        clock.skip(LONG)

        def posted() -> bool:
            return all(row(db, i).discord_state == "posted" for i in ids)

        await eventually(posted, "the candidates posted once the limit is over")
    footers = [body["embeds"][0]["footer"]["text"].split(" ·")[0] for body in fake.posted()]
    assert footers == [f"Candidate {ids[0]}", f"Candidate {ids[1]}"]
    assert len(fake.requests("POST", "/messages")) == 3


@pytest.mark.asyncio
async def test_an_edit_rate_limited_for_minutes_is_not_sent_again_before_discord_allows_it(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A ✅ whose message edit Discord rate-limits for ten minutes: the edit is tried again once they are over, not
    every few seconds meanwhile, and the message then shows the approval."""
    clock = Skipping()
    async with running(bot_settings, db, sync_interval=0.05, clock=clock) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        fake.limit("PATCH", f"/messages/{mid}", LONG)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: bool(fake.requests("PATCH")), "the edit tried")
        await rounds(bot, 20)
        assert len(fake.requests("PATCH")) == 1 and "Approved by" not in last_embed(fake, mid)["description"]
        fake.lift()
        clock.skip(LONG)
        await eventually(lambda: "Approved by" in last_embed(fake, mid)["description"], "the message edited")
    assert row(db, candidate_id).status == "approved"
    assert len(fake.requests("PATCH")) == 2


@pytest.mark.asyncio
async def test_a_reaction_rate_limited_for_minutes_is_not_added_again_before_discord_allows_it(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The bot's ✅ on a new message rate-limited for ten minutes: added once they are over, not tried every round."""
    candidate_id = insert_candidate(db, real_papers()[0])
    clock = Skipping()
    async with running(bot_settings, db, sync_interval=0.05, clock=clock) as bot:
        fake.limit("PUT", "/reactions/", LONG)
        assert (await bot.post_pending()).posted == 1
        mid = max(fake.messages)
        await rounds(bot, 20)
        assert len(fake.requests("PUT", "/reactions/")) == 1 and fake.reactors(mid, "✅") == []
        fake.lift()
        clock.skip(LONG)
        await eventually(lambda: fake.reactors(mid, "❌") == [BOT_ID], "the bot's reactions added")
    assert fake.reactors(mid, "✅") == [BOT_ID]
    assert len(fake.requests("PUT", "/reactions/")) == 3
    assert row(db, candidate_id).discord_state == "posted"


@pytest.mark.asyncio
async def test_a_long_429_on_an_edit_holds_the_rounds_other_edits_in_that_channel_until_discord_allows_them(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Three candidates rejected on the command line: the round's first edit answered 429 for ten minutes, the other
    two edits in the same channel still went out, each to be answered 429 by Discord (discord.py forgets a 429 it
    raises) and counted toward a ban. The round now stops editing in that channel, says once when it tries again, and
    every message shows its rejection once the wait is over."""
    clock = Skipping()
    async with running(bot_settings, db, sync_interval=0.05, clock=clock) as bot:
        posted = [await posted_candidate(fake, db, bot, n) for n in range(3)]
        fake.fail_next(1, 429, retry_after=LONG)
        with caplog.at_level(logging.INFO, logger="digest.discord"):
            assert main(["--data-dir", str(data_dir), "reject", *(str(c) for c, _mid in posted)]) == 0
            await eventually(lambda: bool(fake.requests("PATCH")), "the first edit tried")
            await rounds(bot, 20)
        assert len(fake.requests("PATCH")) == 1
        assert not any("Rejected by" in last_embed(fake, mid)["description"] for _c, mid in posted)
        said = [r.getMessage() for r in caplog.records if r.name.startswith("digest.") and "before" in r.getMessage()]
        assert len(said) == 1 and "in 600 s" in said[0] and "UTC" in said[0], said
        clock.skip(LONG)

        def shown() -> bool:
            return all("Rejected by" in last_embed(fake, mid)["description"] for _c, mid in posted)

        await eventually(shown, "every rejection shown")
        # Each edit is recorded once Discord answered it: after the message shows it, not with it.
        await eventually(
            lambda: all(row(db, c).discord_shown_status == "rejected" for c, _mid in posted),
            "every rejection recorded as shown",
        )
    assert len(fake.requests("PATCH")) == 4
    assert all(row(db, c).discord_shown_status == "rejected" for c, _mid in posted)


@pytest.mark.asyncio
async def test_a_long_429_on_a_post_holds_the_rounds_edits_in_that_channel_until_discord_allows_them(
    fake: FakeDiscord, db: Database, bot_settings: Settings, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A new candidate's post answered 429 for ten minutes: the bot went on editing in that channel (a rejection made
    on the command line), each edit to be answered 429 too. Nothing more is sent there until the wait is over, one line
    says when; then the candidate is posted once and the rejection shown."""
    clock = Skipping()
    async with running(bot_settings, db, sync_interval=0.05, clock=clock) as bot:
        rejected, mid = await posted_candidate(fake, db, bot, 0)
        hold = fake.hold_next("POST", "/messages")
        new = insert_candidate(db, real_papers()[1])
        await hold.arrived.wait()  # the background round posting it, waiting on Discord
        mark = len(fake.received) - 1
        fake.fail_next(1, 429, retry_after=LONG)
        assert main(["--data-dir", str(data_dir), "reject", str(rejected)]) == 0
        with caplog.at_level(logging.INFO, logger="digest.discord"):
            hold.released.set()
            await rounds(bot, 20)
        assert since(fake, mark) == [f"POST /api/v10/channels/{CHANNEL_ID}/messages"]
        said = ours(caplog)
        assert len(said) == 1 and "before" in said[0] and "UTC" in said[0], said
        clock.skip(LONG)
        await eventually(lambda: row(db, new).discord_state == "posted", "the new candidate posted")
        await eventually(lambda: "Rejected by" in last_embed(fake, mid)["description"], "the rejection shown")
        new_mid = int(row(db, new).discord_message_id or 0)
        await eventually(lambda: fake.reactors(new_mid, "❌") == [BOT_ID], "the new message's reactions")
    footers = [body["embeds"][0]["footer"]["text"].split(" ·")[0] for body in fake.posted()]
    assert footers == [f"Candidate {rejected}", f"Candidate {new}"]
    assert fake.reactors(new_mid, "✅") == [BOT_ID]


@pytest.mark.asyncio
async def test_a_long_429_on_a_reaction_holds_the_rounds_posts_in_that_channel_until_discord_allows_them(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot's ✅ under the first of two new messages answered 429 for ten minutes: the run went on posting the
    second and reacting under it, each answered 429 too. Nothing more is sent there until the wait is over, one line
    says when; then the second is posted once, and both messages have the bot's ✅ and ❌ once."""
    ids = [insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:2])]
    clock = Skipping()
    async with running(bot_settings, db, sync_interval=0.05, clock=clock) as bot:
        hold = fake.hold_next("PUT", "/reactions/")
        with caplog.at_level(logging.INFO, logger="digest.discord"):
            posting = asyncio.ensure_future(bot.post_pending())
            await hold.arrived.wait()
            mark = len(fake.received) - 1
            fake.fail_next(1, 429, retry_after=LONG)
            hold.released.set()
            report = await posting
            await rounds(bot, 20)
        assert (report.posted, report.waiting) == (1, 1)
        assert len(since(fake, mark)) == 1 and since(fake, mark)[0].startswith("PUT "), since(fake, mark)
        said = ours(caplog)
        assert len(said) == 1 and "before" in said[0] and "UTC" in said[0], said
        clock.skip(LONG)
        await eventually(lambda: row(db, ids[1]).discord_state == "posted", "the second candidate posted")
        mids = [int(row(db, i).discord_message_id or 0) for i in ids]

        def reacted() -> bool:
            return all(fake.reactors(m, e) == [BOT_ID] for m in mids for e in ("✅", "❌"))

        await eventually(reacted, "the bot's reactions under both messages")
    footers = [body["embeds"][0]["footer"]["text"].split(" ·")[0] for body in fake.posted()]
    assert footers == [f"Candidate {ids[0]}", f"Candidate {ids[1]}"]
    assert len(fake.requests("PUT", "/reactions/")) == 5
