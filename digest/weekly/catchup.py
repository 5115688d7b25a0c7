"""What the weekly job owes besides the week just over: the editions of earlier weeks to retry, the weeks a service
down for more than a week missed, those given up past the last CATCH_UP_WEEKS, and when to run again for what a stopped
process left unsent (weekly/store.py runs the job over these).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from digest.clock import as_utc
from digest.config import Settings
from digest.config.invocation import password_note, same_invocation
from digest.sizes import counted
from digest.storage.db import Database
from digest.storage.owed_kept import forget_owed_past_keeping, keep_owed_from, owed_kept_since
from digest.storage.state import WeeklyDigest
from digest.weekly import ledger
from digest.weekly.issue import EDITIONS, Edition, IsoWeek
from digest.weekly.ledger import DONE, FAILED, GIVEN_UP, REFUSED, SENDING
from digest.weekly.outcome import reached
from digest.weekly.refusals import without_addresses

log = logging.getLogger("digest.weekly.store")  # the name its log lines have always carried

# A service down longer than a week sends at most this many weeks it missed, and failed weeks are retried while they
# are among this many: after an outage readers get a few recent digests, not every week at once.
CATCH_UP_WEEKS = 4


def editions_to_retry(database: Database, current: IsoWeek) -> list[tuple[IsoWeek, Edition]]:
    """Every edition of an earlier week that is owed and not sent: attempted, or owed since the job began that week
    (`owe_editions`). A week without a row for an edition never owed it (sent before maintainers had recipients, or
    before the two editions existed): its old edition is not sent now."""
    with database.reading() as session:
        rows = session.execute(
            select(WeeklyDigest.week, WeeklyDigest.edition).where(
                WeeklyDigest.week != str(current), WeeklyDigest.status.not_in(DONE)
            )
        ).tuples()
        unsent = list(rows)
    found: list[tuple[IsoWeek, Edition]] = []
    for name, edition in unsent:
        try:
            week = IsoWeek.parse(name)
        except ValueError:
            log.warning("weekly: ignoring a bookkeeping row for %r, which is not an ISO week", name)
            continue
        if edition in EDITIONS:
            found.append((week, edition))
    return sorted(found, key=lambda pair: (pair[0], EDITIONS.index(pair[1])))


@dataclass(frozen=True)
class GivenUp:
    """An edition given up: how many have it (nobody, or all but those the server refused for now), for the log."""

    week: str
    edition: str
    reached: int = 0  # how many have it, when some are still owed it (the others had it)
    owed: int = 0  # how many the server refused it for now: their addresses are kept GIVEN_UP_KEPT_FOR, then dropped
    refused: int = 0  # how many the server refused it for good
    kept_until: datetime | None = None  # when their addresses are dropped

    def __str__(self) -> str:
        return f"{self.week} {self.edition}"


def give_up_stale_weeks(database: Database, current: IsoWeek, now: datetime) -> list[GivenUp]:
    """Marks given up every unsent edition of a week older than the CATCH_UP_WEEKS before `current` (failed, owed,
    or claimed by a process that died): after a long outage readers are not sent a pile of old digests. Returns them
    for the log, which says how many have each: a partly sent edition reached most of its readers. Whom one still owed
    is kept GIVEN_UP_KEPT_FOR (a send by hand), and dropped here once that has passed. A lapsed claim of an edition
    given up or refused for good (a send by hand killed) leaves it so, whatever its week: not the job's to send."""
    oldest = current
    for _ in range(CATCH_UP_WEEKS):
        oldest = oldest.previous()
    table = WeeklyDigest
    stale_claim = and_(table.status == SENDING, table.last_attempt_at < as_utc(now) - ledger.STALE_CLAIM)
    given_up: list[GivenUp] = []
    with database.transaction() as session:
        rows = session.scalars(select(table).where(or_(table.status.in_(("pending", FAILED)), stale_claim)))
        for row in rows:
            try:
                stale = IsoWeek.parse(row.week) < oldest
            except ValueError:
                continue  # not a week: editions_to_retry warns about it
            if owed_kept_since(row) is not None and row.status == SENDING:
                _done_with_again(row)  # of any week: the job does not retry an edition it is done with
            elif stale:
                given_up.append(_given_up(row, now))
        # Past then, `digest weekly --send` no longer sends such an edition (given up, or refused for good) to them.
        forget_owed_past_keeping(session, now)
    return sorted(given_up, key=str)


def _given_up(row: WeeklyDigest, now: datetime) -> GivenUp:
    """Gives up the edition `row` records: whom it still owes is kept GIVEN_UP_KEPT_FOR from `now`."""
    note = f"given up: older than the last {CATCH_UP_WEEKS} weeks after {counted(row.attempts, 'attempt')}"
    # Its record keeps counts, no reader's address in its error; whom it owes stays a while (kept_until).
    error = f"{note}; {without_addresses(row.last_error)}" if row.last_error else note
    row.status, row.next_attempt_at, row.last_error = GIVEN_UP, None, error[:2000]
    # Given up after a send by hand of it reached some (it was failed), whom it owes is kept from its first refusal.
    kept_from = keep_owed_from(row, now)
    row.given_up_count, row.given_up_at, row.refused_at = len(row.deferred), as_utc(now), None
    kept_until = kept_from + ledger.GIVEN_UP_KEPT_FOR if row.deferred else None
    reached_some = row.reached_count if row.deferred else 0
    return GivenUp(row.week, row.edition, reached_some, len(row.deferred), row.refused_count, kept_until)


