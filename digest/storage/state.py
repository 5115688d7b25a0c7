"""The service's own state, beside the list: what the poller remembers (and told of the list's papers), poll runs and
backfills, weekly digests, the relevance model's examples and stream, imported training decisions, revoked sessions
and publishing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from digest.storage.models import Base
from digest.storage.times import UTCDateTime


class FeedState(Base):
    """What the poller remembers of one source: validators for conditional GET, the feed's date, failures."""

    __tablename__ = "feed_state"
    source: Mapped[str] = mapped_column(Text, primary_key=True)  # a feed's URL; an API query's may be long
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    feed_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_outcome: Mapped[str | None] = mapped_column(String(32))  # fetched|not-modified|quiet|broken|error
    last_message: Mapped[str | None] = mapped_column(Text)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)


class ListNotice(Base):
    """What the polls told the maintainers of a paper in the list (arXiv withdrew it, or retitled it), and of which
    version: told once, whichever day's feed, category or API answer brings that version again."""

    __tablename__ = "list_notices"
    arxiv_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    notice: Mapped[str] = mapped_column(String(16), primary_key=True)  # vocab.Notice: withdrawn | retitled
    version: Mapped[int] = mapped_column(Integer)  # the latest version told of (0: a feed that named none)
    told_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What /review shows of it (feed text, escaped there), and who dismissed it: a later version told clears that.
    title: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the version's date on arXiv
    dismissed_by: Mapped[str | None] = mapped_column(String(200))
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PollRun(Base):
    """One pass over the sources, for /healthz and the logs."""

    __tablename__ = "poll_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(32), default="running")  # ok | partial | failed | running
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class BackfillState(Base):
    """Where a `digest backfill` stopped, so a second run resumes instead of starting again."""

    __tablename__ = "backfill_state"
    query: Mapped[str] = mapped_column(Text, primary_key=True)
    next_start: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


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
