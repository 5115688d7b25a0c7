"""The record of each week's editions (`weekly_digests`): their statuses, and the claim exactly once rests on: a
conditional UPDATE claims an edition ("sending") so that two processes cannot both send. What came of an attempt
(sent, failed with a back-off, refused) is recorded by weekly/attempts.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digest.clock import as_utc
from digest.config import Settings
from digest.config.invocation import noted, same_invocation
from digest.storage.db import Database
from digest.storage.owed_kept import OWED_KEPT_FOR, owed_kept_since
from digest.storage.state import WeeklyDigest
from digest.weekly.issue import Edition, IsoWeek

SENDING, SENT, FAILED = "sending", "sent", "failed"
QUIET = "quiet"  # a quiet week's edition, skipped (weekly.send_quiet_week off): done, like a sent one
# An edition of a week older than the last CATCH_UP_WEEKS that is still unsent: not sent any more (the log says so).
GIVEN_UP = "given-up"
# An edition the server refused for good (a 5xx reply to the sender, the login, every recipient or the message): the
# same send would be refused again, so it is not retried; `digest weekly --send` sends it once the cause is fixed.
REFUSED = "refused"
DONE = (SENT, QUIET, GIVEN_UP, REFUSED)
# The statuses only a maintainer's `digest weekly --send` claims an edition from: a send of it that reached nobody (a
# server it could not reach, a stop) leaves it as it was, not owed to the job's retries.
KEPT_UNSENT = (QUIET, GIVEN_UP, REFUSED)
# A claim this old belongs to a process that died mid-send; the week is tried again (it may arrive twice then). A
# send still going renews its claim (renew_claim) well within this, however long a readers' list takes.
STALE_CLAIM = timedelta(hours=1)
# The readers an edition given up (or refused for good) still owed are kept this long after, so that `digest weekly
# --send` can still send it to them by hand; then their addresses are dropped (storage/owed_kept.py).
GIVEN_UP_KEPT_FOR = OWED_KEPT_FOR


@dataclass(frozen=True)
class WeekState:
    week: str
    edition: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    deferred: tuple[str, ...] = ()  # refused for now by the server: owed the edition, which the others have
    attempted_at: datetime | None = None  # when the last attempt began (the claim, while it is "sending")
    reached: int = 0  # how many have the edition (all its recipients, once sent)
    given_up: int = 0  # how many it was owed to when given up (their addresses kept GIVEN_UP_KEPT_FOR, then dropped)
    refused: int = 0  # how many the server refused it for good
    kept_since: datetime | None = None  # when given up or refused for good: whom it owes is kept GIVEN_UP_KEPT_FOR
    done_as: str | None = None  # given up or refused for good, whatever its status says (done_with_status)

    @property
    def kept_until(self) -> datetime | None:
        """Until when whom it owes is kept (a send by hand reaches them): GIVEN_UP_KEPT_FOR after kept_since."""
        return None if self.kept_since is None else self.kept_since + GIVEN_UP_KEPT_FOR


def week_state(session: Session, week: str, edition: Edition = "readers") -> WeekState | None:
    row = session.get(WeeklyDigest, (week, edition))
    if row is None:
        return None
    return WeekState(
        row.week,
        row.edition,
        row.status,
        row.attempts,
        row.last_error,
        as_utc(row.next_attempt_at) if row.next_attempt_at else None,
        as_utc(row.sent_at) if row.sent_at else None,
        tuple(row.deferred),
        as_utc(row.last_attempt_at) if row.last_attempt_at else None,
        row.reached_count,
        row.given_up_count,
        row.refused_count,
        owed_kept_since(row),
        done_with_status(row),
    )


def done_with_status(row: WeeklyDigest) -> str | None:
    """What the job was done with the edition as (given up, or refused for good), or None: its status then, and
    again once a send by hand of it (claimed, "sending") ends without reaching anyone, its claim lapsed or not."""
    if owed_kept_since(row) is None:
        return None
    return GIVEN_UP if row.given_up_at is not None else REFUSED


def claim_line(state: WeekState) -> str:
    """Why an edition that is "sending" cannot be claimed, in words true also when its process was killed mid-send
    (its claim then stands until it lapses)."""
    seen = state.attempted_at or datetime.now(UTC)
    return (
        f"a process is sending it (last heard from at {seen:%Y-%m-%d %H:%M} UTC); if that process was killed, the "
        f"claim lapses at {seen + STALE_CLAIM:%Y-%m-%d %H:%M} UTC: send it again then (readers it reached already "
        "may get it twice)"
    )


def refused_line(settings: Settings, week: str, edition: Edition) -> str:
    """What becomes of an edition the server refused for good, and how to send it once the cause is fixed (the
    service's own invocation: run as printed, it sends from this database)."""
    command = same_invocation(settings, "weekly", "--week", week, "--edition", edition, "--send")
    return noted(f"a refusal for good, not retried: fix its cause, then `{command}` sends it")


def claim_week(
    database: Database,
    week: str,
    now: datetime,
    *,
    edition: Edition = "readers",
    ignore_backoff: bool = False,
    status_was: str | None = None,
) -> bool:
    """Marks the week's edition "sending" if it is unsent and due; False when it is sent, being sent, or backing
    off. `status_was`: only from that status (read before), so that a send that reaches nobody can restore it."""
    now = as_utc(now)
    try:
        with database.transaction() as session:
            if session.get(WeeklyDigest, (week, edition)) is None:
                session.add(WeeklyDigest(week=week, edition=edition, status="pending", attempts=0))
    except IntegrityError:
        pass  # another process created the row first; the claim below decides who sends
    table = WeeklyDigest
    due = or_(table.next_attempt_at.is_(None), table.next_attempt_at <= now)
    # A maintainer asking by hand (`digest weekly --send`) also sends an edition the job gave up, skipped as quiet, or
    # that the server refused for good.
    unsent = (
        table.status.in_(("pending", FAILED, GIVEN_UP, QUIET, REFUSED))
        if ignore_backoff
        else and_(table.status.in_(("pending", FAILED)), due)
    )
    stale = and_(table.status == SENDING, table.last_attempt_at < now - STALE_CLAIM)
    with database.transaction() as session:
        claim = update(table).where(table.week == week, table.edition == edition, or_(unsent, stale))
        if status_was is not None:
            claim = claim.where(table.status == status_was)
        claim = claim.values(status=SENDING, attempts=table.attempts + 1, last_attempt_at=now)
        result = cast(CursorResult[Any], session.execute(claim.execution_options(synchronize_session=False)))
        return result.rowcount == 1


def claimed_attempt(database: Database, week: str, edition: Edition) -> int:
    """The number of the attempt that holds the claim just taken: renew_claim renews that attempt's claim only."""
    with database.reading() as session:
        row = session.get(WeeklyDigest, (week, edition))
        return row.attempts if row is not None else 0


def renew_claim(database: Database, week: str, edition: Edition, attempt: int, now: datetime) -> bool:
    """Keeps the claim of a send still going from lapsing (its time is the last sign of life); whether it is still
    this attempt's (a claim another process took over after a stall is not renewed for it)."""
    table = WeeklyDigest
    with database.transaction() as session:
        renew = update(table).where(
            table.week == week, table.edition == edition, table.status == SENDING, table.attempts == attempt
        )
        renew = renew.values(last_attempt_at=as_utc(now))
        result = cast(CursorResult[Any], session.execute(renew.execution_options(synchronize_session=False)))
        return result.rowcount == 1


def release_claim(
    database: Database, week: str, edition: Edition, status_was: str | None = None, *, attempted: bool = False
) -> None:
    """A claimed edition the stop (the service stopping, a deploy's restart) ended before any mail went out: owed as
    before and due at once, the attempt not counted (a stop is not a failure, and backs nothing off). One claimed by
    hand from a status of KEPT_UNSENT is that again, its record as it was, whatever ended the send (`attempted`: a
    failure, the attempt counted): refused stays refused, not retried by the job. So is one found done with (a send
    that owes nobody any more: `status_was` its given-up or refused status), whoever claimed it."""
    with database.transaction() as session:
        row = session.get(WeeklyDigest, (week, edition))
        if row is None or row.status != SENDING:
            return
        if status_was in KEPT_UNSENT:
            row.status = status_was
        else:
            row.status = FAILED if row.deferred or row.last_error else "pending"
        row.next_attempt_at = None
        if not attempted:
            row.attempts = max(row.attempts - 1, 0)


def forget_weeks_ahead(database: Database, week: IsoWeek) -> list[str]:
    """The unsent rows of weeks after the one in progress (after `week`, the last complete one, and its next): only a
    job run by a clock that was ahead can have made them (`digest weekly --send` refuses a week not over), and a week
    marked quiet or owed so was never sent when it had really ended. Deleted, so each is built and sent then; one sent
    stays (its mail went out). Returns "week edition (status)" for each."""
    forgotten = []
    with database.transaction() as session:
        for row in session.scalars(select(WeeklyDigest).where(WeeklyDigest.status.not_in((SENT, SENDING)))):
            try:
                ahead = IsoWeek.parse(row.week) > week.next()
            except ValueError:
                continue
            if ahead:
                forgotten.append(f"{row.week} {row.edition} ({row.status})")
                session.delete(row)
    return forgotten
