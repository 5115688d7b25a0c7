"""The review bot coming back: reactions made or taken back while it was away, Discord failing while it catches up
or posts, and its own shutdown. The real discord.py client against the fake Discord on 127.0.0.1, a real SQLite
file and the list Markdown the Reviewer writes."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from digest.config import Settings
from digest.discord.bot import ReviewBot
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
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
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import (
    BOT_ID,
    CHANNEL_ID,
    EVERYONE_PERMISSIONS,
    LISTED_MAINTAINER,
    MAINTAINER,
    OTHER_ROLE_ID,
    READ_MESSAGE_HISTORY,
    VIEW_CHANNEL,
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
async def test_a_message_discord_fails_to_return_while_catching_up_holds_up_no_other_and_is_tried_again(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db) as bot:
        first, first_mid = await posted_candidate(fake, db, bot, 0)
        second, second_mid = await posted_candidate(fake, db, bot, 1)
    await fake.react(first_mid, MAINTAINER, "✅", online=False)
    await fake.react(second_mid, MAINTAINER, "✅", online=False)
    fake.refuse("GET", f"/messages/{first_mid}", 503, 0, "Service Unavailable", times=1)
    async with running(bot_settings, db, sync_interval=0.05):  # start() returns once caught up
        assert "Approved by ann" in last_embed(fake, second_mid)["description"]
        await eventually(lambda: "Approved by ann" in last_embed(fake, first_mid)["description"], "tried again")
    assert (row(db, first).status, row(db, second).status) == ("approved", "approved")


@pytest.mark.asyncio
async def test_candidates_a_failed_post_held_back_are_posted_by_the_background_loop(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    ids = [insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:3])]
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        fake.fail_next(1, 503)  # a Discord blip during the poll's posting run; not retried by discord.py
        report = await bot.post_pending()
        assert (report.posted, report.failed) == (0, 1)
        await eventually(lambda: all(row(db, i).discord_state == "posted" for i in ids), "posted without a poll")
    assert [body["embeds"][0]["footer"]["text"].split(" ·")[0] for body in fake.posted()] == [
        f"Candidate {i}" for i in ids
    ]


@pytest.mark.asyncio
async def test_a_message_discord_kept_though_it_answered_a_server_error_is_not_posted_twice(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Discord (or the proxy in front of it) stored the candidate's message and still answered 5xx: the bot put the
    candidate back to unposted and the next try, under a new nonce, posted it a second time, and maintainers saw and
    reacted to two messages of one paper. Now the try after a server error first looks in the channel for it."""
    candidate_id = insert_candidate(db, real_papers()[0])
    fake.failed_after_create = (503, 1)  # not retried by discord.py (a 500 is, under the same nonce Discord dedupes)
    # The next try comes a back-off later (1.2 s here, a minute or more in service): Discord's nonce dedupe no longer
    # covers it.
    async with running(bot_settings, db, sync_interval=0.6) as bot:
        report = await bot.post_pending()
        assert (report.posted, report.failed) == (0, 1)
        await eventually(lambda: row(db, candidate_id).discord_state == "posted", "recorded by the next try")
        mid = int(row(db, candidate_id).discord_message_id or 0)
        await eventually(lambda: fake.reactors(mid, "✅") == [BOT_ID], "the bot's reactions on the one message")
    footers = [body["embeds"][0]["footer"]["text"] for body in fake.posted()]
    assert len(footers) == 1 and footers[0].startswith(f"Candidate {candidate_id} ·"), footers
    assert list(fake.messages) == [mid]


@pytest.mark.asyncio
async def test_posting_into_a_channel_that_keeps_failing_is_tried_less_and_less_often(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    insert_candidate(db, real_papers()[0])
    fake.refuse("POST", "/messages", 503, 0, "Service Unavailable")
    async with running(bot_settings, db, sync_interval=0.02) as bot:
        await bot.post_pending()
        await rounds(bot, 40)
    assert len(fake.requests("POST", "/messages")) <= 8


@pytest.mark.asyncio
async def test_the_bot_stops_cleanly_right_after_discord_refused_its_token(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    fake.refuse("GET", "/users/@me", 401, 0, "401: Unauthorized")
    bot = ReviewBot(bot_settings, db, Reviewer(db, bot_settings), guild_ready_timeout=0.01)
    await bot.start()  # returns as soon as the token is refused, while the connection is still closing
    refused = discord_health()
    await bot.close()
    assert not refused.ok and "refused the token" in refused.message
    assert discord_health().message == "off: logged out"
    assert len(fake.requests("GET", "/users/@me")) == 1


@pytest.mark.asyncio
async def test_catching_up_the_database_failed_at_start_is_done_by_the_background_loop(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    def rename(old: str, new: str) -> None:
        with db.transaction() as session:
            session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))

    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
    await fake.react(mid, MAINTAINER, "✅", online=False)
    rename("decisions", "decisions_away")
    async with running(bot_settings, db, sync_interval=0.05):  # start() returns once catching up failed
        assert row(db, candidate_id).status == "pending"
        await asyncio.to_thread(rename, "decisions_away", "decisions")
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "caught up later")
    assert row(db, candidate_id).status == "approved"


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
            lambda: last_embed(fake, moved_message)["description"].startswith("**Approved by cli-bob into Steering**"),
            "the move shown",
        )
        redone, redone_message = await posted_candidate(fake, db, bot, 1)
        await fake.react(redone_message, MAINTAINER, "❌")
        await eventually(lambda: "Rejected by ann" in last_embed(fake, redone_message)["description"], "shown")
        shell.decide(redone, "revert", Actor("cli-bob", None, "cli"))
        shell.decide(redone, "reject", Actor("cli-cyd", None, "cli"))
        await eventually(
            lambda: last_embed(fake, redone_message)["description"].startswith("**Rejected by cli-cyd**"),
            "the later rejection shown",
        )


