"""The weekly digest's shell: reads a week from the database, writes the Markdown, and sends the email exactly once.

Exactly once rests on the `weekly_digests` row of the week: a conditional UPDATE claims it ("sending") so two
processes cannot both send; success marks it "sent", a failure "failed" with a back-off before the next attempt.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digest.clock import as_utc
from digest.config import Settings
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from digest.weekly import mailer
from digest.weekly.contents import compose_email, load_digest, write_markdown
from digest.weekly.issue import (
    IsoWeek,
    last_complete_week,
)

log = logging.getLogger(__name__)

SENDING, SENT, FAILED = "sending", "sent", "failed"
# A claim this old belongs to a process that died mid-send; the week is tried again (it may arrive twice then).
STALE_CLAIM = timedelta(hours=1)
MAX_BACKOFF = timedelta(days=1)
_email_off_logged = False


@dataclass(frozen=True)
class WeekState:
    week: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None


def week_state(session: Session, week: str) -> WeekState | None:
    row = session.get(WeeklyDigest, week)
    if row is None:
        return None
    return WeekState(
        row.week,
        row.status,
        row.attempts,
        row.last_error,
        as_utc(row.next_attempt_at) if row.next_attempt_at else None,
        as_utc(row.sent_at) if row.sent_at else None,
    )


def claim_week(database: Database, week: str, now: datetime, *, ignore_backoff: bool = False) -> bool:
    """Marks the week "sending" if it is unsent and due; False when it is sent, being sent, or backing off."""
    now = as_utc(now)
    try:
        with database.transaction() as session:
            if session.get(WeeklyDigest, week) is None:
                session.add(WeeklyDigest(week=week, status="pending", attempts=0, recipients=[]))
    except IntegrityError:
        pass  # another process created the row first; the claim below decides who sends
    table = WeeklyDigest
    due = or_(table.next_attempt_at.is_(None), table.next_attempt_at <= now)
    unsent = (
        table.status.in_(("pending", FAILED)) if ignore_backoff else and_(table.status.in_(("pending", FAILED)), due)
    )
    stale = and_(table.status == SENDING, table.last_attempt_at < now - STALE_CLAIM)
    with database.transaction() as session:
        claim = update(table).where(table.week == week, or_(unsent, stale))
        claim = claim.values(status=SENDING, attempts=table.attempts + 1, last_attempt_at=now)
        result = cast(CursorResult[Any], session.execute(claim.execution_options(synchronize_session=False)))
        return result.rowcount == 1


def mark_sent(database: Database, week: str, now: datetime, delivery: mailer.Delivery) -> None:
    note = f"refused: {', '.join(delivery.refused)}" if delivery.refused else None
    with database.transaction() as session:
        session.execute(
            update(WeeklyDigest)
            .where(WeeklyDigest.week == week)
            .values(
                status=SENT,
                sent_at=as_utc(now),
                message_id=delivery.message_id,
                recipients=list(delivery.accepted),
                last_error=note,
                next_attempt_at=None,
            )
            .execution_options(synchronize_session=False)
        )


def mark_failed(database: Database, week: str, now: datetime, error: str, base_minutes: int) -> datetime:
    """Records the failure; the next attempt waits base, 2×base, 4×base… minutes (at most a day)."""
    with database.transaction() as session:
        row = session.get(WeeklyDigest, week)
        assert row is not None
        delay = min(timedelta(minutes=max(base_minutes, 1)) * 2 ** max(row.attempts - 1, 0), MAX_BACKOFF)
        row.status = FAILED
        row.last_error = error[:2000]
        row.next_attempt_at = as_utc(now) + delay
        return row.next_attempt_at


@dataclass(frozen=True)
class SendOutcome:
    week: str
    status: str  # sent | already-sent | busy | waiting | failed | quiet-skipped | off
    message: str
    retry_at: datetime | None = None


def send_week(
    settings: Settings,
    database: Database,
    week: IsoWeek,
    now: datetime,
    *,
    ssl_context: ssl.SSLContext | None = None,
    ignore_backoff: bool = False,
) -> SendOutcome:
    """Sends the week's email unless it was sent already; failures are recorded for a later retry."""
    name = str(week)
    if not settings.smtp.enabled:
        return SendOutcome(name, "off", "email is off: set [smtp] host and recipients")
    with database.reading() as session:
        digest = load_digest(session, settings, week, now=now)
    # "Worth a look" papers reach maintainers only by this email: a week that has some is sent even when quiet.
    if digest.quiet and not digest.second_tier and not settings.weekly.send_quiet_week:
        return SendOutcome(name, "quiet-skipped", "a quiet week, and weekly.send_quiet_week is off")
    message = compose_email(digest, settings, now)
    if not claim_week(database, name, now, ignore_backoff=ignore_backoff):
        with database.reading() as session:
            state = week_state(session, name)
        if state is not None and state.status == SENT:
            return SendOutcome(name, "already-sent", f"already sent on {state.sent_at:%Y-%m-%d %H:%M} UTC")
        if state is not None and state.status == FAILED:
            when = f"{state.next_attempt_at:%Y-%m-%d %H:%M} UTC" if state.next_attempt_at else "later"
            return SendOutcome(name, "waiting", f"last attempt failed; next attempt at {when}", state.next_attempt_at)
        return SendOutcome(name, "busy", "another process is sending this week's email right now")
    try:
        delivery = mailer.send(message, settings.smtp, ssl_context=ssl_context)
    except mailer.MailError as exc:
        retry_at = mark_failed(database, name, now, str(exc), settings.weekly.retry_base_minutes)
        log.error("weekly %s: email not sent: %s (next attempt at %s)", name, exc, f"{retry_at:%Y-%m-%d %H:%M} UTC")
        return SendOutcome(name, "failed", str(exc), retry_at)
    mark_sent(database, name, now, delivery)
    log.info("weekly %s: email sent to %d recipient(s)", name, len(delivery.accepted))
    return SendOutcome(name, "sent", f"sent to {', '.join(delivery.accepted)}")


