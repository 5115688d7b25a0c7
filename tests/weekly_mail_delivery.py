"""The set-up of the weekly email delivery tests: a week filled in a real SQLite file, the `[smtp]` settings for an
aiosmtpd server on loopback, the weekly job run against it, and the inboxes and logins standing in for servers that
refuse, greylist, cap or close (tests/smtp_server.py serves them)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import AuthResult, LoginPassword

from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from digest.vocab import Edition
from digest.weekly.ledger import week_state
from digest.weekly.store import SendOutcome, WeeklyResult, run_weekly_job
from tests.conftest import make_settings
from tests.smtp_server import Credentials, Inbox, smtp_server
from tests.weekly_data import fill_week

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin: 2026-W48 is the last complete week
READER = "reader@example.org"
MAINTAINER = "ada@example.org"


def config(
    port: int,
    *,
    sender: str = "digest@lists.example.org",
    recipients: tuple[str, ...] = (READER,),
    maintainers: tuple[str, ...] = (MAINTAINER,),
    smtp: str = 'security = "none"\n',
    weekly: str = "",
) -> str:
    quoted = ", ".join(f'"{address}"' for address in recipients)
    quoted_maintainers = ", ".join(f'"{address}"' for address in maintainers)
    return (
        'timezone = "Europe/Berlin"\n\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\n{smtp}sender = "{sender}"\n'
        f"recipients = [{quoted}]\nmaintainer_recipients = [{quoted_maintainers}]\ntimeout_seconds = 10\n\n"
        f"[weekly]\n{weekly}"
    )


def setup(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> tuple[Settings, Database]:
    settings = make_settings(tmp_path / "data", text, environ=environ)
    database = open_service_database(settings)
    fill_week(database, settings)
    return settings, database


@contextmanager
def served_week(tmp_path: Path, port: int, text: str, inbox: Inbox) -> Iterator[tuple[Settings, Database]]:
    """A filled week with the configuration `text`, its settings and database, while an SMTP server on `port` serves
    `inbox`; the database is disposed of after."""
    settings, database = setup(tmp_path, text)
    try:
        with smtp_server(inbox, port):
            yield settings, database
    finally:
        database.dispose()


def weekly_job_mail(tmp_path: Path, port: int, text: str, inbox: Inbox | None = None) -> tuple[Inbox, WeeklyResult]:
    """The weekly job run once on a filled week with the configuration `text`, against an SMTP server on `port` serving
    `inbox` (one taking every message by default): what it received, and what the job says of each email."""
    inbox = Inbox() if inbox is None else inbox
    with served_week(tmp_path, port, text, inbox) as (settings, database):
        result = run_weekly_job(settings, database, NOW)
    return inbox, result


def state(database: Database, week: str, edition: Edition) -> tuple[str, int] | None:
    with database.reading() as session:
        found = week_state(session, week, edition)
    return None if found is None else (found.status, found.attempts)


def done_with_a_day_before(
    database: Database, clock: datetime, week: str = "2026-W48", edition: str = "readers"
) -> None:
    """Dates the edition's giving up (or refusal for good, whichever it had) a day before both the test's `clock` and
    the real one (`digest weekly --send` reads it): the 30 days whom it owes are kept for run from then, whatever
    today is."""
    with database.transaction() as session:
        row = session.get(WeeklyDigest, (week, edition))
        assert row is not None and (row.given_up_at or row.refused_at) is not None, row
        at = max(datetime.now(UTC), clock) - timedelta(days=1)
        if row.given_up_at is not None:
            row.given_up_at = at
        else:
            row.refused_at = at
        row.owed_kept_from = at


class SelectiveInbox(Inbox):
    """Answers RCPT for the addresses in `replies` with that reply (e.g. a 451 or a 550); accepts the others."""

    def __init__(self, replies: dict[str, str]) -> None:
        super().__init__()
        self.replies = dict(replies)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.replies:
            return self.replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"


class SecondMessageRefusingInbox(Inbox):
    """Takes the first message; refuses the next one's DATA for good (a policy, a size a later message exceeded)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.envelopes:
            return "554 5.7.1 message rejected: policy violation"
        return await super().handle_DATA(server, session, envelope)


class AcceptThenDropInbox(Inbox):
    """Takes the first message, then drops the connection before its 250 reaches the client (a lost reply)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 1:
            server.transport.close()
        return "250 OK"


def failed_send(
    settings: Settings, database: Database, port: int, client_tls: ssl.SSLContext | None = None, **server: Any
) -> SendOutcome:
    """One weekly job (trusting `client_tls`'s certificates when given) against aiosmtpd on `port` with `server`'s
    options, a server that must not take the edition: its one outcome, failed, with nothing delivered."""
    inbox = Inbox()
    try:
        with smtp_server(inbox, port, **server):
            if client_tls is None:
                result = run_weekly_job(settings, database, NOW)
            else:
                result = run_weekly_job(settings, database, NOW, ssl_context=client_tls)
    finally:
        database.dispose()
    (outcome,) = result.emails
    assert outcome.status == "failed" and not inbox.messages, outcome
    return outcome


class EchoingCredentials(Credentials):
    """Refuses every login, repeating the password it was given in its reply, as a careless server might."""

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        given = auth_data.password.decode() if isinstance(auth_data, LoginPassword) else ""
        return AuthResult(success=False, handled=False, message=f"535 5.7.8 Authentication invalid: {given} is wrong")


def refused_six_weeks_then_sent(settings: Settings, database: Database, inbox: Inbox) -> WeeklyResult:
    """The relay refuses six Mondays' jobs, then takes the seventh's: what that job did."""
    for weeks in range(6):
        run_weekly_job(settings, database, NOW + timedelta(weeks=weeks))
    inbox.refuse = False
    return run_weekly_job(settings, database, NOW + timedelta(weeks=6))


class CappedInbox(Inbox):
    """Takes at most 100 recipients a message, as RFC 5321 allows a server (and many take fewer)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if len(envelope.rcpt_tos) >= 100:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class ClosingInbox(Inbox):
    """Takes the first message; then answers the next recipient '421 closing' (a server shutting down, a rate limit),
    which makes smtplib drop the connection, once. Later connections are served in full."""

    closed: bool = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.envelopes and not self.closed:
            self.closed = True
            return "421 4.3.2 Service shutting down, closing transmission channel"
        return await super().handle_RCPT(server, session, envelope, address, options)


def sent_as_printed(line: str, port: int, elsewhere: Path) -> Inbox:
    """The weekly send a log line names, run as printed from `elsewhere` (the caller's current folder: a maintainer's
    shell, not the service's) against a mail server on `port` that takes it; what that server received. The command
    must act on the service's database: nothing is made in `elsewhere`."""
    from digest.cli import main
    from tests.printed import printed_command

    command = printed_command(line, "weekly --week 2026-W48")
    fixed = Inbox()
    with smtp_server(fixed, port):
        assert main(command[1:]) == 0
    assert not (elsewhere / "data").exists()
    return fixed
