"""A candidate decided on the web while Discord was failing its message: what maintainers see in the review channel
once the bot catches up, and what a reaction on that message does. The real discord.py client against the fake
Discord on 127.0.0.1, a real SQLite file and the list Markdown the Reviewer writes."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from digest.config import Settings
from digest.discord.bot import ReviewBot
from digest.storage.db import Database
from digest.storage.models import Decision
from tests.discord_bot import PENDING_COLOUR, WEB_ANN, eventually, last_embed, list_md, rounds, row, running
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import BOT_ID, MAINTAINER, FakeDiscord

# The bot's background rounds (and its first retry): far enough apart that the test's own posting run, right after the
# start, comes before the loop's (which waits for two quiet rounds), as in the test_discord_recovery modules.
ROUND = 1.0


def discord_keeps_failing(fake: FakeDiscord) -> None:
    """Every post and every look into the channel answered 503, until the test lifts it (fake.refusals.clear()): the
    bot's retries find nothing before the maintainer has decided on the web."""
    fake.refuse("POST", "/messages", 503, 0, "Service Unavailable")
    fake.refuse("GET", "/messages", 503, 0, "Service Unavailable")


async def decided_on_the_web_after_a_failed_post(
    fake: FakeDiscord, bot: ReviewBot, candidate_id: int, *, kept: bool = True
) -> None:
    """The candidate's post answered 503 (`kept`: Discord stored the message all the same), Discord fails a while
    longer, and web-ann rejects the candidate on the review page meanwhile; then Discord answers again."""
    if kept:
        fake.failed_after_create = (503, 1)
    else:
        fake.fail_next(1, 503)
    assert (await bot.post_pending()).failed == 1
    discord_keeps_failing(fake)
    await bot.reviewer.decide_async(candidate_id, "reject", WEB_ANN)
    fake.refusals.clear()


@pytest.mark.asyncio
async def test_a_message_discord_kept_through_a_server_error_shows_the_decision_made_on_the_web_meanwhile(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Discord stored the candidate's message and still answered 503; before the bot's retry found it, web-ann
    rejected the candidate on the review page. The retry looked for pending candidates only, so the message stayed in
    the channel showing the paper pending under its ✅ and ❌ prompts, for good. Now the bot finds it and edits it to
    show the decision."""
    candidate_id = insert_candidate(db, real_papers()[0])
    async with running(bot_settings, db, sync_interval=ROUND) as bot:
        await decided_on_the_web_after_a_failed_post(fake, bot, candidate_id)
        (mid,) = fake.messages
        await eventually(lambda: "Rejected by web-ann" in last_embed(fake, mid)["description"], "the decision shown")
    embed = last_embed(fake, mid)
    assert embed["color"] != PENDING_COLOUR and embed["footer"]["text"].startswith(f"Candidate {candidate_id} ·")
    assert list(fake.messages) == [mid]  # found, not posted a second time
    assert row(db, candidate_id).status == "rejected"


@pytest.mark.asyncio
async def test_a_check_mark_on_the_stale_message_does_not_overturn_the_decision_made_on_the_web(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann saw the stale pending message and put ✅ on it while the bot did not know the message was its own: once
    the bot finds the message, her ✅ does not approve the paper web-ann rejected; the message says why."""
    paper = real_papers()[0]
    candidate_id = insert_candidate(db, paper)
    async with running(bot_settings, db, sync_interval=ROUND) as bot:
        await decided_on_the_web_after_a_failed_post(fake, bot, candidate_id)
        (mid,) = fake.messages
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: "Couldn't approve" in last_embed(fake, mid)["description"], "told why")
        await fake.unreact(mid, MAINTAINER, "✅")
        await fake.react(mid, MAINTAINER, "✅")  # again, now that the bot knows the message
        await eventually(lambda: fake.reactors(mid, "❌") == [BOT_ID], "the bot's reactions")
        await rounds(bot, 3)
    assert "Rejected by web-ann" in last_embed(fake, mid)["description"]
    assert row(db, candidate_id).status == "rejected" and paper["arxiv_id"] not in list_md(bot_settings)
    with db.reading() as session:
        log = [
            tuple(entry) for entry in session.execute(select(Decision.action, Decision.applied).order_by(Decision.id))
        ]
    # web-ann's reject is the one decision that changed anything; ann's check marks are recorded, applied to nothing
    assert log[0] == ("reject", True) and not any(applied for _, applied in log[1:]), log