@pytest.mark.asyncio
async def test_a_member_lookup_discord_fails_while_catching_up_undoes_no_approval_and_is_tried_again(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A maintainer by role needs a member lookup to be recognised on restart: a failed lookup read the deciding ✅ as
    taken back, so a Discord blip at start took an approved paper out of the list."""
    paper = real_papers()[0]
    async with running(bot_settings, db) as bot:
        approved, _approved_message = await approved_by_ann(fake, db, bot, 0)
        waiting, waiting_message = await posted_candidate(fake, db, bot, 1)
    await fake.react(waiting_message, MAINTAINER, "❌", online=False)
    fake.member_lookup_status = 503  # Discord cannot say who holds which role, for now
    async with running(bot_settings, db, sync_interval=0.05) as bot:  # start() returns once caught up
        assert row(db, approved).status == "approved" and row(db, waiting).status == "pending"
        assert paper["arxiv_id"] in list_md(bot_settings)
        fake.member_lookup_status = None
        await eventually(lambda: "Rejected by ann" in last_embed(fake, waiting_message)["description"], "tried again")
    assert row(db, approved).status == "approved" and row(db, waiting).status == "rejected"
    assert paper["arxiv_id"] in list_md(bot_settings)
    with db.reading() as session:
        assert session.scalars(select(Decision.action).order_by(Decision.id)).all() == ["approve", "reject"]


@pytest.mark.asyncio
async def test_a_deciding_reaction_taken_back_while_member_lookups_fail_returns_the_paper_to_pending_once_they_work(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann took back the ✅ that approved a paper while Discord failed member lookups: the bot could not tell she is a
    maintainer, logged that it was not applied, and the paper stayed in the list, its message saying "Approved by
    ann", until the next restart."""
    paper = real_papers()[0]
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        fake.member_lookup_status = 503  # Discord cannot say who holds which role, for now
        await fake.unreact(mid, MAINTAINER, "✅")
        await rounds(bot, 3)
        assert row(db, candidate_id).status == "approved"  # nothing undone on a guess
        fake.member_lookup_status = None
        await eventually(lambda: last_embed(fake, mid)["color"] == PENDING_COLOUR, "taken back once Discord can say")
    assert row(db, candidate_id).status == "pending" and paper["arxiv_id"] not in list_md(bot_settings)


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


@pytest.mark.asyncio
async def test_a_bot_without_read_message_history_says_so_once_at_start(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot needs Read Message History in the review channel to catch up on reactions made while it was away and
    to find a message it sent before a crash. Without it, nothing at start named the permission: catching up failed
    message by message with Discord's "Missing Access". Now the start says in one line which permission to give,
    and /healthz shows it."""
    async with running(bot_settings, db) as bot:
        for index in range(3):
            await posted_candidate(fake, db, bot, index)
    fake.denied_to_bot = READ_MESSAGE_HISTORY
    with caplog.at_level("INFO", logger="digest.discord"):
        async with running(bot_settings, db, sync_interval=0.05) as bot:
            await rounds(bot, 5)
            healthz = discord_health().message
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name == "digest.discord"]
    assert len(warnings) == 1, warnings
    assert "Read Message History" in warnings[0] and str(CHANNEL_ID) in warnings[0], warnings
    assert "Read Message History" in healthz


@pytest.mark.asyncio
async def test_read_message_history_taken_and_given_back_while_the_bot_runs_is_seen_at_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A server admin who gives the bot Read Message History after the start said it lacks it saw /healthz go on
    saying so until the next restart; one who takes it away while the bot runs heard nothing. Now each change of the
    review channel's permissions is looked at when Discord announces it."""
    async with running(bot_settings, db):
        assert discord_health().ok
        await fake.deny_bot(READ_MESSAGE_HISTORY)
        await eventually(lambda: "Read Message History" in discord_health().message, "said when taken away")
        await fake.deny_bot(0)
        await eventually(lambda: discord_health().ok, "cleared when given back")


@pytest.mark.asyncio
async def test_read_message_history_taken_from_the_bots_role_and_given_back_is_seen_at_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Most admins give a bot its permissions through a role in the server settings, not the channel's overwrites:
    taking Read Message History from @everyone there left /healthz saying all was well (catching up then failed
    message by message), and giving it back after a start that named it left /healthz naming it until the next
    restart. A role's permissions changed is looked at as a channel's are."""
    async with running(bot_settings, db):
        assert discord_health().ok
        await fake.set_everyone_permissions(EVERYONE_PERMISSIONS & ~READ_MESSAGE_HISTORY)
        await eventually(lambda: "Read Message History" in discord_health().message, "said when taken away")
        await fake.set_everyone_permissions(EVERYONE_PERMISSIONS)
        await eventually(lambda: discord_health().ok, "cleared when given back")


@pytest.mark.asyncio
async def test_read_message_history_given_through_a_new_role_of_the_bot_is_seen_at_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The start said the bot lacks Read Message History; the admin gave the bot a role that has it (the way most
    servers hand out permissions), and /healthz went on naming the permission until the next restart."""
    fake.everyone_permissions = EVERYONE_PERMISSIONS & ~READ_MESSAGE_HISTORY
    fake.readers_permissions = READ_MESSAGE_HISTORY
    async with running(bot_settings, db):
        await eventually(lambda: "Read Message History" in discord_health().message, "said at start")
        await fake.give_bot_roles((OTHER_ROLE_ID,))
        await eventually(lambda: discord_health().ok, "cleared when given through a role")


@pytest.mark.asyncio
async def test_a_review_channel_the_bot_cannot_see_is_named_as_such_not_as_read_message_history(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The review channel was made private for the maintainers and the bot left out of it: /healthz said "the bot
    lacks Read Message History ... give it that permission there". Given it in the channel, the bot still saw
    nothing and /healthz said the same, since a channel one cannot see grants nothing of its history. Expected: the
    permission named is the one missing at the root, View Channel."""
    fake.denied_to_bot = VIEW_CHANNEL
    async with running(bot_settings, db):
        await eventually(lambda: "View Channel" in discord_health().message, "View Channel named")
        assert "Read Message History" not in discord_health().message, discord_health().message


@pytest.mark.asyncio
async def test_add_reactions_taken_from_the_bot_is_said_and_its_reactions_are_put_back_once_given_back(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Without Add Reactions the bot's messages went out with no ✅ and ❌ to click, /healthz said all was well, and
    once the permission was given back those messages stayed without them until the next restart."""
    add_reactions = 1 << 6
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        await fake.deny_bot(add_reactions)
        fake.refuse("PUT", "/reactions/", 403, 50013, "Missing Permissions")  # as Discord answers the bot then
        await eventually(lambda: "Add Reactions" in discord_health().message, "said when taken away")
        _candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        assert fake.reactors(mid, "✅") == [] and fake.reactors(mid, "❌") == []
        fake.refusals.clear()
        await fake.deny_bot(0)
        await eventually(lambda: fake.reactors(mid, "✅") == fake.reactors(mid, "❌") == [BOT_ID], "put back")
        await eventually(lambda: discord_health().ok, "cleared when given back")


@pytest.mark.asyncio
async def test_a_review_channel_hidden_from_the_bot_and_shown_again_is_caught_up_on_at_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """An admin took View Channel from the bot for a while: Discord sent it no reaction of the channel and refused its
    edits. Given the permission back, /healthz turned green, but ann's ❌ made meanwhile stayed unapplied and the
    message of a paper rejected on the command line meanwhile went on showing it pending, both until the next
    restart, weeks later perhaps."""
    async with running(bot_settings, db, sync_interval=0.05) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        other, other_mid = await posted_candidate(fake, db, bot, 1)
        await fake.deny_bot(VIEW_CHANNEL)
        await eventually(lambda: "View Channel" in discord_health().message, "said when taken away")
        fake.refuse("PATCH", f"/channels/{CHANNEL_ID}/", 403, 50001, "Missing Access")
        fake.refuse("GET", f"/channels/{CHANNEL_ID}/", 403, 50001, "Missing Access")
        await fake.react(mid, MAINTAINER, "❌", online=False)  # no event: the bot cannot see the channel
        Reviewer(db, bot_settings).decide(other, "reject", Actor("cli-bob", None, "cli"))
        await eventually(lambda: len(fake.requests("PATCH", f"/messages/{other_mid}")) == 1, "the edit refused")
        fake.refusals.clear()
        await fake.deny_bot(0)
        await eventually(lambda: "Rejected by ann" in last_embed(fake, mid)["description"], "ann's reject applied")
        await eventually(lambda: "Rejected by cli-bob" in last_embed(fake, other_mid)["description"], "shown")
    assert row(db, candidate_id).status == "rejected" and row(db, candidate_id).decided_by == "ann"


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
    with db.reading() as session:
        assert session.scalars(select(Decision.action)).all() == ["reject"]  # applied once


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