def _done_with_again(row: WeeklyDigest) -> None:
    """An edition the job was done with already (given up, or refused for good) whose send by hand was killed, its
    claim stale: it is that again, its record as it was. Given up afresh, the 30 days whom it owes is kept would
    start again, and the count of those given up on would be of the addresses left (none, once they were dropped);
    taken as a claim to retry (a week among the last CATCH_UP_WEEKS), a refused edition would go to whom it owes."""
    status = ledger.done_with_status(row) or REFUSED  # owed_kept_since(row) is set: never None here
    row.status, row.next_attempt_at = status, None
    log.info("weekly: %s %s: a send of it was killed mid-send (its claim lapsed): it stays %s as before", row.week,
             row.edition, "given up" if status == GIVEN_UP else "refused for good")  # fmt: skip


def log_given_up(given_up: list[GivenUp], now: datetime, settings: Settings) -> None:
    """Says what giving up means for each edition: one nobody has is not sent; one that reached all but the readers
    the server refused for now is not sent to them (most readers have it, and "unsent" would be false). Counts only:
    the log is kept on disk, and names no reader. The send by hand it names is the service's own invocation: run as
    printed from another folder, it sends from this database, not ./data there."""
    unsent = [str(edition) for edition in given_up if not edition.reached]
    if unsent:
        log.warning(
            "weekly: not sending %s any more: unsent and older than the last %d weeks (`%s` still sends one by hand)%s",
            ", ".join(unsent),
            CATCH_UP_WEEKS,
            same_invocation(settings, "weekly", "--week", "W", "--send"),
            password_note(settings),
        )
    for partly in (edition for edition in given_up if edition.reached):
        refused = f", {partly.refused} refused it for good" if partly.refused else ""
        log.warning(
            "weekly: %s went to %s%s; not trying any more for the %d the server refused for now: older than the last"
            " %d weeks (%s)%s",
            partly,
            reached(partly.reached),
            refused,
            partly.owed,
            CATCH_UP_WEEKS,
            _kept_for_by_hand(
                partly,
                now,
                same_invocation(settings, "weekly", "--week", partly.week, "--edition", partly.edition, "--send"),
            ),
            password_note(settings),
        )


def _kept_for_by_hand(partly: GivenUp, now: datetime, send: str) -> str:
    """Until when a send by hand (`send`, the service's own invocation) reaches whom the edition owes; when that was
    already past (kept from a refusal more than GIVEN_UP_KEPT_FOR before), that their addresses are dropped now: a
    date gone by read as one to come."""
    until = partly.kept_until
    if until is not None and until <= as_utc(now):
        first = until - ledger.GIVEN_UP_KEPT_FOR
        return (
            f"their addresses are dropped now, kept {ledger.GIVEN_UP_KEPT_FOR.days} days from its first refusal or"
            f" giving up on {first:%Y-%m-%d %H:%M} UTC: no send by hand reaches them"
        )
    return f"`{send}` sends it to them by hand until {until:%Y-%m-%d %H:%M} UTC; whom it owes is forgotten then"


def owe_editions(database: Database, week: IsoWeek, editions: list[Edition]) -> None:
    """Before the week's first edition is sent, every edition it owes is on record (pending), so a process killed
    while sending one leaves the others owed, and a later job sends them."""
    with database.transaction() as session:
        for edition in editions:
            if session.get(WeeklyDigest, (str(week), edition)) is None:
                session.add(WeeklyDigest(week=str(week), edition=edition, status="pending", attempts=0))


def missed_weeks(database: Database, week: IsoWeek) -> list[IsoWeek]:
    """Complete weeks before `week` that no job ever took up, after the newest one a job did (a service down for more
    than a week: the scheduler runs a missed job once); at most CATCH_UP_WEEKS, the latest ones. None on a new
    folder."""
    with database.reading() as session:
        names = list(session.scalars(select(WeeklyDigest.week).distinct()))
    known: list[IsoWeek] = []
    for name in names:
        with suppress(ValueError):
            known.append(IsoWeek.parse(name))
    newest = max((seen for seen in known if seen < week), default=None)
    if newest is None:
        return []
    missed: list[IsoWeek] = []
    cursor = week.previous()
    while cursor > newest and len(missed) < CATCH_UP_WEEKS:
        missed.append(cursor)
        cursor = cursor.previous()
    return sorted(missed)


def unsent_retry_at(database: Database, now: datetime) -> datetime | None:
    """When a weekly job should run again for what a stopped process left unsent, or None: a claim it held (sending)
    once it is stale, a failed send at its back-off, an edition owed and never attempted at once (or with its
    week's claim, when one is held). The service asks on start, since only a failure it saw itself schedules a
    retry."""
    times: list[datetime] = []
    with database.reading() as session:
        rows = session.execute(
            select(
                WeeklyDigest.week, WeeklyDigest.status, WeeklyDigest.last_attempt_at, WeeklyDigest.next_attempt_at
            ).where(WeeklyDigest.status.not_in(DONE))
        ).tuples()
        unsent = list(rows)
    claimed = {week for week, status, _, _ in unsent if status == SENDING}
    for week, status, last_attempt, next_attempt in unsent:
        if status == SENDING and last_attempt is not None:
            times.append(as_utc(last_attempt) + ledger.STALE_CLAIM)
        elif next_attempt is not None:
            times.append(as_utc(next_attempt))
        elif week not in claimed:
            times.append(now)
    return max(min(times), now) if times else None