@pytest.mark.asyncio
async def test_a_candidate_decided_on_the_web_before_its_first_post_went_through_is_not_posted(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Discord failed the post outright (nothing stored) and web-ann rejected the candidate before the retry: the
    channel never shows it, and the bot stops looking for its message."""
    candidate_id = insert_candidate(db, real_papers()[0])
    async with running(bot_settings, db, sync_interval=ROUND) as bot:
        await decided_on_the_web_after_a_failed_post(fake, bot, candidate_id, kept=False)
        await eventually(lambda: row(db, candidate_id).discord_state != "sending", "no longer being sent")
        await rounds(bot, 3)
        assert fake.messages == {}
        await bot.reviewer.decide_async(candidate_id, "revert", WEB_ANN)  # pending again: it is posted then
        await eventually(lambda: len(fake.messages) == 1, "posted once pending again")
    (mid,) = fake.messages
    assert last_embed(fake, mid)["color"] == PENDING_COLOUR


@pytest.mark.asyncio
async def test_a_candidate_decided_on_the_web_while_the_retried_posting_run_waited_on_discord_is_not_posted(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Discord failed a posting run with a 503; its retry posts the candidates it chose at its start one by one, and
    while Discord was slow to take the first, web-ann rejected the second on the review page. The run posted the
    second all the same, showing it pending under ✅ and ❌ until a later round edited it. A candidate decided before
    its post goes out is not posted; pending again one day, it is posted then."""
    first, second = (insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:2]))
    async with running(bot_settings, db, sync_interval=ROUND) as bot:
        fake.fail_next(1, 503)
        assert (await bot.post_pending()).failed == 1
        slow = fake.hold_next("POST", "/messages")
        retry = asyncio.create_task(bot.post_pending())
        await slow.arrived.wait()
        await bot.reviewer.decide_async(second, "reject", WEB_ANN)
        slow.released.set()
        report = await retry
        assert (report.posted, report.waiting) == (1, 0)
        footers = [body["embeds"][0]["footer"]["text"] for body in fake.posted()]
        assert len(footers) == 1 and footers[0].startswith(f"Candidate {first} ·"), footers
        assert not any(body.get("content") for body in fake.posted())  # no "1 more candidate waits" notice either
        assert (row(db, first).status, row(db, second).status) == ("pending", "rejected")
        await bot.reviewer.decide_async(second, "revert", WEB_ANN)  # the background loop posts it, no poll needed
        await eventually(lambda: len(fake.messages) == 2, "posted once pending again")
    assert fake.posted()[1]["embeds"][0]["footer"]["text"].startswith(f"Candidate {second} ·")


@pytest.mark.asyncio
async def test_a_message_discord_took_after_the_decision_on_the_web_is_edited_to_show_it(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The candidate's own post was on its way (Discord slow to answer) when web-ann rejected it: it arrives showing
    the paper pending, and the bot's next round edits it to show the decision."""
    candidate_id = insert_candidate(db, real_papers()[0])
    async with running(bot_settings, db, sync_interval=ROUND) as bot:
        slow = fake.hold_next("POST", "/messages")
        posting = asyncio.create_task(bot.post_pending())
        await slow.arrived.wait()
        await bot.reviewer.decide_async(candidate_id, "reject", WEB_ANN)
        slow.released.set()
        await posting  # (or the background loop's run took it first: the same post)
        (mid,) = fake.messages
        await eventually(lambda: "Rejected by web-ann" in last_embed(fake, mid)["description"], "the decision shown")
    assert last_embed(fake, mid)["color"] != PENDING_COLOUR
