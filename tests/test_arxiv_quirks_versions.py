"""How arXiv's data quirks are handled: new versions (a pending, withdrawn, decided or suggested candidate announced
again, and its Discord message) and the dates of `replace` / `cross` announcements of older papers (the loopback
arXiv stand-in, tests/arxiv_server.py, over a real SQLite file)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.storage.db import Database
from tests.arxiv_answers import WITHDRAWN
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.discord_bot import eventually, last_embed, running
from tests.factories import decision_actions, insert_candidate
from tests.fake_discord import MAINTAINER
from tests.feedbuild import build_rss
from tests.poller_feeds import MONDAY, RELEVANT, UNRELATED, candidates, feed, records
from tests.poller_feeds import settings as settings  # the fixture

# ---------------------------------------------------------------------------------------------------------------------
# Announce types: a pending candidate comes back as a new version


@pytest.mark.asyncio
async def test_a_withdrawn_replacement_reaches_the_pending_candidate(settings: Settings, database: Database) -> None:
    """Monday: a relevant paper is announced (v1) and waits for review. Tuesday: arXiv announces v2 as `replace`; its
    abstract now says the paper was withdrawn, and an author is gone. The poll counts "1 new versions" and stores
    version 2, but the candidate keeps v1's abstract and authors, so /review, Discord and the private feed go on
    showing a normal paper and a maintainer approves a withdrawn paper into the list."""
    from digest.discord.messages import candidate_embed

    paper = RELEVANT[0]
    v1 = records(paper, authors=["Achyuta Rajaram", "Sarah Schwettmann", "Jacob Andreas"])
    v2 = records(paper, version=2, announce_type="replace", abstract=WITHDRAWN, authors=["Achyuta Rajaram"])
    async with ArxivServer() as server:
        url = server.program(
            "/rss/cs.CV",
            Reply(body=build_rss("cs.CV", v1, MONDAY)),
            Reply(body=build_rss("cs.CV", v2, date(2026, 4, 28))),
        )
        await run_poll(settings, database, sources=[url], clock=FakeClock())
        second = await run_poll(settings, database, sources=[url], clock=FakeClock())
    assert second.sources[0].updated == 1  # the poll saw the new version
    stored = candidates(database)[paper]
    assert stored.version == 2 and stored.status == "pending"
    shown = candidate_embed(stored, {})["description"]
    # Observed: the v1 abstract ("Language models can be equipped with multimodal capabilities ...") and 3 authors.
    assert "withdrawn" in stored.abstract, f"stored abstract is still v1's: {stored.abstract[:80]!r}"
    assert "withdrawn" in shown
    assert stored.authors == ["Achyuta Rajaram"]


@pytest.mark.asyncio
async def test_a_withdrawn_version_leaves_the_review_queue_and_keeps_its_history(
    settings: Settings, database: Database
) -> None:
    """Judged again on the withdrawn text: no longer first tier (not on /review, Discord or the private feed), the row
    and its decisions kept. A withdrawn paper seen for the first time is not kept for review either."""
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor

    paper, other = RELEVANT[0], RELEVANT[1]
    withdrawn = records(paper, other, version=2, announce_type="replace", abstract=WITHDRAWN)
    async with ArxivServer() as server:
        url = server.program(
            "/rss/cs.CV", Reply(body=feed(paper)), Reply(body=build_rss("cs.CV", withdrawn, date(2026, 4, 28)))
        )
        await run_poll(settings, database, sources=[url], clock=FakeClock())
        reviewer = Reviewer(database, settings)
        first = candidates(database)[paper]
        reviewer.decide(first.id, "approve", Actor("ann", None, "cli"), "Probing")
        reviewer.decide(first.id, "revert", Actor("ann", None, "cli"))  # undone: pending, with its history
        await run_poll(settings, database, sources=[url], clock=FakeClock())
    stored = candidates(database)
    assert stored[paper].status == "pending" and stored[paper].relevant is False and stored[paper].version == 2
    assert other not in stored  # first seen withdrawn: nobody's to review
    assert decision_actions(database, stored[paper].id) == ["approve", "revert"]


@pytest.mark.asyncio
async def test_a_new_version_of_a_decided_candidate_keeps_the_decision(settings: Settings, database: Database) -> None:
    """Approved into a section by a maintainer, then v2 renames the paper: the row takes the new title and authors,
    the decision (status, section, who, when) and the model's suggestion stay as they were."""
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor

    paper = RELEVANT[0]
    v2 = feed(
        paper,
        version=2,
        announce_type="replace",
        day=date(2026, 4, 28),
        title="Renamed",
        authors=["A. Person"],
        abstract=WITHDRAWN,
    )
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(paper)), Reply(body=v2))
        await run_poll(settings, database, sources=[url], clock=FakeClock())
        before = candidates(database)[paper]
        Reviewer(database, settings).decide(before.id, "approve", Actor("ann", None, "cli"), "Probing")
        decided = candidates(database)[paper]
        await run_poll(settings, database, sources=[url], clock=FakeClock())
    after = candidates(database)[paper]
    assert (after.title, after.authors, after.version) == ("Renamed", ["A. Person"], 2)
    kept = ("status", "decided_section", "decided_by", "decided_at", "relevant", "score", "suggested_section")
    assert {name: getattr(after, name) for name in kept} == {name: getattr(decided, name) for name in kept}


