"""A decision made through Discord's reactions, overturned from the shell (another process): what the candidate's
message says of it, and of the maintainer's reaction left on it. The real discord.py client against the fake Discord
on 127.0.0.1, a real SQLite file and the list Markdown the Reviewer writes."""

from __future__ import annotations

import re

import pytest

from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.db import Database
from tests.discord_bot import (
    approved_by_ann,
    eventually,
    last_embed,
    list_md,
    message_id,
    posted_candidate,
    rounds,
    row,
    running,
)
from tests.fake_discord import MAINTAINER, FakeDiscord

ROOT = Actor("root", None, "cli")  # `digest pending ID`, `digest reject ID` run as root
SHOWN_AT = r"on \d{4}-\d\d-\d\d \d\d:\d\d UTC"


def decided_lines(fake: FakeDiscord, mid: int) -> list[str]:
    """The lines above the abstract: the decision, and what it says of the reactions."""
    return str(last_embed(fake, mid)["description"]).split("\n\n")[0].splitlines()


@pytest.mark.asyncio
async def test_a_paper_returned_to_pending_from_the_shell_says_by_whom_when_and_how_to_approve_again(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann approved by ✅; root ran `digest pending ID`. The message went back to showing the paper pending, saying
    neither who returned it nor when, under ann's ✅, which no longer counted: adding it again did nothing (Discord
    ignores a reaction added twice). Now it says who, through what and when, and that she takes hers off and reacts
    again; doing so approves the paper."""
    async with running(bot_settings, db, sync_interval=0.5) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        Reviewer(db, bot_settings).decide(candidate_id, "revert", ROOT)
        await eventually(lambda: "Approved by" not in last_embed(fake, mid)["description"], "the return shown")
        lines = decided_lines(fake, mid)
        assert re.fullmatch(rf"\*\*Returned to pending by root via cli {SHOWN_AT}\*\*", lines[0]), lines
        assert lines[1:] == [
            "⚠️ Reactions from before it (ann ✅) no longer count: to decide here, take yours off and react again"
        ]
        await fake.unreact(mid, MAINTAINER, "✅")
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "approved again")
    assert decided_lines(fake, mid) == ["**Approved by ann into Sparse Autoencoder**"]
    assert row(db, candidate_id).status == "approved"


@pytest.mark.asyncio
async def test_a_rejection_from_the_shell_names_its_channel_and_the_check_mark_it_overruled(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann approved by ✅; root ran `digest reject ID`. The message read "Rejected by root", naming no channel where
    a decision made elsewhere is named by its channel, under ann's ✅: an approval and a rejection at once. Now it names
    the channel and says ann's ✅ was overruled."""
    async with running(bot_settings, db, sync_interval=0.5) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        arxiv_id = row(db, candidate_id).arxiv_id
        Reviewer(db, bot_settings).decide(candidate_id, "reject", ROOT)
        await eventually(lambda: "Rejected by" in last_embed(fake, mid)["description"], "the rejection shown")
    assert decided_lines(fake, mid) == [
        "**Rejected by root via cli**",
        "⚠️ Reactions from before it (ann ✅) were overruled and decide nothing",
    ]
    assert row(db, candidate_id).status == "rejected" and arxiv_id not in list_md(bot_settings)


@pytest.mark.asyncio
async def test_a_rejection_from_the_shell_does_not_call_a_refused_check_mark_overruled(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann's ✅ on a paper with no section to approve into was refused ("Couldn't approve ..."); root ran `digest
    reject ID`. The message said "Reactions from before it (a maintainer ✅) were overruled and decide nothing", of a
    ✅ that had decided nothing to overrule. Now it says only who rejected it, and through what."""
    async with running(bot_settings, db, sync_interval=0.5) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0, suggested_section=None)
        await fake.react(mid, MAINTAINER, "✅")
        await eventually(lambda: "Couldn't approve" in last_embed(fake, mid)["description"], "the refusal shown")
        Reviewer(db, bot_settings).decide(candidate_id, "reject", ROOT)
        await eventually(lambda: "Rejected by" in last_embed(fake, mid)["description"], "the rejection shown")
        await rounds(bot, 2)
    assert decided_lines(fake, mid) == ["**Rejected by root via cli**"]
    assert row(db, candidate_id).status == "rejected"


@pytest.mark.asyncio
async def test_a_check_mark_taken_off_after_the_shell_decided_is_no_longer_named(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann approved by ✅; root ran `digest reject ID`; ann took her ✅ off. The message went on saying her ✅ was
    overruled, a reaction no longer there, until something else edited it. Now taking it off edits the message."""
    async with running(bot_settings, db, sync_interval=0.5) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        Reviewer(db, bot_settings).decide(candidate_id, "reject", ROOT)
        await eventually(lambda: len(decided_lines(fake, mid)) == 2, "the overruled ✅ named")
        await fake.unreact(mid, MAINTAINER, "✅")
        await eventually(lambda: len(decided_lines(fake, mid)) == 1, "the ✅ taken off no longer named")
    assert decided_lines(fake, mid) == ["**Rejected by root via cli**"]
    assert row(db, candidate_id).status == "rejected"


@pytest.mark.asyncio
async def test_a_message_posted_again_says_who_returned_the_paper_to_pending_as_the_one_it_replaces(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """ann approved by ✅; root ran `digest pending ID`; the message was deleted and the paper posted afresh. The new
    message showed the paper pending with nobody named, where the one it replaced said who returned it and when. Now
    it says the same; not that ann's ✅ no longer counts, which was on the message deleted."""
    async with running(bot_settings, db, sync_interval=0.5) as bot:
        candidate_id, mid = await approved_by_ann(fake, db, bot, 0)
        Reviewer(db, bot_settings).decide(candidate_id, "revert", ROOT)
        await eventually(lambda: "Returned to pending" in last_embed(fake, mid)["description"], "the return shown")
        replaced = decided_lines(fake, mid)
        await fake.delete_message(mid)
        await eventually(lambda: row(db, candidate_id).discord_state == "repost", "marked for repost")
        assert (await bot.post_pending()).posted == 1
        reposted = message_id(db, candidate_id)
    assert reposted != mid and decided_lines(fake, reposted) == replaced[:1]
    assert re.fullmatch(rf"\*\*Returned to pending by root via cli {SHOWN_AT}\*\*", replaced[0]), replaced
    # ann's ✅ was on the message deleted: the new one, which holds no reaction, does not ask her to take it off
    assert "no longer count" in replaced[1] and "no longer count" not in str(last_embed(fake, reposted)["description"])
