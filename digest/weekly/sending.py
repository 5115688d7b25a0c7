"""Sending one week's edition exactly once: the claim, the email to those it is still owed to, and what came of it
(`SendOutcome`, weekly/outcome.py); a quiet week's edition skipped. Over the ledger (weekly/ledger.py).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from digest.config import Settings
from digest.sizes import counted
from digest.storage.db import Database
from digest.storage.failures import failure_line
from digest.weekly import mailer, maillog
from digest.weekly.attempts import (
    mark_delivered,
    mark_failed,
    mark_logged,
    mark_quiet,
    mark_refused,
    owed,
    sent_editions,
)
from digest.weekly.contents import compose_email, load_digest
from digest.weekly.issue import Edition, IsoWeek, WeeklyDigestData
from digest.weekly.ledger import (
    KEPT_UNSENT,
    claim_week,
    claimed_attempt,
    refused_line,
    release_claim,
    renew_claim,
    week_state,
)
from digest.weekly.outcome import SendOutcome, forgotten, kept_line, not_claimed, not_emailed, reached, whom

log = logging.getLogger("digest.weekly.store")  # the name its log lines have always carried


def send_week(
    settings: Settings,
    database: Database,
    week: IsoWeek,
    now: datetime,
    *,
    edition: Edition = "readers",
    ssl_context: ssl.SSLContext | None = None,
    ignore_backoff: bool = False,
    stop: mailer.Stop | None = None,
) -> SendOutcome:
    """Sends the week's edition to its recipients unless it was sent already; failures are recorded for a retry.
    `stop` set (the service stopping) ends the send after the batch in flight: the readers not reached are owed it."""
    name = str(week)
    recipients = settings.smtp.recipients_of(edition)
    if not recipients:
        return SendOutcome(name, edition, "off", not_emailed(settings, week, edition))
    with database.reading() as session:
        digest = load_digest(session, settings, week, now=now, edition=edition)
        state = week_state(session, name, edition)
    # "Worth a look" papers reach maintainers only by their edition: a week that has some is sent even when quiet.
    if digest.quiet and not digest.second_tier and not settings.weekly.send_quiet_week:
        mark_quiet(database, name, edition)
        return SendOutcome(name, edition, "quiet-skipped", "a quiet week, and weekly.send_quiet_week is off")
    # Claimed from the status read: a send that reaches nobody can leave the edition as it was (release_claim).
    was = state.status if state is not None else None
    if not claim_week(database, name, now, edition=edition, ignore_backoff=ignore_backoff, status_was=was):
        return not_claimed(database, name, edition, now)
    with _claim_kept(database, name, edition, now):
        outcome = _send_claimed(settings, database, week, now, edition, digest, ssl_context, stop, was)
    return replace(outcome, logged=True)  # every claimed send's outcome is said in a log line of its own


def _send_claimed(
    settings: Settings,
    database: Database,
    week: IsoWeek,
    now: datetime,
    edition: Edition,
    digest: WeeklyDigestData,
    ssl_context: ssl.SSLContext | None,
    stop: mailer.Stop | None,
    status_was: str | None,
) -> SendOutcome:
    """The claimed edition sent to those it is owed to, and recorded."""
    name, recipients = str(week), settings.smtp.recipients_of(edition)
    already = _sent_by_the_log(settings, database, name, edition)
    if already is not None:
        return already
    owing = owed(database, name, edition, recipients, now)
    if owing.no_longer_recipients:
        log.warning(
            "weekly %s %s: %s owed it %s no longer in the recipients setting: not sent to them, and no longer owed",
            name, edition, counted(owing.no_longer_recipients, "reader"),
            "is" if owing.no_longer_recipients == 1 else "are",
        )  # fmt: skip
    if owing.forgotten and not owing.to:  # given up long ago: nothing to send, and it stays as it was
        release_claim(database, name, edition, status_was)
        log.warning("weekly %s %s: %s", name, edition, (forgot := forgotten(name, edition, owing)).message)
        return forgot
    to = owing.to
    try:
        # Composed under the claim: a setting the message cannot carry is a failure recorded and retried like a send's.
        delivery = mailer.Delivery("", [], [])  # those it was still owed to are no longer recipients: done
        if to:
            message = compose_email(digest, settings, now, to)
            delivery = mailer.send(message, settings.smtp, to, ssl_context=ssl_context, stop=stop)
    except mailer.RecipientsRefusedError as exc:
        if status_was in KEPT_UNSENT:
            # By hand, from a status the job does not retry, and nobody reached: refused for now, it stays so, not on
            # the job's back-off; refused for good, it is refused, those it was sent to owed it still (not "sent").
            return _failed(settings, database, name, edition, now, exc, status_was)
        if len(to) == len(recipients):  # the first send, and none has it
            return _refused_every_recipient(settings, database, week, edition, now, exc, status_was)
        # A retry to the readers still owed it (the others have it): one refused for good is done with, as in the
        # first send (a 5xx is final), and one refused for now is owed it still.
        delivery = exc.delivery
    except mailer.StoppedError as exc:  # nobody has it, and nothing failed: owed as before, sent once running again
        release_claim(database, name, edition, status_was)
        log.info("weekly %s %s: %s", name, edition, exc)
        kept = kept_line(name, edition, status_was) if status_was in KEPT_UNSENT else "the edition is still owed"
        return SendOutcome(name, edition, "stopped", f"{exc}: {kept}")
    except mailer.MailError as exc:
        return _failed(settings, database, name, edition, now, exc, status_was)
    stopped = stop is not None and stop.is_set() and bool(delivery.unsent)
    owed_at = _record(settings, database, week, edition, now, delivery, stopped=stopped)
    if isinstance(owed_at, SendOutcome):  # sent, and the database could not record it
        return owed_at
    return _reported(name, edition, delivery, owed_at)


def _sent_by_the_log(settings: Settings, database: Database, name: str, edition: Edition) -> SendOutcome | None:
    """A send the mail log kept and the database forgot (restored, or copied): recorded so, not sent again."""
    # A send from the command line may be the upgraded release's first: the log starts whole, not with this send.
    keep_mail_log(settings, database)
    logged = maillog.logged_send(settings.data_dir, name, edition)
    if logged is None or not mark_logged(database, name, edition, logged.sent_at, logged.message_id):
        return None
    line = f"already sent on {logged.sent_at:%Y-%m-%d %H:%M} UTC ({maillog.mail_log(settings.data_dir)})"
    log.warning("weekly %s %s: not sent again: %s; the database did not know it (restored?)", name, edition, line)
    return SendOutcome(name, edition, "already-sent", line)


def _reported(name: str, edition: Edition, delivery: mailer.Delivery, owed_at: datetime | None) -> SendOutcome:
    """What came of a send some recipient was asked for, in one log line naming the edition and the server's replies."""
    sent = f"sent to {reached(delivery.accepted)}"
    if delivery.withheld:  # the message refused for good after earlier batches: told, and not retried
        sent = f"{sent}; refused for good: {delivery.refusals}; {refused_line(name, edition)}"
        log.error("weekly %s %s: email %s", name, edition, sent)
        return SendOutcome(name, edition, "partly-sent", sent)
    if owed_at is None and delivery.refused:
        sent = f"{sent}{'; ' if delivery.accepted else ': '}refused for good: {delivery.refusals}"
        log.warning("weekly %s %s: email %s", name, edition, sent)
        return SendOutcome(name, edition, "sent", sent)
    if owed_at is not None:
        # Left unsent (a stop, a connection lost mid-list) is not refused: the server never said no to them.
        owed_now = "not yet sent to the others" if delivery.unsent else "refused for now"
        later = f"{owed_now}: {delivery.refusals}; next attempt for them at {owed_at:%Y-%m-%d %H:%M} UTC"
        log.warning("weekly %s %s: email %s; %s", name, edition, sent, later)
        return SendOutcome(name, edition, "partly-sent", f"{sent}; {later}", owed_at)
    log.info("weekly %s %s: email %s", name, edition, sent)
    return SendOutcome(name, edition, "sent", sent)


