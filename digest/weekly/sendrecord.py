"""What a send leaves on record: who has the edition (in the database, and in the mail log once every reader has
it), a send the mail log knew and the database forgot, and a send the database could not record."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from digest.config import Settings
from digest.sizes import counted
from digest.storage.db import Database
from digest.vocab import OUTCOME_LINE
from digest.weekly import mailer, maillog
from digest.weekly.attempts import mark_delivered, mark_logged, sent_editions
from digest.weekly.issue import Edition, IsoWeek
from digest.weekly.ledger import SENDING, week_state
from digest.weekly.outcome import SendOutcome, reached

log = logging.getLogger("digest.weekly.store")  # the name its log lines have always carried


def sent_by_the_log(settings: Settings, database: Database, name: str, edition: Edition) -> SendOutcome | None:
    """A send the mail log kept and the database forgot (restored, or copied): recorded so, not sent again."""
    # A send from the command line may be the upgraded release's first: the log starts whole, not with this send.
    keep_mail_log(settings, database)
    logged = maillog.logged_send(settings.data_dir, name, edition)
    if logged is None or not mark_logged(database, name, edition, logged.sent_at, logged.message_id):
        return None
    line = f"already sent on {logged.sent_at:%Y-%m-%d %H:%M} UTC ({maillog.mail_log(settings.data_dir)})"
    log.warning("weekly %s %s: not sent again: %s; the database did not know it (restored?)", name, edition, line)
    return SendOutcome(name, edition, "already-sent", line)


def sent_while_claimed(settings: Settings, database: Database, name: str, edition: Edition) -> SendOutcome | None:
    """An edition another send still holds the claim of ("sending") that the mail log says went out: its process
    could not record it (the database went away or the disk filled as the mail went out) and the log has it, so it is
    recorded as sent now and said so, not called busy until the claim lapses an hour later. The log's line is written
    once every reader has the edition: whatever that send still does, nobody is owed it."""
    with database.reading() as session:
        state = week_state(session, name, edition)
    logged = maillog.logged_send(settings.data_dir, name, edition)
    if state is None or state.status != SENDING or logged is None:
        return None
    if not mark_logged(database, name, edition, logged.sent_at, logged.message_id):
        return None
    line = f"already sent on {logged.sent_at:%Y-%m-%d %H:%M} UTC ({maillog.mail_log(settings.data_dir)})"
    log.warning("weekly %s %s: %s; the send could not record it in the database, recorded now", name, edition, line)
    return SendOutcome(name, edition, "already-sent", line)


def record_delivery(
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
    log.error("weekly %s %s: email %s", name, edition, message, extra={OUTCOME_LINE: True})  # `weekly --send` says it
    return SendOutcome(name, edition, "unrecorded", message)


def keep_mail_log(settings: Settings, database: Database) -> None:
    """A data folder with no weekly-sent.log (made by a release before it) gets one from the database's record, so
    that a backup restored later does not send readers again what they had before the upgrade."""
    written = maillog.seed(settings.data_dir, sent_editions(database))
    if written:
        log.info(
            "weekly: wrote %s from the database's record of the %s sent", maillog.NAME, counted(written, "edition")
        )