@pytest.mark.asyncio
async def test_a_new_version_of_a_readers_suggestion_stays_in_the_queue(settings: Settings, database: Database) -> None:
    """A reader put a paper the model passed over in the review queue; its new version, judged again, stays there."""
    paper = UNRELATED[0]
    insert_candidate(database, {**records(paper)[0], "published": "2026-01-10"}, relevant=True, score=0.1,
                     reader_note="worth a look", source_feeds=["suggested by a reader"])  # fmt: skip
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(paper, version=2, announce_type="replace")))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    stored = candidates(database)[paper]
    assert summary.sources[0].updated == 1 and stored.version == 2
    assert stored.relevant is True and stored.reader_note == "worth a look"


# ---------------------------------------------------------------------------------------------------------------------
# Dates: a `replace` / `cross` announcement of an older paper


@pytest.mark.asyncio
async def test_a_paper_first_seen_as_a_late_cross_list_is_dated_by_that_day(
    settings: Settings, database: Database
) -> None:
    """arXiv's RSS gives every item the feed day as pubDate, whatever its announce type; a cross-list added to an
    older paper is announced as `cross` on the day it is added (the real feed in tests/data has 2205.06398v2, a 2022
    paper, as `cross` on 2026-09-24). 2504.11695 (v1, April 2025), first seen as such a cross-list a year later, is
    stored as published 2026-04-27: no version of it is from that day. Approving it writes "(Apr. 27, 2026)" into the
    list and files it above the past year's papers as the newest; `digest add 2504.11695` (the API's <published>)
    would have dated the same paper April 2025."""
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor

    paper = "2504.11695"
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(paper, version=1, announce_type="cross")))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    assert summary.sources[0].new_candidates == 1
    stored = candidates(database)[paper]
    assert stored.announce_type == "cross" and stored.version == 1
    Reviewer(database, settings).decide(stored.id, "approve", Actor("ann", None, "cli"), "Probing")
    entry = next(line for line in settings.list_markdown_path.read_text().splitlines() if paper in line)
    # Observed: published 2026-04-27 and the entry "... (Apr. 27, 2026)".
    assert stored.published is None or stored.published.year == 2025, f"stored published {stored.published}"
    assert "2026)" not in entry, entry


@pytest.mark.parametrize(
    ("arxiv_id", "announce", "given", "expected"),
    [
        ("2604.22002", "new", datetime(2026, 4, 27, 4, tzinfo=UTC), datetime(2026, 4, 27, 4, tzinfo=UTC)),
        ("2504.11695", "cross", datetime(2026, 4, 27, 4, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)),
        ("2504.11695", "replace", datetime(2026, 4, 27, 4, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)),
        ("2504.11695", "replace-cross", None, datetime(2025, 4, 1, tzinfo=UTC)),
        ("astro-ph/0601001", "cross", datetime(2026, 4, 27, tzinfo=UTC), datetime(2006, 1, 1, tzinfo=UTC)),
        ("2504.11695", None, datetime(2025, 4, 16, 17, tzinfo=UTC), datetime(2025, 4, 16, 17, tzinfo=UTC)),  # API
        ("2504.11695", "new", datetime(2025, 3, 31, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)),  # never before
    ],
)
def test_a_paper_is_dated_by_its_own_day_or_its_ids_month(
    arxiv_id: str, announce: str | None, given: datetime | None, expected: datetime
) -> None:
    from digest.arxiv.parse import own_date

    assert own_date(arxiv_id, announce, given) == expected


