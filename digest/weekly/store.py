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
from sqlalchemy.exc import IntegrityError

from digest.clock import as_utc
from digest.config import Settings
from digest.config.invocation import noted
from digest.storage.db import Database
from digest.templating import template_error_line
from digest.weekly import ledger
from digest.weekly.catchup import (
    CATCH_UP_WEEKS,
    GivenUp,
    editions_to_retry,
    give_up_stale_weeks,
    log_given_up,
    missed_weeks,
    owe_editions,
    unsent_retry_at,
)
from digest.weekly.contents import kept_markdown, load_digest, write_markdown
from digest.weekly.issue import EDITIONS, Edition, IsoWeek, last_complete_week
from digest.weekly.ledger import forget_weeks_ahead
from digest.weekly.mailer import Stop
from digest.weekly.outcome import SendOutcome, not_emailed, sent_again_line
from digest.weekly.sending import send_week
from digest.weekly.sendrecord import keep_mail_log

# Sending one edition lives in sending.py, its outcome in outcome.py, the weeks owed besides the last in catchup.py:
# send_week, SendOutcome, not_emailed, keep_mail_log, CATCH_UP_WEEKS, GivenUp, give_up_stale_weeks and unsent_retry_at
# are importable from here as before.
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

_email_off_logged = False
_not_emailed_logged: set[str] = set()
# The editions whose "already sent" the job said how to send again, by data folder: a process may serve more than one.
_sent_again_said: set[tuple[str, str, str]] = set()


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
        """The job's one line for the service's log: the week once, then each edition's outcome once (the paths
        written and a send's details are in the lines logged before it)."""
        written = "Markdown written" if len(self.markdown_paths) == len(EDITIONS) else "Markdown not written"
        if len(self.markdown_paths) == 1:
            written = f"only the {next(iter(self.markdown_paths))}' Markdown written"
        emails = "; ".join(outcome.said(self.week) for outcome in self.emails) or "no email"
        return f"{self.week}: {written}; {emails}"

    def line(self, next_attempt: datetime | None) -> str:
        """The job's one line, and when the service calls again (`next_attempt`, the retry it scheduled), unless an
        edition said in full names that time already."""
        said = str(self)
        if next_attempt is None:
            return noted(said)
        when = f"next attempt at {next_attempt:%Y-%m-%d %H:%M} UTC"
        return noted(said if when in said else f"{said}; {when}")  # an edition's note once, at the line's end


def write_editions(settings: Settings, database: Database, week: IsoWeek, now: datetime) -> dict[Edition, Path]:
    """Both editions' Markdown in the weekly folder; a failure to write one is logged and does not stop the other."""
    paths: dict[Edition, Path] = {}
    for edition in EDITIONS:
        try:
            with database.reading() as session:
                digest = load_digest(session, settings, week, now=now, edition=edition)
            if (kept := kept_markdown(digest, settings)) is not None:
                paths[edition] = kept
                log.info("weekly %s: kept %s: its second tier, forgotten since, would be lost", week, kept)
                continue
            paths[edition] = write_markdown(digest, settings)
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
    log_given_up(give_up_stale_weeks(database, week, now), now, settings)
    missed = missed_weeks(database, week)
    if missed:
        log.warning("weekly: no job ran for %s (the service was down); sending them now", ", ".join(map(str, missed)))
        for skipped in missed:
            write_editions(settings, database, skipped, now)
    due = [
        *editions_to_retry(database, week),
        *((skipped, edition) for skipped in missed for edition in EDITIONS),
        *((week, edition) for edition in EDITIONS),
    ]
    for owing in [*missed, week]:
        with suppress(IntegrityError):  # another process put them on record first
            owe_editions(database, owing, emailed)
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
            retry_at = as_utc(now) + ledger.STALE_CLAIM  # when a claim it may have left is taken again
            outcomes.append(SendOutcome(str(when), edition, "failed", f"unexpected {type(exc).__name__}", retry_at))
    _say_how_to_send_again(settings, outcomes)
    return WeeklyResult(str(week), paths, tuple(outcomes))


def _say_how_to_send_again(settings: Settings, outcomes: list[SendOutcome]) -> None:
    """An edition the job found sent already (by a `digest weekly --send` before it): how to send it again, as the
    command says it, once a week and edition (each later run of the job finds it sent again)."""
    for outcome in outcomes:
        said = (str(settings.data_dir), str(outcome.week), str(outcome.edition))
        if outcome.status == "already-sent" and said not in _sent_again_said:
            _sent_again_said.add(said)
            hint = sent_again_line(settings, outcome.week, outcome.edition)
            log.info("weekly %s %s: %s; %s", outcome.week, outcome.edition, outcome.message, hint)
