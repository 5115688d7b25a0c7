"""What maintainers and the operator are told when the bot cannot do what was asked: a reaction the Reviewer
refuses, a channel the bot cannot post in or see, a role the server does not have, a message it may not edit. The
real discord.py client against the fake Discord on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from digest import health
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.discord_bot import eventually, last_embed, posted_candidate, rounds, row, running
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import BOT_ID, CHANNEL_ID, MAINTAINER, MAINTAINER_ROLE_ID, FakeDiscord


@pytest.mark.asyncio
@pytest.mark.parametrize("suggested", ["Sparse Autoencoders (old name)", None], ids=["renamed", "none"])
async def test_a_check_mark_that_cannot_approve_is_answered_on_the_message_and_left_out_of_the_legend(
    fake: FakeDiscord, db: Database, bot_settings: Settings, suggested: str | None
) -> None:
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section=suggested)
        footer = last_embed(fake, mid)["footer"]["text"]
        assert "✅" not in footer and "❌ reject" in footer and "🧩 Sparse Autoencoder" in footer
        assert fake.reactors(mid, "✅") == [] and fake.reactors(mid, "❌") == [BOT_ID]
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: "Couldn't approve" in last_embed(fake, mid)["description"], "the refusal shown")
        assert "react with a section emoji" in last_embed(fake, mid)["description"].splitlines()[0]
        assert row(db, candidate_id).status == "pending"
        await fake.react(mid, MAINTAINER, "🧩")
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "approved by emoji")
    assert "Couldn't" not in last_embed(fake, mid)["description"]
    assert all(body.get("allowed_mentions") == {"parse": []} for body in fake.messages[mid]["_edits"])


def discord_health() -> health.Component:
    return next(component for component in health.components() if component.name == "discord")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "code", "text"), [(404, 10003, "Unknown Channel"), (403, 50013, "Missing Permissions")]
)
async def test_a_channel_that_refuses_posts_turns_healthz_red_once_until_a_post_is_accepted(
    fake: FakeDiscord,
    db: Database,
    bot_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: int,
    text: str,
) -> None:
    fake.refuse("POST", f"/channels/{CHANNEL_ID}/messages", status, code, text)
    candidate_id = insert_candidate(db, real_papers()[0])
    with caplog.at_level(logging.WARNING, logger="digest.discord"):
        async with running(bot_settings, db) as bot:
            assert (await bot.post_pending()).failed == 1
            assert (await bot.post_pending()).failed == 1
            refused = discord_health()
            fake.refusals.clear()  # the channel is back, or the permission given again
            assert (await bot.post_pending()).posted == 1
            recovered = discord_health()
    assert (
        not refused.ok and f"cannot post in review channel {CHANNEL_ID}" in refused.message and text in refused.message
    )
    assert recovered.ok and "connected as" in recovered.message
    warnings = [r.getMessage() for r in caplog.records if r.name == "digest.discord" and r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "cannot post" in warnings[0]
    # and where the candidates are meanwhile: the review page, in the log line and on /healthz
    review_page = f"{bot_settings.web.base_url.rstrip('/')}/review"
    assert f"candidates wait on the review page: {review_page}" in warnings[0]
    assert f"candidates wait on the review page: {review_page}" in refused.message
    assert row(db, candidate_id).discord_state == "posted"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("setting", "wrong", "named"),
    [
        ("channel_id = 700000000000000002", "channel_id = 700000000000000222", "review channel 700000000000000222"),
        ("guild_id = 700000000000000001", "guild_id = 700000000000000111", "server 700000000000000111"),
        (
            "role_ids = [700000000000000005]",
            "role_ids = [700000000000000099]",
            "maintainer_role_ids 700000000000000099",
        ),
    ],
    ids=["channel", "guild", "role"],
)
async def test_a_channel_server_or_maintainer_role_the_bot_cannot_see_is_reported_when_it_connects(
    tmp_path: Path, fake: FakeDiscord, caplog: pytest.LogCaptureFixture, setting: str, wrong: str, named: str
) -> None:
    toml = fake.config_toml()
    assert setting in toml
    settings = make_settings(tmp_path / "data", toml.replace(setting, wrong), {"DISCORD_TOKEN": "fake-token"})
    database = open_service_database(settings)
    try:
        with caplog.at_level(logging.WARNING, logger="digest.discord"):
            async with running(settings, database):
                state = discord_health()
    finally:
        database.dispose()
    assert not state.ok and named in state.message
    assert len([r for r in caplog.records if named in r.getMessage()]) == 1


@pytest.mark.asyncio
async def test_a_correct_config_connects_with_a_green_healthz(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db):
        state = discord_health()
    assert state.ok and state.message.startswith("connected as")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "code", "text"), [(403, 50001, "Missing Access"), (400, 200000, "Message was blocked by AutoMod")]
)
async def test_a_message_the_bot_may_not_edit_is_warned_about_once_not_every_round(
    fake: FakeDiscord,
    db: Database,
    bot_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: int,
    text: str,
) -> None:
    """A 400 (the server's AutoMod refusing the edited text) was retried with back-off for ever, a warning each time."""
    async with running(bot_settings, db, sync_interval=0.02) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        fake.refuse("PATCH", f"/messages/{mid}", status, code, text)
        with caplog.at_level(logging.WARNING, logger="digest.discord"):
            Reviewer(db, bot_settings).decide(candidate_id, "reject", Actor("cli-bob", None, "cli"))
            await rounds(bot, 50)  # about four minutes of a real service
    assert len(fake.requests("PATCH", f"/messages/{mid}")) == 1
    assert len([r for r in caplog.records if "may not edit the message" in r.getMessage()]) == 1
    assert row(db, candidate_id).status == "rejected"


@pytest.mark.asyncio
async def test_an_edit_discord_fails_is_tried_again_later_and_then_shown(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db, sync_interval=0.02) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        fake.refuse("PATCH", f"/messages/{mid}", 503, 0, "Service Unavailable", times=2)
        Reviewer(db, bot_settings).decide(candidate_id, "reject", Actor("cli-bob", None, "cli"))
        await eventually(lambda: "Rejected by cli-bob" in last_embed(fake, mid)["description"], "shown at last")
    assert len(fake.requests("PATCH", f"/messages/{mid}")) == 3


@pytest.mark.asyncio
async def test_a_channel_the_bot_may_no_longer_read_turns_healthz_red_in_one_line_and_is_caught_up_once_allowed(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot's permission to read the review channel taken away while it was down: catching up warned once per
    message on every retry (a line per posted candidate every few minutes, for as long as it lasted) and /healthz
    stayed green."""
    async with running(bot_settings, db) as bot:
        posted = [await posted_candidate(fake, db, bot, index) for index in range(3)]
    for _candidate_id, mid in posted:
        await fake.react(mid, MAINTAINER, "❌", online=False)
    fake.refuse("GET", f"/channels/{CHANNEL_ID}/messages/", 403, 50001, "Missing Access")
    with caplog.at_level(logging.WARNING, logger="digest.discord"):
        async with running(bot_settings, db, sync_interval=0.02) as bot:
            await rounds(bot, 40)
            refused = discord_health()
            assert all(row(db, candidate_id).status == "pending" for candidate_id, _mid in posted)
            fake.refusals.clear()  # the permission given back
            await eventually(lambda: all(row(db, c).status == "rejected" for c, _mid in posted), "caught up")
            await eventually(lambda: discord_health().ok, "healthz green again")
    assert not refused.ok and f"review channel {CHANNEL_ID}" in refused.message and "Missing Access" in refused.message
    warnings = [r.getMessage() for r in caplog.records if r.name == "digest.discord" and r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "Missing Access" in warnings[0]


@pytest.mark.asyncio
async def test_a_candidate_discord_refuses_to_show_is_said_once_and_holds_up_none_of_the_others(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The server's AutoMod refusing one paper's message (a word in its title): the posting run stopped at it and
    retried it first every round, so no candidate after it was ever posted again."""
    fake.automod_words = ("forbiddenword",)
    blocked = insert_candidate(db, real_papers()[0], score=0.9, title="A forbiddenword in the title")
    others = [insert_candidate(db, paper, score=0.5) for paper in real_papers()[1:3]]
    with caplog.at_level(logging.WARNING, logger="digest.discord"):
        async with running(bot_settings, db, sync_interval=0.02) as bot:
            report = await bot.post_pending()
            await rounds(bot, 20)
            insert_candidate(db, real_papers()[3], score=0.7)  # the next poll's find
            await eventually(lambda: len(fake.posted()) == 3, "the next poll's candidate posted")
    assert report.posted == 2
    assert [row(db, other).discord_state for other in others] == ["posted", "posted"]
    assert row(db, blocked).status == "pending" and row(db, blocked).discord_state != "posted"
    warnings = [r.getMessage() for r in caplog.records if r.name == "digest.discord" and r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and f"candidate {blocked}" in warnings[0] and "AutoMod" in warnings[0]
    assert len([r for r in fake.requests("POST", "/messages") if "forbiddenword" in str(r.body)]) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("deleted", ["role", "channel"])
async def test_a_maintainer_role_or_review_channel_deleted_while_connected_turns_healthz_red_at_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture, deleted: str
) -> None:
    """The maintainer role (or the review channel) deleted by a server admin while the bot ran: /healthz stayed green
    until the next restart, while every maintainer's reaction was ignored as a stranger's (or nothing was posted)."""
    with caplog.at_level(logging.WARNING, logger="digest.discord"):
        async with running(bot_settings, db):
            assert discord_health().ok
            if deleted == "role":
                await fake.delete_role(MAINTAINER_ROLE_ID)
                named = f"maintainer_role_ids {MAINTAINER_ROLE_ID}"
            else:
                await fake.delete_channel()
                named = f"review channel {CHANNEL_ID}"
            await eventually(lambda: not discord_health().ok, "healthz red")
            state = discord_health()
    assert named in state.message
    assert len([r for r in caplog.records if named in r.getMessage()]) == 1


@pytest.mark.asyncio
async def test_a_candidate_found_after_the_review_channel_was_deleted_waits_on_the_review_page(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """Discord answers a post into a deleted channel 404 "Unknown Channel"; the fake took it, so no test saw a
    candidate found after the deletion taken for posted into a channel no one can read."""
    async with running(bot_settings, db) as bot:
        await fake.delete_channel()
        await eventually(lambda: not discord_health().ok, "healthz red")
        candidate_id = insert_candidate(db, real_papers()[0])
        report = await bot.post_pending()
        state = discord_health()
    assert (report.posted, report.waiting, report.failed) == (0, 1, 1)
    assert row(db, candidate_id).discord_state == "unposted" and fake.messages == {}
    assert f"cannot post in review channel {CHANNEL_ID}" in state.message and "Unknown Channel" in state.message


@pytest.mark.asyncio
async def test_a_reaction_of_the_bots_discord_failed_to_add_is_added_later(
    fake: FakeDiscord, db: Database, bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Discord failing the bot's ✅ on a new message (a 503 is not retried by discord.py) left the message without it
    for good: maintainers had no ✅ to click."""
    with caplog.at_level(logging.WARNING, logger="digest.discord"):
        async with running(bot_settings, db, sync_interval=0.02) as bot:
            fake.refuse("PUT", "/reactions/", 503, 0, "Service Unavailable", times=3)
            _candidate_id, mid = await posted_candidate(fake, db, bot, 0)
            assert fake.reactors(mid, "✅") == []
            await eventually(
                lambda: fake.reactors(mid, "✅") == fake.reactors(mid, "❌") == [BOT_ID], "both reactions added"
            )
            await rounds(bot, 10)
    warnings = [r.getMessage() for r in caplog.records if r.name == "digest.discord" and r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "could not add ✅" in warnings[0]


@pytest.mark.asyncio
async def test_a_candidate_discord_refused_is_posted_at_the_next_start_once_allowed(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A refusal was for good: once the server's AutoMod rule (or the config that made the message too long) was
    fixed, the candidate still never reached the channel, whatever the restarts."""
    fake.automod_words = ("forbiddenword",)
    blocked = insert_candidate(db, real_papers()[0], score=0.9, title="A forbiddenword in the title")
    async with running(bot_settings, db) as bot:
        await bot.post_pending()
    # Its message is not in the channel; the notice says it waits on the review page (it said nothing till then).
    page = f"{bot_settings.web.base_url.rstrip('/')}/review"
    shown = [(message["content"], message["embeds"]) for message in fake.messages.values()]
    assert row(db, blocked).discord_state == "refused" and shown == [
        (f"1 more candidate waits on the review page: {page}", [])
    ]
    fake.automod_words = ()  # the moderators relaxed the rule
    async with running(bot_settings, db) as bot:
        await bot.post_pending()
        await eventually(lambda: len(fake.posted()) == 1, "the refused candidate posted after the restart")
    assert row(db, blocked).discord_state == "posted"
    assert [message["content"] for message in fake.messages.values()] == [""]  # its message; the notice taken down


@pytest.mark.asyncio
async def test_a_refusal_note_discord_failed_to_show_is_shown_once_it_answers_again(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The note on a reaction that changed nothing, refused by Discord with a 503, was never tried again (only a
    status out of step with the message's is): it is, as the bot's other failed edits are."""
    async with running(bot_settings, db, sync_interval=0.2) as bot:
        _, mid = await posted_candidate(fake, db, bot, 0, suggested_section=None)
        fake.refuse("PATCH", f"/messages/{mid}", 503, 0, "Service Unavailable", times=1)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: fake.refusals[-1].times == 0, "the note's edit refused")
        assert "Couldn't" not in last_embed(fake, mid)["description"]
        await eventually(lambda: "Couldn't approve" in last_embed(fake, mid)["description"], "the refusal shown")
    assert "react with a section emoji" in last_embed(fake, mid)["description"].splitlines()[0]


@pytest.mark.asyncio
async def test_a_refused_reaction_is_not_noted_again_at_each_start(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A reaction the Reviewer refuses (✅ with no section to approve into) stays on the message while the paper is
    pending; each start tried it again and edited the message with the very note it already showed."""
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section=None)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: "Couldn't approve" in last_embed(fake, mid)["description"], "the refusal shown")
    edits = len(fake.messages[mid]["_edits"])
    for _ in range(2):
        async with running(bot_settings, db) as bot:
            await bot.caught_up.wait()
    assert len(fake.messages[mid]["_edits"]) == edits
    assert "Couldn't approve" in last_embed(fake, mid)["description"]
    assert row(db, candidate_id).status == "pending"
