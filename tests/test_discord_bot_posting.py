"""The review bot posting candidates, end to end against the fake Discord on 127.0.0.1 and a real SQLite file: best
first up to the cap, through Discord's errors, a deleted message posted again, fields Discord would refuse, and off
without a token."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from digest.config import Settings
from digest.discord.bot import ReviewBot
from digest.relevance.why import Why
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.discord_bot import (
    eventually,
    message_id,
    posted_candidate,
    row,
    running,
)
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import FakeDiscord


@pytest.mark.asyncio
async def test_authors_and_a_section_of_invisible_characters_only_still_reach_discord(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """An author or a suggested section made only of characters that draw nothing (a zero-width space, the ideographic
    space, the Braille blank) became an empty embed field, which Discord refuses (400): the candidate never reached
    the channel, run after run. Such a field now says what an empty one says."""
    blanks = [
        {"authors": ["\u200b"], "suggested_section": "\u3000"},
        {"authors": ["\u3000", "\u2800"], "suggested_section": "\u2800\u200b"},
        {"authors": ["Ann Lee", "\u200b \u2800"], "suggested_section": " \u200b"},
    ]
    ids = [insert_candidate(db, real_papers()[i], score=0.9 - i / 10, **blank) for i, blank in enumerate(blanks)]
    async with running(bot_settings, db) as bot:
        report = await bot.post_pending()
    assert (report.posted, report.failed) == (3, 0)
    shown = [{f["name"]: f["value"] for f in body["embeds"][0]["fields"]} for body in fake.posted()]
    assert [(fields["Authors"], fields["Suggested section"]) for fields in shown] == [
        ("unknown", "—"),
        ("unknown", "—"),
        ("Ann Lee", "—"),
    ]
    assert all(row(db, i).discord_state == "posted" for i in ids)


@pytest.mark.asyncio
async def test_a_title_of_invisible_characters_only_posts_a_title_that_says_which_paper_it_is(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """A title made only of characters that draw nothing went out as the embed's title: members saw a message with
    no title to read or click, not knowing which paper to decide on."""
    paper = real_papers()[0]
    insert_candidate(db, {**paper, "title": "\u200b\u3000\u2800"})
    async with running(bot_settings, db) as bot:
        assert (await bot.post_pending()).posted == 1
    assert fake.posted()[0]["embeds"][0]["title"] == f"Untitled paper, arXiv {paper['arxiv_id']}"


@pytest.mark.asyncio
async def test_posting_through_429_and_500_loses_no_candidate(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    ids = [insert_candidate(db, paper, score=0.9 - i / 10) for i, paper in enumerate(real_papers()[:2])]
    async with running(bot_settings, db) as bot:
        fake.fail_next(2, 429, retry_after=0.05)
        fake.fail_next(1, 500)
        report = await bot.post_pending()
    assert report.posted == 2 and report.failed == 0
    statuses = [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake.received if r.method == "POST"]
    assert statuses.count(("POST", "messages")) >= 4  # two answered 429, one 500, then accepted
    assert [b["embeds"][0]["footer"]["text"].split(" ·")[0] for b in fake.posted()] == [
        f"Candidate {ids[0]}",
        f"Candidate {ids[1]}",
    ]
    assert all(row(db, i).discord_state == "posted" for i in ids)


@pytest.mark.asyncio
async def test_a_refused_post_stays_unposted_until_the_next_run(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    candidate_id = insert_candidate(db, real_papers()[0])
    async with running(bot_settings, db) as bot:
        fake.fail_next(1, 503)  # not retried by discord.py
        assert (await bot.post_pending()).failed == 1
        # still to be posted ("sending" after a 5xx: the next run looks in the channel before sending it again)
        assert row(db, candidate_id).discord_state in ("unposted", "sending") and fake.posted() == []
        assert (await bot.post_pending()).posted == 1
    assert row(db, candidate_id).discord_state == "posted" and len(fake.posted()) == 1


@pytest.mark.asyncio
async def test_posts_best_first_up_to_the_cap_and_says_how_many_wait(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    scores = [0.2, 0.9, 0.5, 0.7, 0.4]
    ids = [insert_candidate(db, p, score=s) for p, s in zip(real_papers(), scores, strict=False)]
    async with running(bot_settings, db) as bot:
        report = await bot.post_pending()
    assert (report.posted, report.waiting) == (3, 2)
    footers = [b["embeds"][0]["footer"]["text"].split(" ·")[0] for b in fake.posted() if b.get("embeds")]
    assert footers == [f"Candidate {ids[1]}", f"Candidate {ids[3]}", f"Candidate {ids[2]}"]
    notice = fake.posted()[-1]
    assert notice["content"] == f"2 more candidates wait on the review page: {bot_settings.web.base_url}/review"
    assert notice["allowed_mentions"] == {"parse": []}


@pytest.mark.asyncio
async def test_a_deleted_message_means_repost_not_reject(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    async with running(bot_settings, db) as bot:
        candidate_id, mid = await posted_candidate(fake, db, bot, 0)
        await fake.delete_message(mid)
        await eventually(lambda: row(db, candidate_id).discord_state == "repost", "marked for repost")
        assert row(db, candidate_id).status == "pending"
        assert (await bot.post_pending()).posted == 1
    assert row(db, candidate_id).discord_state == "posted" and message_id(db, candidate_id) != mid


@pytest.mark.asyncio
async def test_without_a_token_the_bot_is_off_and_says_so(
    tmp_path: Path, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path / "data", fake.config_toml())
    database = open_service_database(settings)
    try:
        bot = ReviewBot(settings, database, Reviewer(database, settings))
        with caplog.at_level(logging.INFO, logger="digest.discord"):
            await bot.start()
            await bot.close()
    finally:
        database.dispose()
    assert [r.getMessage() for r in caplog.records] == ["discord: off (DISCORD_TOKEN is not set)"]
    assert fake.received == [] and not bot.ready


@pytest.mark.asyncio
async def test_a_candidates_message_names_each_matched_term_once(
    fake: FakeDiscord, db: Database, bot_settings: Settings
) -> None:
    """The "Matched" field said "sparse autoencoder, vision" and the "Why" field's first line said it again ("matched:
    sparse autoencoder, vision"). The Matched field names the terms, each once; Why says what else pushed the score."""
    why = Why(("sparse autoencoder", "vision"), (("keyword rules", 0.58),), ())
    async with running(bot_settings, db) as bot:
        _candidate, mid = await posted_candidate(fake, db, bot, 0, why=why.to_json())
    fields = {field["name"]: field["value"] for field in fake.messages[mid]["embeds"][0]["fields"]}
    assert fields["Matched"] == "sparse autoencoder, vision"
    assert fields["Why"] == "pushed up by: keyword rules +0.58"
    shown = "\n".join(fields.values())
    assert shown.count("sparse autoencoder") == 1 and "matched:" not in shown
