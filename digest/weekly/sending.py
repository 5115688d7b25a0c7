"""Sending one week's edition exactly once: the claim, the email to those it is still owed to, and what came of it
(`SendOutcome`, weekly/outcome.py); a quiet week's edition skipped. Over the ledger (weekly/ledger.py); the claim kept
alive in weekly/claimrenewal.py, what a send leaves on record in weekly/sendrecord.py.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import replace
from datetime import datetime

from digest.config import Settings
from digest.sizes import counted
from digest.storage.db import Database
from digest.vocab import OUTCOME_LINE
from digest.weekly import mailer
from digest.weekly.attempts import mark_failed, mark_quiet, mark_refused, owed
from digest.weekly.claimrenewal import claim_kept
from digest.weekly.contents import compose_email, load_digest
from digest.weekly.issue import Edition, IsoWeek, WeeklyDigestData
from digest.weekly.ledger import KEPT_UNSENT, SENDING, claim_week, refused_line, release_claim, week_state
from digest.weekly.outcome import SendOutcome, forgotten, kept_line, not_claimed, not_emailed, reached, whom
from digest.weekly.sendrecord import record_delivery, sent_by_the_log, sent_while_claimed

log = logging.getLogger("digest.weekly.store")  # the name its log lines have always carried
SAID = {OUTCOME_LINE: True}  # an edition's outcome, which `digest weekly --send` says in its own line


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
        return sent_while_claimed(settings, database, name, edition) or not_claimed(
            settings, database, name, edition, now
        )
    if was == SENDING and state is not None and state.done_as is not None:
        # The lapsed claim of a send by hand that was killed: the edition is what the job was done with it as (given
        # up, or refused for good), and a send that reaches nobody leaves it so, not failed for the job to retry.
        was = state.done_as
    with claim_kept(database, name, edition, now):
        outcome = send_claimed(settings, database, week, now, edition, digest, ssl_context, stop, was)
    return replace(outcome, logged=True)  # every claimed send's outcome is said in a log line of its own


def send_claimed(
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
    already = sent_by_the_log(settings, database, name, edition)
    if already is not None:
        return already
    owing = owed(database, name, edition, recipients, now)
    if owing.no_longer_recipients:
        log.warning(
            "weekly %s %s: %s owed it %s no longer in the recipients setting: not sent to them, and no longer owed",
            name, edition, counted(owing.no_longer_recipients, "reader"),
            "is" if owing.no_longer_recipients == 1 else "are",
        )  # fmt: skip
    if owing.forgotten and not owing.to:  # done with long ago: nothing to send, and it stays given up or refused
        release_claim(database, name, edition, owing.done_status)
        log.warning("weekly %s %s: %s", name, edition, (forgot := forgotten(name, edition, owing)).message, extra=SAID)
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
        kept = "the edition is still owed"
        if status_was in KEPT_UNSENT:
            kept = kept_line(settings, name, edition, status_was)
        return SendOutcome(name, edition, "stopped", f"{exc}: {kept}")
    except mailer.MailError as exc:
        return _failed(settings, database, name, edition, now, exc, status_was)
    stopped = stop is not None and stop.is_set() and bool(delivery.unsent)
    owed_at = record_delivery(settings, database, week, edition, now, delivery, stopped=stopped)
    if isinstance(owed_at, SendOutcome):  # sent, and the database could not record it
        return owed_at
    return _reported(settings, name, edition, delivery, owed_at)


def _reported(
    settings: Settings, name: str, edition: Edition, delivery: mailer.Delivery, owed_at: datetime | None
) -> SendOutcome:
    """What came of a send some recipient was asked for, in one log line naming the edition and the server's replies."""
    sent = f"sent to {reached(delivery.accepted)}"
    if delivery.withheld:  # the message refused for good after earlier batches: told, and not retried
        sent = f"{sent}; refused for good: {delivery.refusals}; {refused_line(settings, name, edition)}"
        log.error("weekly %s %s: email %s", name, edition, sent, extra=SAID)
        return SendOutcome(name, edition, "partly-sent", sent)
    if owed_at is None and delivery.refused:
        sent = f"{sent}{'; ' if delivery.accepted else ': '}refused for good: {delivery.refusals}"
        log.warning("weekly %s %s: email %s", name, edition, sent, extra=SAID)
        return SendOutcome(name, edition, "sent", sent)
    if owed_at is not None:
        # Left unsent (a stop, a connection lost mid-list) is not refused: the server never said no to them.
        owed_now = "not yet sent to the others" if delivery.unsent else "refused for now"
        later = f"{owed_now}: {delivery.refusals}; next attempt for them at {owed_at:%Y-%m-%d %H:%M} UTC"
        log.warning("weekly %s %s: email %s; %s", name, edition, sent, later, extra=SAID)
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
    owed_at = record_delivery(settings, database, week, edition, now, delivery)
    if not isinstance(owed_at, datetime):  # the database could not record it (None: no one is owed it after all)
        return owed_at or SendOutcome(name, edition, "failed", str(exc))
    line = (
        f"{exc}; next attempt for {whom(delivery.deferred)} (refused for now) at {owed_at:%Y-%m-%d %H:%M} UTC; not"
        f" for {whom(delivery.refused)} (refused for good)"
    )
    log.error("weekly %s %s: email not sent: %s", name, edition, line, extra=SAID)
    return SendOutcome(name, edition, "failed", line, owed_at)


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
        line = f"{exc}; {refused_line(settings, name, edition)}"
        log.error("weekly %s %s: email not sent: %s", name, edition, line, extra=SAID)
        return SendOutcome(name, edition, "failed", line)
    if status_was in KEPT_UNSENT:
        release_claim(database, name, edition, status_was, attempted=True)
        line = f"{exc}; nothing was sent: {kept_line(settings, name, edition, status_was)}"
        log.error("weekly %s %s: email not sent: %s", name, edition, line, extra=SAID)
        return SendOutcome(name, edition, "failed", line)
    retry_at = mark_failed(database, name, edition, now, str(exc), settings.weekly.retry_base_minutes)
    # Not "next attempt at": sent by hand, nothing schedules that time; the service takes it up at its start or its
    # weekly run from then on (its own job's retry, scheduled for then, is said in the job's line).
    log.error("weekly %s %s: email not sent: %s (the service tries again from %s)", name, edition, exc,
              f"{retry_at:%Y-%m-%d %H:%M} UTC", extra=SAID)  # fmt: skip
    return SendOutcome(name, edition, "failed", str(exc), retry_at)
