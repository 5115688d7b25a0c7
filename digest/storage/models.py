"""The database schema of the list and its review (SQLAlchemy 2.x; the service's own tables are in state.py). Portable:
nothing here is SQLite-only, so a PostgreSQL URL works.

The list is kept as sections, papers and entries (a paper's place in a section). To give back the maintainers'
Markdown byte for byte, each section keeps its heading and intro text verbatim and each entry keeps its own
lines verbatim (`raw`); entries added by the service have `raw` rendered from the entry template.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from digest.storage.times import UTCDateTime
from digest.vocab import Status

# Candidate statuses: plain strings in the columns; their one home is vocab.Status.
PENDING, APPROVED, REJECTED = Status.PENDING.value, Status.APPROVED.value, Status.REJECTED.value
CANDIDATE_STATUSES = (PENDING, APPROVED, REJECTED)


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
    # The public feeds' id for it (titles.feed_key), set when it joined the list and never changed after.
    feed_key: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="paper")  # paper | survey | blog | tool
    arxiv_id: Mapped[str | None] = mapped_column(String(32), index=True)  # without version
    url: Mapped[str | None] = mapped_column(Text)  # the title link
    other_urls: Mapped[list[str]] = mapped_column(JSON, default=list)  # OpenReview, AAAI, Springer, blogs
    code_url: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    abstract: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # When an import last changed what its feed item shows of it (its title, its links); None: never since it joined.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
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
    relevant: Mapped[bool] = mapped_column(Boolean, default=True)  # waits for review (the first tier) while pending
    # The latest judgement put it in neither tier (a new version withdrawn, or scored under both thresholds): a pending
    # paper not relevant is the weekly digest's second tier only while this is False. See `in_second_tier`.
    below_tiers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
    discord_state: Mapped[str] = mapped_column(String(16), default="unposted")  # unposted|sending|posted|repost|refused
    discord_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The status the Discord message shows; differs from `status` after a decision made elsewhere (web, CLI),
    # which tells the bot to edit the message.
    discord_shown_status: Mapped[str | None] = mapped_column(String(16))
    # The decision time the message shows: a decision elsewhere that leaves the status as it was (a move to another
    # section, a rejection by someone else after an undo) changes it, and the message is edited too.
    discord_shown_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The paper's version the message was rendered from: a new version (title, abstract, authors) edits it too.
    discord_shown_version: Mapped[int | None] = mapped_column(Integer)
    # What the message shows of its suggested section (SuggestedSection.shown()): a heading renamed, taken out or
    # repeated since edits the pending messages whose suggestion it changes (discord/suggested.py).
    discord_shown_suggestion: Mapped[str | None] = mapped_column(Text)
    # Whether the message offers ✅ (the bot's ✅ under it: its suggestion is one section of the list), as the bot last
    # posted or edited it: a decided message offering none is edited once the list offers one (discord/suggested.py).
    # None: not recorded (a message not shown as its row holds yet, or one without a suggestion).
    discord_offers_approve: Mapped[bool | None] = mapped_column(Boolean)
    # The section emojis the message's legend offers, as shown (legend.section_legend): a heading renamed or taken out
    # since edits the pending messages offering otherwise. None: posted by a release before (the config's names).
    discord_shown_legend: Mapped[str | None] = mapped_column(Text)
    # The section an approved candidate's message says it went into, by the list's name then: a heading renamed since
    # edits the messages naming it (discord/decided.py). None for a message of a candidate not approved.
    discord_shown_section: Mapped[str | None] = mapped_column(String(200))
    # The note the message shows, or is to show (why a reaction changed nothing), and whether an edit still owes it
    # (Discord failed it): kept here, a restart shows one owed and puts it back with an embed a moderator removed.
    discord_note: Mapped[str | None] = mapped_column(Text)
    discord_note_owed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    # Why the model flagged it: digest.relevance.why.Why as JSON (terms, parts of the score, nearest list papers).
    why: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A reader's note from /suggest (the candidate's source feed then says "suggested by a reader").
    reader_note: Mapped[str | None] = mapped_column(Text)
    # An approved paper taken out of the list by hand since: when, who (None: unknown), how ("commit 1a2b3c4d5e6f").
    taken_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    taken_out_by: Mapped[str | None] = mapped_column(String(200))
    taken_out_in: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_candidates_status_score", "status", "score"),
        # The Discord bot asks every few seconds what to post and what to show again: without these it read the
        # whole table, which keeps every paper the polls ever kept (the second tier too).
        Index("ix_candidates_to_post", "status", "relevant", "discord_state"),
        Index("ix_candidates_shown", "discord_state", "discord_shown_status", "status", "discord_message_id"),
    )


def in_second_tier() -> ColumnElement[bool]:
    """Pending, just under the review threshold by its latest judgement: what the weekly digest's "Worth a look" and
    `digest candidates --second-tier` list, and nothing a new version put below both tiers."""
    return and_(Candidate.status == PENDING, Candidate.relevant.is_(False), Candidate.below_tiers.is_(False))


class Decision(Base):
    """The audit log: every decision on a candidate, who made it, through which channel, when."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # approve | reject | revert
    section: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))  # display name
    actor_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # discord | web | feed | email | cli
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    applied: Mapped[bool] = mapped_column(Boolean, default=True)  # False when it changed nothing
    # "add": made by Discord's /add, not by a reaction; "": recorded before schema 0015, which could be either; "add?":
    # one of those that the bot, catching up, found no reaction for and kept (read as an /add's from then on)
    command: Mapped[str | None] = mapped_column(String(32))
    # An approval that moved an approved paper into another section: the section(s) it left (None before schema 0029)
    moved_from: Mapped[str | None] = mapped_column(String(200))


__all__ = [
    "APPROVED",
    "CANDIDATE_STATUSES",
    "PENDING",
    "REJECTED",
    "Base",
    "Candidate",
    "Decision",
    "Entry",
    "ListMeta",
    "Paper",
    "Section",
]
