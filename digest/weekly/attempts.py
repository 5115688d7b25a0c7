"""What came of each attempt at a week's edition, on its record (weekly/ledger.py): who has it and who is owed it
still, a failure and its back-off, a refusal for good, a quiet week skipped, a send the mail log knew of.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from digest.clock import as_utc
from digest.storage.db import Database
from digest.storage.owed_kept import forget_owed, keep_owed_from, owed_kept_since
from digest.storage.state import WeeklyDigest
from digest.weekly import mailer
from digest.weekly.issue import Edition
from digest.weekly.ledger import FAILED, GIVEN_UP, QUIET, REFUSED, SENT
from digest.weekly.refusals import without_addresses

MAX_BACKOFF = timedelta(days=1)


@dataclass(frozen=True)
class Owed:
    """Whom the claimed edition goes to now; how many it owed are recipients no more (dropped from those it owes); and
    how many an edition given up or refused for good owed once their addresses were dropped (OWED_KEPT_FOR after,
    `done_with` says which), sent nothing."""

    to: list[str]
    no_longer_recipients: int = 0
    forgotten: int = 0
    done_with: str = "given up"

    @property
    def done_status(self) -> str:
        """The status of the edition the job is done with (given up, or refused for good): what a send that finds
        nobody it owes leaves it, however it was claimed (a stale claim's "sending" too): not the job's to retry."""
        return GIVEN_UP if self.done_with == "given up" else REFUSED


def owed(database: Database, week: str, edition: Edition, recipients: Sequence[str], now: datetime) -> Owed:
    """Who the claimed edition goes to: its recipients, or, once it went to some, those the server refused for now
    that are recipients still (the others have it already). One owed who is no longer a recipient is dropped from
    those it owes here, whatever comes of the send; so are those of an edition given up or refused too long ago."""
    with database.transaction() as session:
        row = session.get(WeeklyDigest, (week, edition))
        if row is None:
            return Owed(list(recipients))
        forget_owed(row, now)  # kept for a send by hand no longer (the weekly job and the poll drop them too)
        deferred, reached = list(row.deferred), row.reached_count
        gone = [address for address in deferred if address not in recipients]
        if gone:
            row.deferred = [address for address in deferred if address in recipients]
        forgotten = row.given_up_count if owed_kept_since(row) is not None and not deferred else 0
        done_with = "given up" if row.given_up_at is not None else "refused for good"
    if not deferred and reached:
        # It reached some and owes nobody (those given up on too long ago are not kept): not sent again to its readers
        return Owed([], forgotten=forgotten, done_with=done_with)
    if not deferred:
        return Owed(list(recipients))
    return Owed([recipient for recipient in recipients if recipient in deferred], len(gone))


def mark_delivered(
    database: Database,
    week: str,
    edition: Edition,
    now: datetime,
    delivery: mailer.Delivery,
    base_minutes: int,
    *,
    stopped: bool = False,
) -> datetime | None:
    """Records who has the edition. Recipients refused for now (4xx) are owed it: the edition stays failed with a
    back-off, and their next attempt goes to them alone; the time of that attempt, or None when it is sent or
    refused. A send `stopped` (the service stopping) is no failure: those owed it are due at once, and the attempt is
    not counted. The message refused for good for some (`withheld`) is not retried: refused, owed to them (and to any
    refused for now) once its cause is fixed, by `digest weekly --send`."""
    with database.transaction() as session:
        row = session.get(WeeklyDigest, (week, edition))
        assert row is not None
        row.reached_count += len(delivery.accepted)
        row.refused_count += len(delivery.refused)
        row.message_id = delivery.message_id or row.message_id
        # Owed afresh (its own retries), if at all; refused for good, whom it owes is kept OWED_KEPT_FOR from when the
        # job was first done with it (a send by hand refused again, or retried for some first, does not start the 30
        # days afresh): owed_kept_from outlives the times cleared here, until the edition is sent.
        row.deferred, row.given_up_at, row.refused_at = list(delivery.deferred), None, None
        # The replies as the log said them, without the addresses (the log named them; how many is counted here).
        row.last_error = f"refused: {without_addresses(delivery.refusals)}"[:2000] if delivery.refusals else None
        if delivery.withheld:
            row.status, row.next_attempt_at, row.refused_at = REFUSED, None, keep_owed_from(row, now)
            row.deferred = [*delivery.deferred, *delivery.withheld]
            return None
        if delivery.deferred and stopped:
            row.status, row.attempts, row.next_attempt_at = FAILED, max(row.attempts - 1, 0), as_utc(now)
            return row.next_attempt_at
        if delivery.deferred:
            row.status = FAILED
            row.next_attempt_at = as_utc(now) + backoff(row.attempts, base_minutes)
            return row.next_attempt_at
        row.status, row.sent_at, row.next_attempt_at, row.owed_kept_from = SENT, as_utc(now), None, None
        return None


def mark_logged(database: Database, week: str, edition: Edition, sent_at: datetime, message_id: str) -> bool:
    """Records as sent the claimed edition that the mail log (weekly/maillog.py) says was; whether it did. The log's
    line is written once every reader has it: a copy of the database that still owes it to some (a backup taken
    between a partial send and its retry) is older than the line, and they are owed nothing."""
    with database.transaction() as session:
        row = session.get(WeeklyDigest, (week, edition))
        if row is None:
            return False
        row.status, row.sent_at, row.next_attempt_at, row.deferred = SENT, as_utc(sent_at), None, []
        row.owed_kept_from = None
        row.message_id = message_id or row.message_id
        row.last_error = "sent before the database's copy was made (weekly-sent.log)"
        return True


def sent_editions(database: Database) -> list[tuple[str, str, datetime, str]]:
    """Every edition the database records as sent: week, edition, when and its Message-ID, oldest week first."""
    with database.reading() as session:
        rows = session.scalars(
            select(WeeklyDigest).where(WeeklyDigest.status == SENT).order_by(WeeklyDigest.week, WeeklyDigest.edition)
        )
        return [
            (row.week, row.edition, as_utc(row.sent_at), row.message_id or "")
            for row in rows
            if row.sent_at is not None
        ]


def mark_failed(
    database: Database, week: str, edition: Edition, now: datetime, error: str, base_minutes: int
) -> datetime:
    """Records the failure; the next attempt waits base, 2×base, 4×base… minutes (at most a day)."""
    with database.transaction() as session:
        row = session.get(WeeklyDigest, (week, edition))
        assert row is not None
        row.status = FAILED
        row.last_error = error[:2000]
        row.next_attempt_at = as_utc(now) + backoff(row.attempts, base_minutes)
        return row.next_attempt_at


def mark_refused(database: Database, week: str, edition: Edition, error: str, now: datetime) -> None:
    """Records the server's refusal for good: the edition is not tried again (no next attempt); whom it still owes is
    kept OWED_KEPT_FOR for a send by hand, from now or, refused again by hand, from when the job was first done with
    it (given up or refused): each retry by hand must not keep the readers' addresses 30 days more."""
    with database.transaction() as session:
        row = session.get(WeeklyDigest, (week, edition))
        assert row is not None
        row.status, row.last_error, row.next_attempt_at = REFUSED, error[:2000], None
        row.refused_at, row.given_up_at = keep_owed_from(row, now), None


def mark_quiet(database: Database, week: str, edition: Edition) -> None:
    """A quiet week's edition that is skipped is done: on record (a later job knows the week was not missed), owed
    no more."""
    with suppress(IntegrityError), database.transaction() as session:
        row = session.get(WeeklyDigest, (week, edition))
        if row is None:
            session.add(WeeklyDigest(week=week, edition=edition, status=QUIET, attempts=0))
        elif row.status == "pending" and row.attempts == 0:
            row.status = QUIET


def backoff(attempts: int, base_minutes: int) -> timedelta:
    """The wait after the attempts-th failure: base × 2**(attempts-1) minutes, at most MAX_BACKOFF. The exponent is
    capped first: an edition failing every day for weeks must not overflow timedelta (it did from attempt 37)."""
    cap = MAX_BACKOFF // timedelta(minutes=1)
    doublings = min(max(attempts - 1, 0), cap.bit_length())  # 2**bit_length > cap: past it, every wait is the cap
    minutes = min(max(base_minutes, 1), cap) << doublings
    return min(timedelta(minutes=minutes), MAX_BACKOFF)
