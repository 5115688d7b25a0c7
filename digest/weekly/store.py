"""The weekly digest's shell: reads a week from the database, writes both editions' Markdown, and sends each
edition's email exactly once to its own recipients (the readers' to smtp.recipients, the maintainers' to
smtp.maintainer_recipients).

Exactly once rests on the record of each week's editions (weekly/ledger.py); one edition's send is weekly/sending.py.
The editions are claimed, sent and retried apart: one failing neither holds back nor repeats the other.
"""

from __future__ import annotations

import logging
import ssl
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import TemplateError
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from digest.clock import as_utc
from digest.config import Settings
from digest.sizes import counted
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from digest.templating import template_error_line
from digest.weekly.contents import load_digest, write_markdown
from digest.weekly.issue import EDITIONS, Edition, IsoWeek, last_complete_week
from digest.weekly.ledger import DONE, FAILED, GIVEN_UP, SENDING, STALE_CLAIM, forget_weeks_ahead
from digest.weekly.mailer import Stop
from digest.weekly.outcome import SendOutcome, not_emailed
from digest.weekly.sending import keep_mail_log, send_week

# Sending one edition lives in sending.py, its outcome in outcome.py: send_week, SendOutcome, not_emailed and
# keep_mail_log are importable from here as before.
__all__ = [
    "CATCH_UP_WEEKS",
    "GivenUp",
    "SendOutcome",
    "WeeklyResult",
    "give_up_stale_weeks",
    "keep_mail_log",
    "not_emailed",
    "run_weekly_job",
    "send_week",
    "unsent_retry_at",
    "write_editions",
]

log = logging.getLogger(__name__)

# A service down longer than a week sends at most this many weeks it missed, and failed weeks are retried while they
# are among this many: after an outage readers get a few recent digests, not every week at once.
CATCH_UP_WEEKS = 4
_email_off_logged = False
_not_emailed_logged: set[str] = set()


@dataclass(frozen=True)
class WeeklyResult:
    week: str
    markdown_paths: dict[Edition, Path]
    emails: tuple[SendOutcome, ...]

    @property
    def markdown_path(self) -> Path | None:
        """The readers' (public) Markdown."""
        return self.markdown_paths.get("readers")

    @property
    def retry_at(self) -> datetime | None:
        """When the scheduler should call again for a failed send (None: nothing to retry)."""
        times = [outcome.retry_at for outcome in self.emails if outcome.retry_at is not None]
        return min(times) if times else None

    def __str__(self) -> str:
        written = ", ".join(f"wrote {path}" for path in self.markdown_paths.values()) or "Markdown not written"
        emails = "; ".join(f"{o.week} {o.edition}: {o.status} ({o.message})" for o in self.emails) or "no email"
        return f"{self.week}: {written}; {emails}"


def _editions_to_retry(database: Database, current: IsoWeek) -> list[tuple[IsoWeek, Edition]]:
    """Every edition of an earlier week that is owed and not sent: attempted, or owed since the job began that week
    (`_owe_editions`). A week without a row for an edition never owed it (sent before maintainers had recipients, or
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
    """An edition given up: who has it (nobody, or all but those the server refused for now), for the log."""

    week: str
    edition: str
    reached: int = 0
    owed: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.week} {self.edition}"


def give_up_stale_weeks(database: Database, current: IsoWeek, now: datetime) -> list[GivenUp]:
    """Marks given up every unsent edition of a week older than the CATCH_UP_WEEKS before `current` (failed, owed,
    or claimed by a process that died): after a long outage readers are not sent a pile of old digests. Returns them
    for the log, which says who has each: a partly sent edition reached most of its readers."""
    oldest = current
    for _ in range(CATCH_UP_WEEKS):
        oldest = oldest.previous()
    table = WeeklyDigest
    stale_claim = and_(table.status == SENDING, table.last_attempt_at < as_utc(now) - STALE_CLAIM)
    given_up: list[GivenUp] = []
    with database.transaction() as session:
        rows = session.scalars(select(table).where(or_(table.status.in_(("pending", FAILED)), stale_claim)))
        for row in rows:
            try:
                stale = IsoWeek.parse(row.week) < oldest
            except ValueError:
                continue  # not a week: _editions_to_retry warns about it
            if stale:
                note = f"given up: older than the last {CATCH_UP_WEEKS} weeks after {counted(row.attempts, 'attempt')}"
                row.last_error = f"{note}; {row.last_error}"[:2000] if row.last_error else note
                row.status, row.next_attempt_at = GIVEN_UP, None
                owed = tuple(row.deferred)
                given_up.append(GivenUp(row.week, row.edition, len(row.recipients) if owed else 0, owed))
    return sorted(given_up, key=str)


def _log_given_up(given_up: list[GivenUp]) -> None:
    """Says what giving up means for each edition: one nobody has is not sent; one that reached all but the readers
    the server refused for now is not sent to them (most readers have it, and "unsent" would be false)."""
    unsent = [str(edition) for edition in given_up if not edition.owed]
    if unsent:
        log.warning(
            "weekly: not sending %s any more: unsent and older than the last %d weeks (`digest weekly --week W --send`"
            " still sends one by hand)",
            ", ".join(unsent),
            CATCH_UP_WEEKS,
        )
    for partly in (edition for edition in given_up if edition.owed):
        whom = ", ".join(partly.owed) if len(partly.owed) <= 3 else f"{len(partly.owed)} recipients"
        log.warning(
            "weekly: %s went to %s; not trying any more for the %d the server refused for now (%s):"
            " older than the last %d weeks (`digest weekly --week %s --edition %s --send` still sends it to them by"
            " hand)",
            partly,
            counted(partly.reached, "recipient"),
            len(partly.owed),
            whom,
            CATCH_UP_WEEKS,
            partly.week,
            partly.edition,
        )


def _owe_editions(database: Database, week: IsoWeek, editions: list[Edition]) -> None:
    """Before the week's first edition is sent, every edition it owes is on record (pending), so a process killed
    while sending one leaves the others owed, and a later job sends them."""
    with database.transaction() as session:
        for edition in editions:
            if session.get(WeeklyDigest, (str(week), edition)) is None:
                session.add(WeeklyDigest(week=str(week), edition=edition, status="pending", attempts=0, recipients=[]))


def _missed_weeks(database: Database, week: IsoWeek) -> list[IsoWeek]:
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
            times.append(as_utc(last_attempt) + STALE_CLAIM)
        elif next_attempt is not None:
            times.append(as_utc(next_attempt))
        elif week not in claimed:
            times.append(now)
    return max(min(times), now) if times else None


def write_editions(settings: Settings, database: Database, week: IsoWeek, now: datetime) -> dict[Edition, Path]:
    """Both editions' Markdown in the weekly folder; a failure to write one is logged and does not stop the other."""
    paths: dict[Edition, Path] = {}
    for edition in EDITIONS:
        try:
            with database.reading() as session:
                paths[edition] = write_markdown(
                    load_digest(session, settings, week, now=now, edition=edition), settings
                )
            log.info("weekly %s: wrote %s", week, paths[edition])
        except OSError as exc:
            log.error("weekly %s: cannot write the %s' Markdown in %s: %s", week, edition, settings.weekly_dir, exc)
        except TemplateError as exc:  # a template of one's own that parses but fails: the email may still go
            log.error("weekly %s: the %s' Markdown was not written: %s", week, edition, template_error_line(exc))
    return paths


