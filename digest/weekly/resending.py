"""Sending an edition already sent once more, to all its recipients (`digest weekly --send --again`): its send
forgotten in the database and in the mail log in an order a crash cannot undo half of, then sent as any claimed
edition is (weekly/sending.py). Every other send stays exactly once."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, or_, update
from sqlalchemy.exc import IntegrityError

from digest.clock import as_utc
from digest.config import Settings
from digest.config.invocation import noted, same_invocation
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from digest.weekly import mailer, maillog
from digest.weekly.claimrenewal import claim_kept
from digest.weekly.contents import load_digest
from digest.weekly.issue import Edition, IsoWeek
from digest.weekly.ledger import SENDING, SENT, STALE_CLAIM, WeekState, claim_line, week_state
from digest.weekly.outcome import SendOutcome, not_claimed, not_emailed
from digest.weekly.sending import send_claimed

log = logging.getLogger("digest.weekly.store")  # the name its log lines have always carried


def resend_week(
    settings: Settings, database: Database, week: IsoWeek, now: datetime, *, edition: Edition, stop: mailer.Stop
) -> SendOutcome:
    """Sends an edition the database or the mail log has as sent again, to every recipient. Refused (one line) when a
    send of it holds the claim now, and when it was never sent (then plain --send is what to use)."""
    name = str(week)
    if not settings.smtp.recipients_of(edition):
        return SendOutcome(name, edition, "off", not_emailed(settings, week, edition))
    with database.reading() as session:
        digest = load_digest(session, settings, week, now=now, edition=edition)
        state = week_state(session, name, edition)
    logged = maillog.logged_send(settings.data_dir, name, edition)
    if state is not None and state.status == SENDING and not _lapsed(state, now):
        return SendOutcome(name, edition, "busy", claim_line(state))
    if logged is None and (state is None or state.status != SENT):
        return SendOutcome(name, edition, "not-sent-yet", _unsent_line(settings, name, edition, state))
    first = logged.sent_at if logged is not None else state.sent_at if state is not None else None
    # The database first: claimed ("sending"), a crash before the log's line is forgotten leaves it sent, as the log
    # says (the next send finds the line and records it so); the log's line forgotten first, a database restored
    # from a backup would be told it was never sent, and send it again unasked.
    if not _claim_sent(database, name, edition, now, logged=logged is not None):
        return not_claimed(settings, database, name, edition, now)
    try:
        if maillog.logged_send(settings.data_dir, name, edition) is not None:
            maillog.record_forgotten(settings.data_dir, name, edition, now)
    except OSError as exc:
        _put_back(database, name, edition, first)
        path = maillog.mail_log(settings.data_dir)
        return SendOutcome(name, edition, "failed", f"cannot write {path}: {exc.strerror or exc}; it stays sent")
    _owed_to_everyone(database, name, edition)
    when = f"{first:%Y-%m-%d %H:%M} UTC" if first is not None else "an unknown time"
    log.info("weekly %s %s: sending it again by hand (first sent on %s)", name, edition, when)
    with claim_kept(database, name, edition, now):
        outcome = send_claimed(settings, database, week, now, edition, digest, None, stop, None)
    if outcome.status in ("sent", "partly-sent"):
        outcome = replace(outcome, message=f"{outcome.message} (again: first sent on {when})")
    return replace(outcome, logged=True)


def _lapsed(state: WeekState, now: datetime) -> bool:
    return state.attempted_at is not None and state.attempted_at < as_utc(now) - STALE_CLAIM


def _unsent_line(settings: Settings, name: str, edition: Edition, state: WeekState | None) -> str:
    """Why an edition not sent (to every recipient) is not sent again, and the command that sends it."""
    command = same_invocation(settings, "weekly", "--week", name, "--edition", edition, "--send")
    if state is None or not state.reached:
        return noted(f"never sent, so not sent again: `{command}` sends it")
    return noted(f"not yet sent to every recipient, so not sent again: `{command}` sends it to those it is owed to")


def _claim_sent(database: Database, name: str, edition: Edition, now: datetime, *, logged: bool) -> bool:
    """Claims ("sending") the edition the database has as sent, or, when the mail log has it (a database restored
    from an older backup may not), any edition no send holds: only then is the log's line forgotten."""
    if logged:
        try:
            with database.transaction() as session:
                if session.get(WeeklyDigest, (name, edition)) is None:
                    session.add(WeeklyDigest(week=name, edition=edition, status="pending", attempts=0))
        except IntegrityError:
            pass  # another process made the row first; the claim below decides
    table, now = WeeklyDigest, as_utc(now)
    stale = table.last_attempt_at < now - STALE_CLAIM
    sent = or_(table.status != SENDING, stale) if logged else table.status == SENT
    claim = update(table).where(table.week == name, table.edition == edition, sent)
    claim = claim.values(status=SENDING, attempts=table.attempts + 1, last_attempt_at=now)
    with database.transaction() as session:
        result = cast(CursorResult[Any], session.execute(claim.execution_options(synchronize_session=False)))
        return result.rowcount == 1


def _put_back(database: Database, name: str, edition: Edition, sent_at: datetime | None) -> None:
    """The claim given back when the log's line could not be forgotten: sent, as the log still says."""
    with database.transaction() as session:
        row = session.get(WeeklyDigest, (name, edition))
        if row is not None and row.status == SENDING:
            row.status, row.attempts, row.next_attempt_at = SENT, max(row.attempts - 1, 0), None
            row.sent_at = row.sent_at or sent_at


def _owed_to_everyone(database: Database, name: str, edition: Edition) -> None:
    """Once both records have forgotten the send: nobody has the edition, so the claimed send goes to every
    recipient (who has it is counted afresh, and nobody is owed it apart)."""
    with database.transaction() as session:
        row = session.get(WeeklyDigest, (name, edition))
        assert row is not None
        row.reached_count, row.refused_count, row.given_up_count, row.deferred = 0, 0, 0, []
        row.next_attempt_at, row.last_error, row.given_up_at, row.refused_at, row.owed_kept_from = (None,) * 5
