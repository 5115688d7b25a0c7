"""What the poller remembers beside the list: each source's validators and outcome, the poll runs, where a backfill
stopped, and what the polls told of the list's papers. `digest candidates` and a decision map these tables alone,
not the rest of the service's state (state.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text
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