# ---------------------------------------------------------------------------------------------------------------------
# Discord: a posted candidate's new version


@pytest.mark.asyncio
async def test_a_check_mark_given_on_the_shown_section_approves_into_the_new_versions_section(
    fake: Any, db: Database, bot_settings: Settings
) -> None:
    """The message says '✅ approve into Sparse Autoencoder'; a maintainer reacts ✅ while the bot is down (a deploy,
    a Discord outage). Meanwhile the poll stores v2 of the paper, whose text is a steering paper's. The suggestion of a
    posted candidate stays what its message offers, so the replayed ✅ approves into the section the maintainer was
    shown (it approved into Steering, which nobody chose or saw)."""
    paper = RELEVANT[0]
    other = records(RELEVANT[2])[0]  # a steering paper's text as v2's text
    v2 = feed(paper, version=2, announce_type="replace", title=other["title"], abstract=other["abstract"],
              day=date(2026, 4, 28))  # fmt: skip
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(paper)), Reply(body=v2))
        await run_poll(bot_settings, db, sources=[url], clock=FakeClock())
        assert candidates(db)[paper].suggested_section == "Sparse Autoencoder"
        async with running(bot_settings, db) as bot:
            assert (await bot.post_pending()).posted == 1
        mid = int(candidates(db)[paper].discord_message_id or 0)
        assert "approve into Sparse Autoencoder" in last_embed(fake, mid)["footer"]["text"]
        await fake.react(mid, MAINTAINER, "✅", online=False)  # what the maintainer was shown: Sparse Autoencoder
        await run_poll(bot_settings, db, sources=[url], clock=FakeClock())
    judged = candidates(db)[paper]
    assert judged.title == other["title"] and judged.version == 2  # v2's text is the candidate's
    assert judged.suggested_section == "Sparse Autoencoder"  # the section its message offers
    async with running(bot_settings, db):
        await eventually(lambda: candidates(db)[paper].status != "pending", "the ✅ replayed")
    assert candidates(db)[paper].decided_section == "Sparse Autoencoder"


@pytest.mark.asyncio
async def test_a_new_title_of_a_posted_candidate_reaches_its_discord_message(
    fake: Any, db: Database, bot_settings: Settings
) -> None:
    """The candidate was posted to the review channel on Monday; Tuesday's `replace` (v2) renames the paper. The
    database takes the new title (the poll says "1 new versions"), but the bot only re-renders a message when the
    candidate's status changes, so the maintainers keep reviewing under v1's title until someone decides."""
    import asyncio

    from digest.discord.bot import ReviewBot
    from digest.review.reviewer import Reviewer

    paper = RELEVANT[0]
    renamed = "Line of Sight: Linear Representations of Image Concepts in Vision-Language Models"
    bot = ReviewBot(bot_settings, db, Reviewer(db, bot_settings), guild_ready_timeout=0.01, sync_interval=0.05)
    await bot.start()
    try:
        async with ArxivServer() as server:
            url = server.program(
                "/rss/cs.CV",
                Reply(body=feed(paper)),
                Reply(body=feed(paper, version=2, announce_type="replace", title=renamed, day=date(2026, 4, 28))),
            )
            await run_poll(bot_settings, db, sources=[url], clock=FakeClock())
            await bot.post_pending()  # or the bot's own round, every 0.05 s, posts it first
            await eventually(lambda: candidates(db)[paper].discord_message_id is not None, "the candidate posted")
            stored = candidates(db)[paper]
            mid = int(stored.discord_message_id or 0)
            second = await run_poll(bot_settings, db, sources=[url], clock=FakeClock())
        assert second.sources[0].updated == 1 and candidates(db)[paper].title == renamed
        rounds = bot.sync_rounds
        while bot.sync_rounds < rounds + 5:  # five of the bot's rounds that keep messages true
            await asyncio.sleep(0.05)
    finally:
        await bot.close()
    # Observed: the message still shows "Line of Sight: On Linear Representations in VLLMs".
    assert fake.messages[mid]["embeds"][0]["title"] == renamed
    assert list(fake.messages) == [mid] and len(fake.posted()) == 1  # edited in place: no second message posted