def _refused_every_recipient(
    settings: Settings,
    database: Database,
    week: IsoWeek,
    edition: Edition,
    now: datetime,
    exc: mailer.RecipientsRefusedError,
    status_was: str | None,
) -> SendOutcome:
    """The first send, every recipient refused: alike (all for good, or all for now), the edition is refused, or
    failed and retried; some for good (a 5xx is final) and others for now, the retry goes to the others alone."""
    name, delivery = str(week), exc.delivery
    if exc.for_good or not delivery.refused:
        return _failed(settings, database, name, edition, now, exc, status_was)
    owed_at = _record(settings, database, week, edition, now, delivery)
    if not isinstance(owed_at, datetime):  # the database could not record it (None: no one is owed it after all)
        return owed_at or SendOutcome(name, edition, "failed", str(exc))
    line = (
        f"{exc}; next attempt for {whom(delivery.deferred)} (refused for now) at {owed_at:%Y-%m-%d %H:%M} UTC; not"
        f" for {whom(delivery.refused)} (refused for good)"
    )
    log.error("weekly %s %s: email not sent: %s", name, edition, line)
    return SendOutcome(name, edition, "failed", line, owed_at)


# How often a send still going renews its claim: a readers' list that takes over STALE_CLAIM to send is not taken for
# a dead process's and sent again by a retry or by hand.
CLAIM_RENEWED_EVERY = timedelta(minutes=10)


