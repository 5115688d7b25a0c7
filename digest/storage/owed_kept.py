"""How long the weekly digest's record keeps the addresses an edition the job is done with still owes: one given up
(older than the weeks the job catches up) or refused for good (the server's 5xx) keeps them OWED_KEPT_FOR, so that
`digest weekly --send` can still send it to them by hand; then they are dropped, and counted (`given_up_count`).

Dropped by the weekly job, by the send by hand that comes too late, and by each poll's pruning, so that no address
outlives its window by much more than a day (weekly/catchup.py, weekly/attempts.py, arxiv/poll_runs.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from digest.clock import as_utc
from digest.storage.state import WeeklyDigest

# As other pruning keeps state for 30 days (arxiv/poll_runs.py's STATE_KEPT_FOR).
OWED_KEPT_FOR = timedelta(days=30)


def owed_kept_start(row: WeeklyDigest) -> datetime | None:
    """When the window of the addresses the edition owes began (its first giving up or refusal for good), whether or
    not the job is done with it now: a send by hand of it that reached some leaves it failed, and the window stands."""
    return as_utc(row.owed_kept_from) if row.owed_kept_from is not None else None


def keep_owed_from(row: WeeklyDigest, now: datetime) -> datetime:
    """Starts the window of the addresses the edition owes at `now`, unless it began already (a refusal or a giving
    up again does not start it afresh); when it began."""
    row.owed_kept_from = owed_kept_start(row) or as_utc(now)
    return row.owed_kept_from


def owed_kept_since(row: WeeklyDigest) -> datetime | None:
    """When the window of the addresses owed by an edition the job is done with (given up, or refused for good)
    began; None while it is not (pending, failed, sent)."""
    if row.given_up_at is None and row.refused_at is None:
        return None
    return owed_kept_start(row)


def forget_owed(row: WeeklyDigest, now: datetime) -> bool:
    """Drops the addresses the row still owes once its window has passed, counting them as given up on (one refused
    for good is counted then; one given up was when it was); whether it did."""
    since = owed_kept_since(row)
    if since is None or since >= as_utc(now) - OWED_KEPT_FOR or not row.deferred:
        return False
    if row.given_up_at is None:
        row.given_up_count = len(row.deferred)
    row.deferred = []
    return True


def forget_owed_past_keeping(session: Session, now: datetime) -> int:
    """Drops the addresses every edition given up or refused for good more than OWED_KEPT_FOR ago still owes; returns
    of how many editions."""
    cutoff = as_utc(now) - OWED_KEPT_FOR
    table = WeeklyDigest
    done_with = or_(table.given_up_at.is_not(None), table.refused_at.is_not(None))
    rows = session.scalars(select(table).where(done_with, table.owed_kept_from < cutoff))
    return sum(forget_owed(row, now) for row in rows)