@dataclass(frozen=True)
class WeeklyResult:
    week: str
    markdown_path: Path | None
    emails: tuple[SendOutcome, ...]

    @property
    def retry_at(self) -> datetime | None:
        """When the scheduler should call again for a failed send (None: nothing to retry)."""
        times = [outcome.retry_at for outcome in self.emails if outcome.retry_at is not None]
        return min(times) if times else None

    def __str__(self) -> str:
        written = f"wrote {self.markdown_path}" if self.markdown_path else "Markdown not written"
        emails = "; ".join(f"{o.week}: {o.status} ({o.message})" for o in self.emails) or "no email"
        return f"{self.week}: {written}; {emails}"


def _weeks_to_retry(database: Database, current: IsoWeek) -> list[IsoWeek]:
    with database.reading() as session:
        names = session.scalars(
            select(WeeklyDigest.week).where(WeeklyDigest.status != SENT, WeeklyDigest.week != str(current))
        )
        weeks = []
        for name in names:
            try:
                weeks.append(IsoWeek.parse(name))
            except ValueError:
                log.warning("weekly: ignoring a bookkeeping row for %r, which is not an ISO week", name)
        return sorted(weeks)


def run_weekly_job(
    settings: Settings, database: Database, now: datetime, *, ssl_context: ssl.SSLContext | None = None
) -> WeeklyResult:
    """The scheduled job: writes the last complete week's Markdown and sends every unsent week's email once."""
    global _email_off_logged
    week = last_complete_week(now, settings.tz)
    path: Path | None = None
    try:
        with database.reading() as session:
            path = write_markdown(load_digest(session, settings, week, now=now), settings)
        log.info("weekly %s: wrote %s", week, path)
    except OSError as exc:
        log.error("weekly %s: cannot write the Markdown digest in %s: %s", week, settings.weekly_dir, exc)
    if not settings.smtp.enabled:
        if not _email_off_logged:
            log.info("weekly: email is off (set [smtp] host and recipients); only the Markdown is written")
            _email_off_logged = True
        return WeeklyResult(str(week), path, ())
    outcomes = [
        send_week(settings, database, earlier, now, ssl_context=ssl_context)
        for earlier in _weeks_to_retry(database, week)
    ]
    outcomes.append(send_week(settings, database, week, now, ssl_context=ssl_context))
    return WeeklyResult(str(week), path, tuple(outcomes))