@contextmanager
def _claim_kept(database: Database, name: str, edition: Edition, claimed_at: datetime) -> Iterator[None]:
    """Renews the edition's claim every CLAIM_RENEWED_EVERY while the block runs, in a thread of its own (an SMTP
    call blocks), dated by the clock the claim was taken with. A killed process renews nothing: its claim lapses."""
    attempt = claimed_attempt(database, name, edition)
    started, done = time.monotonic(), threading.Event()

    def renew() -> None:
        while not done.wait(CLAIM_RENEWED_EVERY.total_seconds()):
            alive_at = claimed_at + timedelta(seconds=time.monotonic() - started)
            try:
                if not renew_claim(database, name, edition, attempt, alive_at):
                    return  # recorded meanwhile, or taken over: not this attempt's to renew
            except SQLAlchemyError as exc:  # tried again at the next renewal, well before the claim lapses
                said = failure_line(exc, str(database.engine.url))
                log.warning("weekly %s %s: could not renew the claim of the send in progress: %s", name, edition, said)

    keeper = threading.Thread(target=renew, name=f"weekly-claim-{name}-{edition}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join()


def _failed(
    settings: Settings,
    database: Database,
    name: str,
    edition: Edition,
    now: datetime,
    exc: mailer.MailError,
    status_was: str | None = None,
) -> SendOutcome:
    """A send that reached nobody, recorded to be tried again after its back-off; one the server refused for good
    (a 5xx: retried, it would be refused again every few hours for weeks) is recorded so, and not tried again. One
    sent by hand from a status the job does not retry (refused, given up, quiet) stays so, its record as it was."""
    if exc.for_good:
        mark_refused(database, name, edition, str(exc), now)
        line = f"{exc}; {refused_line(name, edition)}"
        log.error("weekly %s %s: email not sent: %s", name, edition, line)
        return SendOutcome(name, edition, "failed", line)
    if status_was in KEPT_UNSENT:
        release_claim(database, name, edition, status_was, attempted=True)
        line = f"{exc}; nothing was sent: {kept_line(name, edition, status_was)}"
        log.error("weekly %s %s: email not sent: %s", name, edition, line)
        return SendOutcome(name, edition, "failed", line)
    retry_at = mark_failed(database, name, edition, now, str(exc), settings.weekly.retry_base_minutes)
    log.error(
        "weekly %s %s: email not sent: %s (next attempt at %s)", name, edition, exc, f"{retry_at:%Y-%m-%d %H:%M} UTC"
    )
    return SendOutcome(name, edition, "failed", str(exc), retry_at)


def _record(
    settings: Settings,
    database: Database,
    week: IsoWeek,
    edition: Edition,
    now: datetime,
    delivery: mailer.Delivery,
    *,
    stopped: bool = False,
) -> datetime | SendOutcome | None:
    """Records who has the edition (mark_delivered's answer), in the mail log first once every reader has it: a
    database that cannot record the send now (a disk filled meanwhile) must not have it go out again when the claim
    lapses. The outcome to report when the database failed."""
    name = str(week)
    owed_still = delivery.deferred or delivery.withheld
    logged = not owed_still and maillog.record_sent(settings.data_dir, name, edition, now, delivery.message_id)
    try:
        base = settings.weekly.retry_base_minutes
        return mark_delivered(database, name, edition, now, delivery, base, stopped=stopped)
    except SQLAlchemyError as exc:
        return _unrecorded(name, edition, f"sent to {reached(delivery.accepted)}", exc, logged)


def _unrecorded(name: str, edition: Edition, sent: str, exc: SQLAlchemyError, logged: bool) -> SendOutcome:
    """The server took the edition, and the database could not record it: said as it is, never "not sent"."""
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    kept = (
        f"{maillog.NAME} has it: it is not sent again"
        if logged
        else f"nor could {maillog.NAME}: it may go out again once the claim lapses in an hour"
    )
    message = f"{sent}, but the database could not record it ({reason}); {kept}"
    log.error("weekly %s %s: email %s", name, edition, message)
    return SendOutcome(name, edition, "unrecorded", message)


def keep_mail_log(settings: Settings, database: Database) -> None:
    """A data folder with no weekly-sent.log (made by a release before it) gets one from the database's record, so
    that a backup restored later does not send readers again what they had before the upgrade."""
    written = maillog.seed(settings.data_dir, sent_editions(database))
    if written:
        log.info(
            "weekly: wrote %s from the database's record of the %s sent", maillog.NAME, counted(written, "edition")
        )
