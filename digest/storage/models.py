"""The database schema (SQLAlchemy 2.x). Portable: nothing here is SQLite-only, so a PostgreSQL URL works.

The list is kept as sections, papers and entries (a paper's place in a section). To give back the maintainers'
Markdown byte for byte, each section keeps its heading and intro text verbatim and each entry keeps its own
lines verbatim (`raw`); entries added by the service have `raw` rendered from the entry template.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from digest.vocab import Status

# Candidate statuses.
# Plain strings in the columns; their one home is vocab.Status.
PENDING, APPROVED, REJECTED = Status.PENDING.value, Status.APPROVED.value, Status.REJECTED.value
CANDIDATE_STATUSES = (PENDING, APPROVED, REJECTED)


class UTCDateTime(TypeDecorator[datetime]):
    """Times are stored in UTC and always come back aware, in UTC.

    SQLite keeps no offset and hands back naive datetimes while PostgreSQL hands back aware ones; without this,
    every reader would have to guess, and comparing the two kinds raises at run time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class ListMeta(Base):
    """Verbatim text of the list outside any section (`preamble`), and facts about the last import."""

    __tablename__ = "list_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class Section(Base):
    """One heading of the list, in document order. Sections without entries (News, Contribution) carry text."""

    __tablename__ = "sections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # "Input-level Attribution"
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    level: Mapped[int] = mapped_column(Integer)  # 2 for ##, 3 for ###
    position: Mapped[int] = mapped_column(Integer, index=True)
    # The heading line and the text before the first entry (back-link, blank lines), verbatim.
    intro_raw: Mapped[str] = mapped_column(Text, default="")
    # What holds papers: "papers", "surveys", "blog", "tool", or "text" for sections that hold none.
    kind: Mapped[str] = mapped_column(String(16), default="papers")
    entries: Mapped[list[Entry]] = relationship(
        back_populates="section", order_by="Entry.position", cascade="all, delete-orphan"
    )


class Paper(Base):
    """A paper (or blog post, survey, tool) the list holds; one paper can sit in several sections."""

    __tablename__ = "papers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Identity: the normalised title (one arXiv ID can be mis-linked from two titles in a hand-kept list).
    title_key: Mapped[str] = mapped_column(String(500), unique=True)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="paper")  # paper | survey | blog | tool
    arxiv_id: Mapped[str | None] = mapped_column(String(32), index=True)  # without version
    url: Mapped[str | None] = mapped_column(Text)  # the title link
    other_urls: Mapped[list[str]] = mapped_column(JSON, default=list)  # OpenReview, AAAI, Springer, blogs
    code_url: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    abstract: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # "seed" for papers imported from the Markdown, "review" for papers approved from candidates.
    origin: Mapped[str] = mapped_column(String(16), default="seed")
    entries: Mapped[list[Entry]] = relationship(back_populates="paper")


class Entry(Base):
    """A paper's place in a section, with the entry's Markdown lines kept verbatim."""

    __tablename__ = "entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    raw: Mapped[str] = mapped_column(Text)  # the entry's lines, with the blank lines that follow it
    short_name: Mapped[str | None] = mapped_column(Text)
    date_text: Mapped[str | None] = mapped_column(String(64))  # as written: "Apr. 4, 2025"
    badge_arxiv_id: Mapped[str | None] = mapped_column(String(32))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    section: Mapped[Section] = relationship(back_populates="entries")
    paper: Mapped[Paper] = relationship(back_populates="entries")


class Candidate(Base):
    """A paper found on arXiv that may belong in the list. Rows are never deleted: they are the dedupe memory."""

    __tablename__ = "candidates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(32), unique=True)  # without version
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(Text)
    title_key: Mapped[str] = mapped_column(String(500), index=True)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    abstract: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    announce_type: Mapped[str | None] = mapped_column(String(32))
    published: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated: Mapped[datetime | None] = mapped_column(UTCDateTime())
    doi: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    comments: Mapped[str | None] = mapped_column(Text)
    code_url: Mapped[str | None] = mapped_column(Text)
    relevant: Mapped[bool] = mapped_column(Boolean, default=True)
    score: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    matched: Mapped[list[str]] = mapped_column(JSON, default=list)
    suggested_section: Mapped[str | None] = mapped_column(String(200))
    suggested_sections: Mapped[list[str]] = mapped_column(JSON, default=list)  # ranked
    source_feeds: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_section: Mapped[str | None] = mapped_column(String(200))
    paper_id: Mapped[int | None] = mapped_column(ForeignKey("papers.id", ondelete="SET NULL"))
    # Discord: the review message, and whether it must be (re)posted.
    discord_channel_id: Mapped[str | None] = mapped_column(String(32))
    discord_message_id: Mapped[str | None] = mapped_column(String(32), index=True)
    discord_state: Mapped[str] = mapped_column(String(16), default="unposted")  # unposted|posted|repost
    discord_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The status the Discord message shows; differs from `status` after a decision made elsewhere (web, CLI),
    # which tells the bot to edit the message.
    discord_shown_status: Mapped[str | None] = mapped_column(String(16))
    # Why the model flagged it: digest.relevance.why.Why as JSON (terms, parts of the score, nearest list papers).
    why: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A reader's note from /suggest (the candidate's source feed then says "suggested by a reader").
    reader_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_candidates_status_score", "status", "score"),)


class Decision(Base):
    """The audit log: every decision on a candidate, who made it, through which channel, when."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # approve | reject | revert
    section: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))  # display name
    actor_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # discord | web | feed | cli
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    applied: Mapped[bool] = mapped_column(Boolean, default=True)  # False when it changed nothing


class FeedState(Base):
    """What the poller remembers of one source: validators for conditional GET, the feed's date, failures."""

    __tablename__ = "feed_state"
    source: Mapped[str] = mapped_column(String(1000), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    feed_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_outcome: Mapped[str | None] = mapped_column(String(32))  # fetched|not-modified|quiet|broken|error
    last_message: Mapped[str | None] = mapped_column(Text)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)


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
    query: Mapped[str] = mapped_column(String(1000), primary_key=True)
    next_start: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WeeklyDigest(Base):
    """One ISO week's digest email: sent exactly once; failures are kept and retried with back-off."""

    __tablename__ = "weekly_digests"
    week: Mapped[str] = mapped_column(String(10), primary_key=True)  # "2026-W48"
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str | None] = mapped_column(String(300))
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)


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
    arxiv_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
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
    source: Mapped[str] = mapped_column(String(1000), default="")
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
    pull_number: Mapped[int | None] = mapped_column(Integer)
    pull_branch: Mapped[str | None] = mapped_column(String(200))
    pull_text: Mapped[str | None] = mapped_column(Text)


__all__ = [
    "APPROVED",
    "CANDIDATE_STATUSES",
    "PENDING",
    "REJECTED",
    "BackfillState",
    "Base",
    "Candidate",
    "Decision",
    "Entry",
    "FeedState",
    "ListMeta",
    "Paper",
    "PollRun",
    "PublishState",
    "RelevanceExample",
    "RelevanceState",
    "RevokedSession",
    "Section",
    "StreamPaper",
    "TrainingDecision",
    "WeeklyDigest",
]