def run_weekly_job(
    settings: Settings,
    database: Database,
    now: datetime,
    *,
    ssl_context: ssl.SSLContext | None = None,
    stop: Stop | None = None,
) -> WeeklyResult:
    """The scheduled job: writes the last complete week's two editions and sends every unsent edition of every week
    once, each to its own recipients (an edition without recipients is only written). `stop` set (the service
    stopping) ends it after the batch of mail in flight: what was sent is recorded, the rest is owed and retried."""
    global _email_off_logged
    keep_mail_log(settings, database)
    week = last_complete_week(now, settings.tz)
    paths = write_editions(settings, database, week, now)
    if not settings.smtp.enabled:
        if not _email_off_logged:
            log.info("weekly: email is off (set [smtp] host and recipients); only the Markdown is written")
            _email_off_logged = True
        return WeeklyResult(str(week), paths, ())
    emailed = [edition for edition in EDITIONS if settings.smtp.recipients_of(edition)]
    forgotten = forget_weeks_ahead(database, week)
    if forgotten:
        log.warning("weekly: %s: on record for weeks not over yet, by a job run while the clock was ahead: forgotten, "
                    "each is built and sent when it has ended", ", ".join(forgotten))  # fmt: skip
    _log_given_up(give_up_stale_weeks(database, week, now))
    missed = _missed_weeks(database, week)
    if missed:
        log.warning("weekly: no job ran for %s (the service was down); sending them now", ", ".join(map(str, missed)))
        for skipped in missed:
            write_editions(settings, database, skipped, now)
    due = [
        *_editions_to_retry(database, week),
        *((skipped, edition) for skipped in missed for edition in EDITIONS),
        *((week, edition) for edition in EDITIONS),
    ]
    for owing in [*missed, week]:
        with suppress(IntegrityError):  # another process put them on record first
            _owe_editions(database, owing, emailed)
    outcomes = []
    for when, edition in due:
        if stop is not None and stop.is_set():
            log.info("weekly: the service is stopping; what is left unsent is sent once it runs again")
            break
        if not settings.smtp.recipients_of(edition):
            if edition not in _not_emailed_logged:
                log.info("weekly: the %s' edition is not emailed: %s", edition, not_emailed(settings, when, edition))
                _not_emailed_logged.add(edition)
            continue
        try:
            sent = send_week(settings, database, when, now, edition=edition, ssl_context=ssl_context, stop=stop)
            outcomes.append(sent)
        except Exception as exc:  # a bug in one week's edition must not stop the other edition or later weeks
            log.exception("weekly %s %s: email not sent: unexpected %s", when, edition, type(exc).__name__)
            retry_at = as_utc(now) + STALE_CLAIM  # when a claim it may have left is taken again
            outcomes.append(SendOutcome(str(when), edition, "failed", f"unexpected {type(exc).__name__}", retry_at))
    return WeeklyResult(str(week), paths, tuple(outcomes))
