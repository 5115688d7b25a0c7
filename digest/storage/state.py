"""The service's own state, beside the list: weekly digests, the relevance model's examples and stream, imported
training decisions, revoked sessions and publishing; and, from poll_state, what the poller remembers (and told of the
list's papers), poll runs and backfills, and from bot_state the review bot's tables. Importing this module maps
every table of the schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from digest.storage.bot_state import DiscordHeldReaction as DiscordHeldReaction
from digest.storage.bot_state import DiscordOwedMessage as DiscordOwedMessage
from digest.storage.bot_state import DiscordReaction as DiscordReaction
from digest.storage.models import Base
from digest.storage.poll_state import BackfillState as BackfillState
from digest.storage.poll_state import FeedState as FeedState
from digest.storage.poll_state import ListNotice as ListNotice
from digest.storage.poll_state import PollRun as PollRun
from digest.storage.times import UTCDateTime


class WeeklyDigest(Base):
    """One ISO week's digest email of one edition: sent exactly once; failures are kept and retried with back-off."""

    __tablename__ = "weekly_digests"
    week: Mapped[str] = mapped_column(String(10), primary_key=True)  # "2026-W48"
    edition: Mapped[str] = mapped_column(String(16), primary_key=True, default="readers")  # readers | maintainers
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | sent | failed | refused
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str | None] = mapped_column(String(300))
    # How many have it (accepted by the server), were refused it for good, and were given up on: counts, no readers'
    # addresses (kept only while a retry still owes them the edition: `deferred`).
    reached_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refused_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    given_up_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When it was given up, or refused for good: the addresses it still owed are kept storage/owed_kept.py's
    # OWED_KEPT_FOR after, for a send by hand (then dropped, and counted as given up on).
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When those 30 days began: its first giving up or refusal for good. Kept while a send by hand of it that reached
    # some is retried (failed: neither time above is set then), so a refusal again does not start them afresh; cleared
    # once it is sent.
    owed_kept_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Refused for now (a 4xx reply: greylisting), or the message refused for good after some had it: owed the edition,
    # which is retried for them alone; emptied once they have it, are recipients no more, or the edition was given up
    # or refused longer ago than OWED_KEPT_FOR.
    deferred: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class RelevanceExample(Base):
    """Abstracts of the list's papers fetched after the bundled copy, positives for the relevance model."""

    __tablename__ = "relevance_examples"
    arxiv_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StreamPaper(Base):
    """A paper a poll judged, relevant or not: the unlabelled stream the review budget's threshold is fitted on.
    `score` is the raw score under the model named by `model_key`; rows scored by an older model are re-scored."""

    __tablename__ = "stream_papers"
    # The window the thresholds are fitted on is read newest first (time, then ID) for its scores after every poll:
    # from this index alone, without sorting a poll's papers (one time) or reading their text off the table.
    __table_args__ = (Index("ix_stream_papers_window", "seen_at", "arxiv_id", "score", "model_key"),)
    arxiv_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    score: Mapped[float | None] = mapped_column(Float)
    model_key: Mapped[str | None] = mapped_column(String(64))


class RelevanceState(Base):
    """The fitted thresholds (review budget and second tier) and the model and stream they were fitted for."""

    __tablename__ = "relevance_state"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class TrainingDecision(Base):
    """A maintainer's earlier verdict brought in with `digest decisions import`: trains the model, never changes
    the list. A later decision on a candidate for the same paper takes precedence."""

    __tablename__ = "training_decisions"
    arxiv_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    approved: Mapped[bool] = mapped_column(Boolean)
    section: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text, default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RevokedSession(Base):
    """A review session signed out before its cookie expired; kept until then, so a copied cookie stays refused."""

    __tablename__ = "revoked_sessions"
    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # signing.session_digest(nonce)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # the cookie's own expiry
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PublishState(Base):
    """Where the list stands with its git repository (one row): what was last synced and published, which decisions
    are in it, and the last failure. Decisions with a higher id are pending, so a restart loses none."""

    __tablename__ = "publish_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_decision_id: Mapped[int] = mapped_column(Integer, default=0)  # decisions up to this one are published
    base_text: Mapped[str | None] = mapped_column(Text)  # the file as last synced: the merge base for hand edits
    synced_commit: Mapped[str | None] = mapped_column(String(64))
    published_commit: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Pull-request mode: the service's pull request, its branch and the file as last pushed there.
    pull_number: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))  # SQLite: 64-bit
    pull_branch: Mapped[str | None] = mapped_column(String(200))
    pull_text: Mapped[str | None] = mapped_column(Text)
