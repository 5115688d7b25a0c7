"""The set-up of the review bot tests: the real bot running against the fake Discord, a wait for what it does in
answer to an event (or for its background rounds), a candidate posted or approved by ann, and what a test reads back
(its row, message, embed and edits, the list file, the decisions, a section of the list, the bot's health); a
table renamed away and back, and ann deciding on the web; a clock skipping Discord's minutes of rate limit, and the
requests the fake received since a mark."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select, text

from digest import health
from digest.clock import SYSTEM_CLOCK, Clock
from digest.config import Settings
from digest.discord.bot import ReviewBot
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.db import Database
from digest.storage.models import Candidate, Decision
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import MAINTAINER, FakeDiscord


@asynccontextmanager
async def running(
    settings: Settings, database: Database, sync_interval: float = 60.0, clock: Clock = SYSTEM_CLOCK
) -> AsyncIterator[ReviewBot]:
    # The periodic check for decisions made in other processes is slowed down except where a test needs it, so
    # that a message edit seen by a test comes from the decision's listener, after the list file was written.
    reviewer = Reviewer(database, settings)
    bot = ReviewBot(settings, database, reviewer, guild_ready_timeout=0.01, sync_interval=sync_interval, clock=clock)
    await bot.start()
    try:
        assert bot.ready
        yield bot
    finally:
        await bot.close()


# How long a test waits, by the clock, for what the bot does in answer to an event before saying it never happened: a
# count of polls (500 of 20 ms) was 10 s on an idle machine and whatever the load made of it in the suite. Half a
# minute is about as long as a member waits for the bot to show what they did before doing it again; it is no timing
# assertion (the bot answers in a fraction of it), only the point past which it is not coming.
WAIT_SECONDS = 30.0


async def eventually(check: Callable[[], bool], what: str, *, within: float = WAIT_SECONDS) -> None:
    """Waits for something the bot does in response to an event (never a timing assertion), `within` seconds at most."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened within {within:g} s: {what}")
        await asyncio.sleep(0.02)


def row(database: Database, candidate_id: int) -> Candidate:
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None
        session.expunge(candidate)
        return candidate


def section_of(markdown: str, heading: str) -> str:
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#") and heading in line)
    rest = lines[start + 1 :]
    end = next((i for i, line in enumerate(rest) if line.startswith("#")), len(rest))
    return "\n".join(rest[:end])


def decision_count(database: Database) -> int:
    with database.reading() as session:
        return len(session.scalars(select(Decision.id)).all())


def list_md(settings: Settings) -> str:
    return settings.list_markdown_path.read_text(encoding="utf-8")


def message_id(database: Database, candidate_id: int) -> int:
    value = row(database, candidate_id).discord_message_id
    assert value is not None
    return int(value)


def last_embed(fake: FakeDiscord, mid: int) -> dict[str, Any]:
    return fake.messages[mid]["embeds"][0]  # type: ignore[no-any-return]


async def posted_candidate(fake: FakeDiscord, db: Database, bot: ReviewBot, index: int, **kw: Any) -> tuple[int, int]:
    candidate_id = insert_candidate(db, real_papers()[index], **kw)
    report = await bot.post_pending()
    assert report.posted >= 1
    return candidate_id, message_id(db, candidate_id)


PENDING_COLOUR = 0x5865F2


def discord_health() -> health.Component:
    return next(component for component in health.components() if component.name == "discord")


async def rounds(bot: ReviewBot, count: int) -> None:
    target = bot.sync_rounds + count
    await eventually(lambda: bot.sync_rounds >= target, f"{count} background rounds")


async def approved_by_ann(fake: FakeDiscord, db: Database, bot: ReviewBot, index: int, **kw: Any) -> tuple[int, int]:
    candidate_id, mid = await posted_candidate(fake, db, bot, index, **kw)
    await fake.react(mid, MAINTAINER, "✅")
    await eventually(lambda: "Approved by ann" in last_embed(fake, mid)["description"], "approved and shown")
    # The edit is seen before the bot has noted it in the row (its last step): a test starting now must not meet it.
    await eventually(lambda: row(db, candidate_id).discord_shown_status == "approved", "the edit noted as shown")
    return candidate_id, mid


def edits(fake: FakeDiscord, mid: int) -> int:
    return len(fake.messages[mid].get("_edits", []))


def rename(database: Database, old: str, new: str) -> None:
    """A table taken away and given back: the database failing, and working again."""
    with database.transaction() as session:
        session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


WEB_ANN = Actor("web-ann", None, "web")


class Skipping(Clock):
    """The system's monotonic clock, moved on by `skip`: Discord's minutes of rate limit passed at once."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped

    def skip(self, seconds: float) -> None:
        self.skipped += seconds


def since(fake: FakeDiscord, mark: int) -> list[str]:
    """The requests the fake received after the first `mark`, as 'METHOD path'."""
    return [f"{r.method} {r.path}" for r in fake.received[mark:]]
