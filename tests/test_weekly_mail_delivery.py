"""The weekly email as an operator and its recipients meet it (from QA): the back-off, a UTF-8 login, settings
config check accepts, IDN addresses, greylisting, the list headers, one Message-ID per edition, catching up.

Every test drives the real weekly job (or the real command) against a real aiosmtpd server on loopback and a real
SQLite file in a temporary data folder; nothing of the product is mocked. Each test failed on the code it was written
against (58a592f) and states what was expected."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from digest.cli import main
from digest.config import ConfigError, Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from digest.weekly.ledger import MAX_BACKOFF, backoff, claim_week, refused_line, week_state
from digest.weekly.store import CATCH_UP_WEEKS, SendOutcome, WeeklyResult, run_weekly_job
from tests.conftest import make_settings
from tests.smtp_server import Credentials, Inbox, free_port, self_signed_certificate, server_tls_context, smtp_server
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


def state(database: Database, week: str, edition: str) -> tuple[str, int] | None:
    with database.reading() as session:
        found = week_state(session, week, edition)
    return None if found is None else (found.status, found.attempts)


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


class AcceptThenDropInbox(Inbox):
    """Takes the first message, then drops the connection before its 250 reaches the client (a lost reply)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 1:
            server.transport.close()
        return "250 OK"


# 1. One edition that keeps failing eventually crashes every weekly job, and the readers' digest stops for good.


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


def test_a_long_failing_edition_does_not_stop_every_later_digest(tmp_path: Path) -> None:
    """A maintainer's mailbox that stays full (452) fails the maintainers' edition once a day at most (the back-off
    tops out at a day). After 36 attempts (about five weeks), `mark_failed` computes 30 min * 2**36 as a timedelta
    and raises OverflowError: the weekly job dies at that edition on every run from then on, the row stays
    'sending', and every edition after it in the queue, the readers' digest of each new week included, is never
    sent. (Reproduced live by running the job once a day: day 36 raises, every day after too.) Here the failed row
    is left as 36 daily failures leave it."""
    port = free_port()
    settings, database = setup(tmp_path, config(port))
    with database.transaction() as session:
        session.add(WeeklyDigest(week="2026-W48", edition="readers", status="sent", attempts=1, recipients=[READER]))
        session.add(
            WeeklyDigest(
                week="2026-W48",
                edition="maintainers",
                status="failed",
                attempts=36,
                recipients=[],
                last_error="the SMTP server refused every recipient: ada@example.org: 452 4.2.2 mailbox full",
                next_attempt_at=NOW,
            )
        )
    inbox = SelectiveInbox({MAINTAINER: "452 4.2.2 <ada@example.org>: mailbox full"})  # refused for now
    next_monday = NOW + timedelta(days=7)  # 2026-W49 is due for readers
    try:
        with smtp_server(inbox, port):
            raised: BaseException | None = None
            try:
                run_weekly_job(settings, database, next_monday)
            except Exception as exc:  # what the scheduler would get
                raised = exc
        readers_w49 = state(database, "2026-W49", "readers")
        with database.reading() as session:
            maintainers_w48 = week_state(session, "2026-W48", "maintainers")
    finally:
        database.dispose()
    assert raised is None, f"the weekly job raised {type(raised).__name__}: {raised}"
    assert readers_w49 == ("sent", 1), readers_w49
    assert any("2026-W49" in str(message["Subject"]) for message in inbox.messages)
    assert maintainers_w48 is not None and (maintainers_w48.status, maintainers_w48.attempts) == ("failed", 37)
    assert maintainers_w48.next_attempt_at == next_monday + timedelta(days=1)  # the back-off's cap, not a crash


def test_the_back_off_doubles_then_tops_out_at_a_day_however_many_attempts() -> None:
    assert [backoff(attempts, 30) for attempts in (1, 2, 3)] == [timedelta(minutes=m) for m in (30, 60, 120)]
    assert backoff(7, 30) == backoff(37, 30) == backoff(10**9, 30) == MAX_BACKOFF
    assert backoff(1, 0) == timedelta(minutes=1) and backoff(3, 10**12) == MAX_BACKOFF


# 2. A non-ASCII SMTP password crashes the job instead of logging in (or failing cleanly).


def test_a_password_with_non_ascii_characters_logs_in_or_fails_cleanly(tmp_path: Path) -> None:
    """SMTP_PASSWORD = 'Grüße-aus-Köln-2026' (AUTH PLAIN is UTF-8, RFC 4616; the server accepts it). smtplib
    encodes the AUTH response as ASCII, so UnicodeEncodeError escapes `mailer.send` (it catches OSError and
    SMTPException only) and the weekly job: neither edition is sent, no failure is recorded (the readers' row is
    left 'sending', so nothing retries for an hour, and then it crashes again), the operator gets a traceback
    instead of the one-line error, and the message names the positions of the password's non-ASCII characters."""
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    password = "Grüße-aus-Köln-2026"
    text = config(port, smtp='security = "starttls"\nusername = "digest-bot"\n')
    settings, database = setup(tmp_path, text, environ={"SMTP_PASSWORD": password})
    inbox, credentials = Inbox(), Credentials("digest-bot", password)
    tls = dict(tls_context=server_tls_context(cert, key), require_starttls=True)
    try:
        with smtp_server(inbox, port, **tls, authenticator=credentials, auth_required=True):  # type: ignore[arg-type]
            raised: BaseException | None = None
            try:
                run_weekly_job(settings, database, NOW, ssl_context=ssl.create_default_context(cafile=str(cert)))
            except Exception as exc:
                raised = exc
        readers = state(database, "2026-W48", "readers")
    finally:
        database.dispose()
    assert raised is None, f"the weekly job raised {type(raised).__name__}: {raised}"
    assert readers is not None and readers[0] != "sending", readers  # at the least: a recorded, retried failure
    assert credentials.logins == ["digest-bot", "digest-bot"]  # the UTF-8 password logs in: once per edition
    assert len(inbox.messages) == 2


def test_a_refused_non_ascii_password_is_a_recorded_failure_that_never_shows_the_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The server refuses the login: both editions fail in one line each, not retried (a 535 is a refusal for good),
    and the password is in no log line, no recorded error and no exception the job raised."""
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    password = "Grüße-aus-Köln-2026"
    text = config(port, smtp='security = "starttls"\nusername = "digest-bot"\n')
    settings, database = setup(tmp_path, text, environ={"SMTP_PASSWORD": password})
    tls = dict(tls_context=server_tls_context(cert, key), require_starttls=True)
    try:
        with smtp_server(Inbox(), port, **tls, authenticator=Credentials("digest-bot", "another"), auth_required=True):  # type: ignore[arg-type]
            result = run_weekly_job(settings, database, NOW, ssl_context=ssl.create_default_context(cafile=str(cert)))
        with database.reading() as session:
            errors = [
                found.last_error
                for edition in ("readers", "maintainers")
                if (found := week_state(session, "2026-W48", edition))
            ]
    finally:
        database.dispose()
    assert [o.status for o in result.emails] == ["failed", "failed"], result.emails
    assert all("refused the login of 'digest-bot': 535" in o.message for o in result.emails), result.emails
    assert len(errors) == 2 and all(error and "refused the login" in error for error in errors), errors
    seen = [caplog.text, *map(str, errors), *(o.message for o in result.emails)]
    assert not any(part in text for text in seen for part in (password, "Grüße", "Köln"))


class EchoingCredentials(Credentials):
    """Refuses every login, repeating the password it was given in its reply, as a careless server might."""

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        given = auth_data.password.decode() if isinstance(auth_data, LoginPassword) else ""
        return AuthResult(success=False, handled=False, message=f"535 5.7.8 Authentication invalid: {given} is wrong")


@pytest.mark.parametrize("password", ["a", "5", "ion"])
def test_a_refused_short_password_leaves_the_servers_reply_readable(tmp_path: Path, password: str) -> None:
    """A password of a few characters ("a", "5") was taken out of the server's reply wherever its characters
    occurred: "535 5.7.8 Authentication invalid" read "Authentic[password]tion inv[password]lid", in the recorded
    error and the log. The reply reads whole, and the password itself, where the reply repeats it, is still never
    shown."""
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    text = config(port, smtp='security = "starttls"\nusername = "digest-bot"\n')
    settings, database = setup(tmp_path, text, environ={"SMTP_PASSWORD": password})
    tls = dict(tls_context=server_tls_context(cert, key), require_starttls=True)
    try:
        with smtp_server(Inbox(), port, **tls, authenticator=EchoingCredentials("digest-bot", ""), auth_required=True):  # type: ignore[arg-type]
            result = run_weekly_job(settings, database, NOW, ssl_context=ssl.create_default_context(cafile=str(cert)))
        with database.reading() as session:
            found = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert found is not None and found.last_error is not None
    assert found.last_error.endswith(
        "refused the login of 'digest-bot': 535 5.7.8 Authentication invalid: [password] is wrong"
    ), found.last_error
    assert result.emails[0].message == f"{found.last_error}; {refused_line('2026-W48', 'readers')}"


# 3. Settings that `digest config check` calls OK make every weekly job raise before anything is sent.


@pytest.mark.parametrize(
    ("sender", "weekly"),
    [
        ("Awesome Digest <digest@lists.example.org>", ""),  # the usual way to give a From a display name
        ("digest@lists.example.org", 'list_unsubscribe = "https://lists.example.org/unsubscribe?list=Awesome LMMs"\n'),
    ],
    ids=["sender-with-display-name", "unsubscribe-url-with-a-space"],
)
def test_settings_that_config_check_accepts_do_not_crash_the_weekly_job(
    tmp_path: Path, sender: str, weekly: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`config check` prints 'configuration OK', but `build_message` refuses the value with MailError, raised from
    `compose_email`, which `send_week` calls outside its try: the exception leaves `run_weekly_job` before either
    edition is sent, no failure is recorded and no retry is scheduled, every week."""
    monkeypatch.chdir(tmp_path)
    port = free_port()
    text = config(port, sender=sender, weekly=weekly)
    (tmp_path / "digest.toml").write_text(text, encoding="utf-8")
    checked = main(["--config", str(tmp_path / "digest.toml"), "--data-dir", str(tmp_path / "data"), "config", "check"])
    capsys.readouterr()
    settings, database = setup(tmp_path, text)
    inbox = Inbox()
    try:
        with smtp_server(inbox, port):
            raised: BaseException | None = None
            try:
                run_weekly_job(settings, database, NOW)
            except Exception as exc:
                raised = exc
    finally:
        database.dispose()
    if checked == 0:  # accepted by config check: then the job must not die on it
        assert raised is None, f"config check said OK, then the weekly job raised {type(raised).__name__}: {raised}"
        assert len(inbox.messages) == 2


# 4. An internationalised domain in one reader's address stops the readers' edition for everyone.


def test_an_idn_recipient_domain_does_not_need_smtputf8_nor_block_the_other_readers(tmp_path: Path) -> None:
    """'leser@bücher.example' is valid configuration. The domain is sent as UTF-8 instead of its A-label
    (xn--bcher-kva.example), so smtplib demands SMTPUTF8; a server without it (several relay services; aiosmtpd's
    Controller offers it unless told not to) fails the whole readers' edition, for every reader, on every retry."""
    port = free_port()
    readers = ("leser@bücher.example", READER)
    settings, database = setup(tmp_path, config(port, recipients=readers))
    inbox = Inbox()
    try:
        with smtp_server(inbox, port, enable_SMTPUTF8=False):  # a relay without SMTPUTF8
            result = run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    readers_outcome = [o for o in result.emails if o.edition == "readers"]
    assert [o.status for o in readers_outcome] == ["sent"], readers_outcome
    envelopes = [envelope.rcpt_tos for envelope in inbox.envelopes]
    assert ["leser@xn--bcher-kva.example", READER] in envelopes, envelopes


def test_an_idn_sender_domain_does_not_need_smtputf8(tmp_path: Path) -> None:
    """sender = 'digest@bücher.example': both editions fail on a server without SMTPUTF8 (MAIL FROM in UTF-8);
    with one, the Message-ID's right-hand side is raw UTF-8. Expected: the A-label in envelope and headers."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, sender="digest@bücher.example"))
    inbox = Inbox()
    try:
        with smtp_server(inbox, port, enable_SMTPUTF8=False):  # a relay without SMTPUTF8
            result = run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    assert [o.status for o in result.emails] == ["sent", "sent"], [o.message for o in result.emails]
    assert all(str(m["Message-ID"]).isascii() for m in inbox.messages)


def test_a_sender_with_a_display_name_is_the_from_and_its_plain_address_the_envelope(tmp_path: Path) -> None:
    port = free_port()
    settings, database = setup(tmp_path, config(port, sender='\\"Awesome Digest, weekly\\" <digest@bücher.example>'))
    inbox = Inbox()
    try:
        with smtp_server(inbox, port, enable_SMTPUTF8=False):
            run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    assert [envelope.mail_from for envelope in inbox.envelopes] == ["digest@xn--bcher-kva.example"] * 2
    assert {str(m["From"]) for m in inbox.messages} == {'"Awesome Digest, weekly" <digest@xn--bcher-kva.example>'}


@pytest.mark.parametrize(
    ("sender", "name"),
    [
        ('\\"Awesome <LMM> Dïgest\\" <digest@lists.example.org>', "Awesome <LMM> Dïgest"),
        ('\\"Awesome <LMM> Digest\\" <digest@lists.example.org>', "Awesome <LMM> Digest"),
        ('\\"Ada \\\\\\"the\\\\\\" <Digest>\\" <digest@lists.example.org>', 'Ada "the" <Digest>'),
    ],
)
def test_a_sender_whose_quoted_display_name_holds_angle_brackets_is_accepted_and_sent_whole(
    tmp_path: Path, sender: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """sender = '"Awesome <LMM> Dïgest" <digest@lists.example.org>' (a quoted display name, valid in RFC 5322) was
    refused at start and by `config check` ('is not an email address'). Expected: accepted, and the From carries
    the name whole, the envelope the plain address."""
    port = free_port()
    text = config(port, sender=sender)
    (tmp_path / "digest.toml").write_text(text, encoding="utf-8")
    checked = main(["--config", str(tmp_path / "digest.toml"), "--data-dir", str(tmp_path / "data"), "config", "check"])
    assert checked == 0, capsys.readouterr()
    inbox, result = weekly_job_mail(tmp_path, port, text)
    assert [o.status for o in result.emails] == ["sent", "sent"], [o.message for o in result.emails]
    assert [envelope.mail_from for envelope in inbox.envelopes] == ["digest@lists.example.org"] * 2
    senders = {(a.display_name, a.addr_spec) for m in inbox.messages for a in m["From"].addresses}
    assert senders == {(name, "digest@lists.example.org")}


def test_config_check_and_the_message_refuse_the_same_unsubscribe_link_and_the_job_records_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`config check` refuses a link with a space in one line; a service started without checking records the
    readers' edition as failed with that line (retried), and the maintainers' edition (no such header) goes."""
    port = free_port()
    text = config(port, weekly='list_unsubscribe = "https://lists.example.org/unsubscribe?list=Awesome LMMs"\n')
    (tmp_path / "digest.toml").write_text(text, encoding="utf-8")
    checked = main(["--config", str(tmp_path / "digest.toml"), "--data-dir", str(tmp_path / "data"), "config", "check"])
    out = capsys.readouterr().out
    refusal = "weekly.list_unsubscribe 'https://lists.example.org/unsubscribe?list=Awesome LMMs' contains white space"
    assert checked == 1 and refusal in out, out
    settings, database = setup(tmp_path, text)
    inbox = Inbox()
    try:
        with smtp_server(inbox, port):
            result = run_weekly_job(settings, database, NOW)
        readers = state(database, "2026-W48", "readers")
    finally:
        database.dispose()
    outcomes = {o.edition: o for o in result.emails}
    assert outcomes["readers"].status == "failed" and refusal in outcomes["readers"].message
    assert outcomes["readers"].retry_at is not None and readers == ("failed", 1)
    assert outcomes["maintainers"].status == "sent" and len(inbox.messages) == 1


def test_a_bad_recipient_address_is_refused_by_the_settings_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        make_settings(tmp_path / "data", config(free_port(), recipients=("reader at example.org", READER)))
    assert refused.value.problems == [
        "smtp.recipients item 1 'reader at example.org' is not an email address (user@example.org)"
    ], refused.value.problems


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("a@@example.org", "two '@'"),
        ("a@b@example.org", "two '@'"),
        ("ada@example..org", "an empty part of its domain"),
        ("ada@.example.org", "an empty part of its domain"),
        ("ada@example.org.", "an empty part of its domain"),
        (".ada@example.org", "a dot at the start or end of its name, or two dots together"),
        ("ada.@example.org", "a dot at the start or end of its name, or two dots together"),
        ("a..da@example.org", "a dot at the start or end of its name, or two dots together"),
    ],
)
def test_a_mistyped_address_the_server_alone_would_refuse_is_refused_by_the_settings(
    tmp_path: Path, typed: str, why: str
) -> None:
    """A doubled '@' or dot passed `config check` and was only refused by the server at the first weekly send, one
    reader missing the edition a week later. The settings refuse it in one line saying what is wrong."""
    with pytest.raises(ConfigError) as refused:
        make_settings(tmp_path / "data", config(free_port(), recipients=(READER, typed)))
    assert refused.value.problems == [
        f"smtp.recipients item 2 {typed!r} is not an email address (user@example.org): it has {why}"
    ], refused.value.problems


def test_unusual_addresses_that_are_valid_stay_accepted(tmp_path: Path) -> None:
    """Guard: a plus tag, dots inside a name, a single-label host and an internationalised domain."""
    accepted = ("ada+digest@example.org", "ada.lovelace@example.org", "root@localhost", "ada@bücher.example")
    settings = make_settings(tmp_path / "data", config(free_port(), recipients=accepted))
    assert tuple(settings.smtp.recipients) == accepted


def test_a_reader_whose_address_needs_smtputf8_is_refused_alone_by_a_server_without_it(tmp_path: Path) -> None:
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=("jürgen@example.org", READER), maintainers=()))
    inbox = Inbox()
    try:
        with smtp_server(inbox, port, enable_SMTPUTF8=False):
            result = run_weekly_job(settings, database, NOW)
        with database.reading() as session:
            found = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert [o.status for o in result.emails] == ["sent"]
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [[READER]]
    assert found is not None and found.last_error is not None and "jürgen@example.org" in found.last_error


# 5. A temporary refusal of one reader is treated as final: that reader never gets the week.


def test_a_reader_greylisted_at_rcpt_gets_the_week_on_a_later_attempt(tmp_path: Path) -> None:
    """Three readers; the server answers 451 4.7.1 (greylisting, 'try again later') for one. The week is marked
    'sent' to the other two and the 451 is kept as a final refusal: no later attempt, by the job or by
    `digest weekly --send`, ever delivers it to that reader."""
    port = free_port()
    readers = ("a@example.org", "b@example.org", "c@example.org")
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = SelectiveInbox({"b@example.org": "451 4.7.1 Greylisted, please try again later"})
    try:
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, NOW)
            inbox.replies.clear()  # greylisting over: the server takes b now
            run_weekly_job(settings, database, NOW + timedelta(hours=1))
            run_weekly_job(settings, database, NOW + timedelta(days=1))
    finally:
        database.dispose()
    delivered = [address for envelope in inbox.envelopes for address in envelope.rcpt_tos]
    assert sorted(delivered) == sorted(readers), delivered


def test_a_greylisted_reader_is_owed_the_week_on_record_and_the_retry_goes_to_them_alone(tmp_path: Path) -> None:
    port = free_port()
    readers = ("a@example.org", "b@example.org", "c@example.org")
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = SelectiveInbox({"b@example.org": "451 4.7.1 Greylisted, please try again later"})
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
            with database.reading() as session:
                owed = week_state(session, "2026-W48", "readers")
                kept = session.get(WeeklyDigest, ("2026-W48", "readers"))
                assert kept is not None
                had = list(kept.recipients)
            inbox.replies.clear()
            second = run_weekly_job(settings, database, NOW + timedelta(minutes=30))
            with database.reading() as session:
                done = week_state(session, "2026-W48", "readers")
                kept = session.get(WeeklyDigest, ("2026-W48", "readers"))
                assert kept is not None
                has = list(kept.recipients)
    finally:
        database.dispose()
    (outcome,) = first.emails
    assert outcome.status == "partly-sent" and outcome.retry_at == NOW + timedelta(minutes=30), outcome
    assert "b@example.org: 451 4.7.1 Greylisted" in outcome.message
    assert owed is not None and (owed.status, owed.deferred) == ("failed", ("b@example.org",)), owed
    assert had == ["a@example.org", "c@example.org"]
    assert [o.status for o in second.emails] == ["sent"]
    assert done is not None and (done.status, done.deferred, done.last_error) == ("sent", (), None), done
    assert has == ["a@example.org", "c@example.org", "b@example.org"]
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [
        ["a@example.org", "c@example.org"],
        ["b@example.org"],
    ]


# 6. Mailing-list headers of the readers' edition.


def test_one_click_unsubscribe_is_only_offered_with_a_link_that_names_the_recipient(tmp_path: Path) -> None:
    """RFC 8058 3.1: the one-click URI 'MUST contain enough information to identify the mail recipient'; the POST
    carries only 'List-Unsubscribe=One-Click'. The readers' edition goes as one message to every reader with the
    same configured URL and List-Unsubscribe-Post, so Gmail/Yahoo show a one-click Unsubscribe that cannot tell
    who clicked: the reader believes they left and keeps getting the digest."""
    port = free_port()
    readers = ("alice@example.org", "bob@example.net", "carol@example.com")
    weekly = 'list_unsubscribe = "https://lists.example.org/unsubscribe?list=lmms"\n'
    inbox, _ = weekly_job_mail(tmp_path, port, config(port, recipients=readers, maintainers=(), weekly=weekly))
    one_click = [m for m in inbox.messages if m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"]
    links = {str(m["List-Unsubscribe"]) for m in one_click}
    copies = sum(len(e.rcpt_tos) for e, m in zip(inbox.envelopes, inbox.messages, strict=True) if m in one_click)
    assert not one_click or len(links) == copies == len(readers), (links, copies)


def test_the_readers_edition_carries_a_list_id(tmp_path: Path) -> None:
    """A weekly mailing to a list of readers has no List-Id (RFC 2919): readers cannot filter it the way they
    filter every other list, and mail providers do not see it as list mail."""
    port = free_port()
    weekly = 'list_unsubscribe = "mailto:digest@lists.example.org?subject=unsubscribe"\n'
    inbox, _ = weekly_job_mail(tmp_path, port, config(port, maintainers=(), weekly=weekly))
    (message,) = inbox.messages
    assert message["List-Id"] is not None, list(message.keys())


def test_the_list_id_is_named_by_the_title_and_the_web_host_and_the_unsubscribe_target_is_shown(tmp_path: Path) -> None:
    port = free_port()
    weekly = 'list_unsubscribe = "mailto:digest@lists.example.org?subject=unsubscribe"\n'
    text = 'list_title = "Awesome LMMs: Mech. Interp."\n' + config(port, maintainers=(), weekly=weekly)
    text += '\n[web]\nbase_url = "https://papers.bücher.example"\n'
    inbox, _ = weekly_job_mail(tmp_path, port, text)
    (message,) = inbox.messages
    assert message["List-Id"] == '"Awesome LMMs: Mech. Interp." <awesome-lmms-mech-interp.papers.xn--bcher-kva.example>'
    plain = message.get_body(("plain",))
    assert plain is not None and "To stop: mailto:digest@lists.example.org?subject=unsubscribe" in plain.get_content()


# 7. A resend after a lost reply is a different message to every recipient.


def test_a_resend_after_a_lost_reply_keeps_the_message_id(tmp_path: Path) -> None:
    """The server took the message and the connection dropped before its 250 arrived: the retry 30 minutes later
    sends it again (documented) but as a new message: a new Message-ID (and Date), so neither the recipients'
    clients nor a list server can recognise the duplicate. The week's edition should keep one Message-ID."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, maintainers=()))
    inbox = AcceptThenDropInbox()
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
            second = run_weekly_job(settings, database, NOW + timedelta(minutes=31))
    finally:
        database.dispose()
    assert [o.status for o in first.emails] == ["failed"] and [o.status for o in second.emails] == ["sent"]
    assert len(inbox.messages) == 2
    assert inbox.messages[0]["Message-ID"] == inbox.messages[1]["Message-ID"], [
        str(m["Message-ID"]) for m in inbox.messages
    ]
    assert str(inbox.messages[0]["Message-ID"]).startswith("<2026-W48.readers.")
    assert str(inbox.messages[0]["Message-ID"]).endswith("@lists.example.org>")


# 8. Weeks that failed pile up and all go out at once.


def refused_six_weeks_then_sent(settings: Settings, database: Database, inbox: Inbox) -> WeeklyResult:
    """The relay refuses six Mondays' jobs, then takes the seventh's: what that job did."""
    for weeks in range(6):
        run_weekly_job(settings, database, NOW + timedelta(weeks=weeks))
    inbox.refuse = False
    return run_weekly_job(settings, database, NOW + timedelta(weeks=6))


def test_readers_do_not_get_a_pile_of_stale_digests_after_an_outage(tmp_path: Path) -> None:
    """The relay refuses the digest for six Mondays (a relay down or over its quota: a 451). When it works
    again the next job sends every failed week at once, the oldest six weeks old: seven digests in one go. A
    service that was down instead sends at most CATCH_UP_WEEKS missed weeks (README: 'at most the last 4')."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, maintainers=()))
    inbox = Inbox(refuse=True)
    try:
        with smtp_server(inbox, port):
            refused_six_weeks_then_sent(settings, database, inbox)
    finally:
        database.dispose()
    subjects = [str(m["Subject"]) for m in inbox.messages]
    assert len(subjects) <= CATCH_UP_WEEKS + 1, subjects


def test_after_an_outage_the_weeks_past_the_catch_up_are_given_up_by_name_and_the_recent_ones_sent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    settings, database = setup(tmp_path, config(port, maintainers=()))
    inbox = Inbox(refuse=True)
    try:
        with smtp_server(inbox, port):
            result = refused_six_weeks_then_sent(settings, database, inbox)
        with database.reading() as session:
            oldest = [week_state(session, week, "readers") for week in ("2026-W48", "2026-W49")]
        by_hand = claim_week(database, "2026-W48", NOW + timedelta(weeks=6), ignore_backoff=True)
    finally:
        database.dispose()
    assert [(o.week, o.status) for o in result.emails] == [
        (week, "sent") for week in ("2026-W50", "2026-W51", "2026-W52", "2026-W53", "2027-W01")
    ]
    assert all(found is not None and found.status == "given-up" for found in oldest), oldest
    assert oldest[0] is not None and oldest[0].last_error is not None
    assert oldest[0].last_error.startswith("given up: older than the last 4 weeks after 5 attempts; the SMTP server")
    assert "not sending 2026-W48 readers any more" in caplog.text  # on the sixth Monday, W53's
    assert "not sending 2026-W49 readers any more" in caplog.text  # on the seventh
    assert by_hand  # `digest weekly --week 2026-W48 --send` still sends it


def test_a_greylisted_reader_written_with_a_trailing_space_is_still_sent_the_week(tmp_path: Path) -> None:
    """The settings accept ' b@example.org ' (plain_address strips to check, but _email returns the value as written),
    the mailer sends to the stripped address and records the 4xx-deferred recipient stripped ('b@example.org'); owed()
    then compares the configured ' b@example.org ' with it, finds nobody owed, and mark_delivered marks the week
    'sent' with no second attempt. (It was: one envelope only, status sent, b never got the week.)"""
    from digest.weekly.ledger import week_state
    from digest.weekly.store import run_weekly_job
    from tests.smtp_server import free_port, smtp_server
    from tests.test_weekly_mail_delivery import NOW as MONDAY
    from tests.test_weekly_mail_delivery import SelectiveInbox, config, setup

    port = free_port()
    readers = ("a@example.org", "b@example.org ")
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = SelectiveInbox({"b@example.org": "451 4.7.1 Greylisted, please try again later"})
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, MONDAY)
            inbox.replies.clear()
            run_weekly_job(settings, database, MONDAY + timedelta(minutes=30))
        with database.reading() as session:
            done = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert [o.status for o in first.emails] == ["partly-sent"]
    delivered = sorted(address for envelope in inbox.envelopes for address in envelope.rcpt_tos)
    assert delivered == ["a@example.org", "b@example.org"], (delivered, done)


class CappedInbox(Inbox):
    """Takes at most 100 recipients a message, as RFC 5321 allows a server (and many take fewer)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if len(envelope.rcpt_tos) >= 100:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_list_of_more_readers_than_a_server_takes_in_one_message_gets_the_week_at_once(tmp_path: Path) -> None:
    """250 readers: the edition went as one message with 250 RCPTs, the server took 100 and answered the rest 452
    'too many recipients', so 150 readers were owed the week and got it only on later retries (30 minutes, then an
    hour, ...), and the log warned of 150 refusals. Expected: every reader has it from the first run, none twice."""
    port = free_port()
    readers = tuple(f"reader{number:03d}@example.org" for number in range(250))
    inbox = CappedInbox()
    _, result = weekly_job_mail(tmp_path, port, config(port, recipients=readers, maintainers=()), inbox)
    assert [(outcome.week, outcome.status) for outcome in result.emails] == [("2026-W48", "sent")]
    delivered = [address for envelope in inbox.envelopes for address in envelope.rcpt_tos]
    assert sorted(delivered) == sorted(readers)
    assert len({message["Message-ID"] for message in inbox.messages}) == 1  # one edition, in several envelopes


def test_the_services_log_does_not_carry_every_readers_address(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The service logged each week 'weekly: 2026-W48: wrote ...; 2026-W48 readers: sent (sent to reader000@...,
    reader001@..., ...)': one line holding every reader's address, kept by journald and any log shipper, and read by
    whoever reads the logs. Expected: the line counts the readers (a few recipients, as a test list, are named)."""
    import asyncio

    from digest.service.weekly_job import run_weekly

    port = free_port()
    readers = tuple(f"reader{number:03d}@example.org" for number in range(12))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    try:
        with smtp_server(Inbox(), port), caplog.at_level("INFO"):
            asyncio.run(run_weekly(settings, database, NOW, None))
    finally:
        database.dispose()
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("digest"))
    assert "2026-W48 readers: sent (sent to 12 recipients)" in logged, logged
    assert not any(address in logged for address in readers)


class ClosingInbox(Inbox):
    """Takes the first message; then answers the next recipient '421 closing' (a server shutting down, a rate limit),
    which makes smtplib drop the connection, once. Later connections are served in full."""

    closed: bool = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.envelopes and not self.closed:
            self.closed = True
            return "421 4.3.2 Service shutting down, closing transmission channel"
        return await super().handle_RCPT(server, session, envelope, address, options)


def test_a_server_closing_after_the_first_batch_leaves_every_later_reader_owed_the_week(tmp_path: Path) -> None:
    """120 readers go in three messages of 50, 50 and 20. The server took the first, then answered the second's first
    recipient 421 and closed the connection: the other 49 of that batch, never asked, were recorded as having the
    week, and the retry sent it to the 21 it knew were owed. Expected: the retry brings it to every reader the first
    run did not reach, and no reader gets it twice."""
    port = free_port()
    readers = tuple(f"reader{number:03d}@example.org" for number in range(120))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = ClosingInbox()
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
            retry = run_weekly_job(settings, database, NOW + timedelta(hours=3))
    finally:
        database.dispose()
    assert [outcome.status for outcome in first.emails] == ["partly-sent"]
    assert [outcome.status for outcome in retry.emails] == ["sent"]
    delivered = [address for envelope in inbox.envelopes for address in envelope.rcpt_tos]
    assert sorted(delivered) == sorted(readers)


def test_a_connection_closed_mid_list_does_not_log_every_reader_left(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """250 readers; the server closed the connection after the first batch of 50. The log then said 'the SMTP server
    refused some recipients: reader050@...: 451 ...; reader051@...: 451 ...' for all 200 readers left, twice (and
    the edition's line too): the readers' addresses the weekly log line no longer carries, in the log after all.
    Expected: one reason, a few of its recipients named, the others counted."""
    port = free_port()
    readers = tuple(f"reader{number:03d}@example.org" for number in range(250))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    try:
        with smtp_server(ClosingInbox(), port), caplog.at_level("INFO"):
            first = run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    assert [outcome.status for outcome in first.emails] == ["partly-sent"]
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("digest"))
    named = {address for address in readers if address in logged}
    assert len(named) <= 6 and "more" in logged, (len(named), logged[:600])


def test_a_greylisted_reader_refused_for_good_at_the_retry_leaves_the_week_sent_not_failing_for_weeks(
    tmp_path: Path,
) -> None:
    """Three readers; the server greylists b (451) and, at the retry that goes to b alone, refuses b for good (550 no
    such user). A 5xx refusal of one reader is final, as README says: the week is sent (a and c have it), b's
    refusal kept with it. It was: the retry counted as the whole edition failing ('refused every recipient'),
    tried again every back-off for four weeks, then given up as not sent, and never written to weekly-sent.log."""
    port = free_port()
    readers = ("a@example.org", "b@example.org", "c@example.org")
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = SelectiveInbox({"b@example.org": "451 4.7.1 Greylisted, please try again later"})
    try:
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, NOW)
            inbox.replies["b@example.org"] = "550 5.1.1 <b@example.org>: no such user"
            retry = run_weekly_job(settings, database, NOW + timedelta(minutes=30))
            later = run_weekly_job(settings, database, NOW + timedelta(days=1))
        with database.reading() as session:
            done = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    (outcome,) = retry.emails
    assert outcome.status == "sent", outcome
    assert "b@example.org: 550 5.1.1" in outcome.message and outcome.retry_at is None, outcome
    assert [o.status for o in later.emails] == ["already-sent"], later
    assert done is not None and (done.status, done.deferred) == ("sent", ()), done
    assert "b@example.org: 550 5.1.1" in (done.last_error or "")
    assert (settings.data_dir / "weekly-sent.log").read_text().startswith("2026-W48\treaders\t")
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [["a@example.org", "c@example.org"]]


def test_a_login_the_server_offers_only_over_tls_says_so_and_what_to_set(tmp_path: Path) -> None:
    """security = "none" and a username, against a server that offers AUTH only after STARTTLS (as most do, and
    aiosmtpd by default): the line read 'sending through ... failed: SMTP AUTH extension not supported by server.',
    which names neither the setting nor the fix."""
    port = free_port()
    smtp = 'security = "none"\nusername = "digest"\n'
    settings, database = setup(tmp_path, config(port, smtp=smtp, maintainers=()), {"SMTP_PASSWORD": "s3cret-pass"})
    outcome = failed_send(settings, database, port, authenticator=Credentials("digest", "s3cret-pass"))
    assert outcome.message == (
        f"the SMTP server 127.0.0.1:{port} offers no login (AUTH) on an unencrypted connection and [smtp] username is"
        ' set: most servers offer it only over TLS (set [smtp] security = "starttls", or "tls"); unset username if'
        f" this one needs no login; {refused_line('2026-W48', 'readers')}"
    ), outcome.message
    assert outcome.retry_at is None  # a setting to change: not retried every few hours for four weeks


def test_implicit_tls_to_a_server_that_starts_in_plain_text_says_which_security_to_set(tmp_path: Path) -> None:
    """security = "tls" (implicit TLS, port 465) against a server that greets in plain text and offers STARTTLS (port
    587, 25): the line read '[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)', OpenSSL's words, which
    name neither the setting nor the fix."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, smtp='security = "tls"\n', maintainers=()))
    outcome = failed_send(settings, database, port)
    assert outcome.message == (
        f"cannot reach the SMTP server 127.0.0.1:{port} (tls): it answered in plain text, not TLS: a server that"
        ' offers STARTTLS (usually port 587 or 25) needs [smtp] security = "starttls"'
    ), outcome.message


def test_starttls_to_a_server_that_expects_tls_at_once_says_which_security_to_set(tmp_path: Path) -> None:
    """security = "starttls" (the default) against a server of implicit TLS (port 465), which waits for the TLS
    handshake and never greets in plain text: the line read 'Connection unexpectedly closed: timed out', as if the
    server were down or slow."""
    port = free_port()
    text = config(port, smtp='security = "starttls"\n', maintainers=()).replace(
        "timeout_seconds = 10", "timeout_seconds = 1"
    )
    settings, database = setup(tmp_path, text)
    cert, key = self_signed_certificate(tmp_path)
    outcome = failed_send(settings, database, port, ssl_context=server_tls_context(cert, key))
    assert outcome.message == (
        f"cannot reach the SMTP server 127.0.0.1:{port} (starttls): it took the connection and said nothing for 1"
        ' s: a server that expects TLS at once (usually port 465) needs [smtp] security = "tls"'
    ), outcome.message


def test_a_list_title_joined_by_zwj_or_zwnj_reads_whole_in_the_subject_and_list_id(tmp_path: Path) -> None:
    """A title's emoji sequence (🧑‍🔬 is 🧑, U+200D, 🔬) and a Persian word joined by U+200C (می‌خوانیم) read
    whole in the body, as the text policy keeps them: the Subject and the List-Id's name made each joiner a space,
    so readers saw '🧑 🔬' (a person and a microscope) and the Persian word split in two."""
    title = "Awesome 🧑\u200d🔬 Interpretability: می\u200cخوانیم"
    port = free_port()
    settings, database = setup(tmp_path, f'list_title = "{title}"\n' + config(port, maintainers=()))
    inbox = Inbox()
    try:
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    (message,) = inbox.messages
    assert str(message["Subject"]) == f"{title} — 2026-W48: 3 new papers", str(message["Subject"])
    assert str(message["List-Id"]).startswith(f"{title} <"), str(message["List-Id"])


def test_giving_up_an_edition_most_readers_have_says_who_has_it_and_who_does_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A reader's server greylists (451) the week's edition, and keeps doing so: the others have it. Five weeks on
    the job gives the week up, and the log said "not sending 2026-W48 readers any more: unsent", of an edition most
    readers had. It says who got it, who did not, and how that one is still sent by hand."""
    port = free_port()
    late = "late@example.org"
    settings, database = setup(tmp_path, config(port, recipients=(READER, "second@example.org", late), maintainers=()))
    inbox = SelectiveInbox({late: "451 4.7.1 <late@example.org>: greylisted, try again later"})
    try:
        with smtp_server(inbox, port):
            for weeks in range(6):
                run_weekly_job(settings, database, NOW + timedelta(weeks=weeks))
    finally:
        database.dispose()
    assert "not sending 2026-W48" not in caplog.text
    assert (
        "weekly: 2026-W48 readers went to 2 recipients; not trying any more for the 1 the server refused for now"
        " (late@example.org): older than the last 4 weeks (`digest weekly --week 2026-W48 --edition readers --send`"
        " still sends it to them by hand)"
    ) in caplog.text


def test_an_edition_given_up_after_reaching_most_readers_is_not_said_unsent(tmp_path: Path) -> None:
    """The readers' edition reached a and c, the server greylisted b, and weeks later it was given up for b. Asked to
    send it again (a job that listed the week before another process gave it up), the outcome said "not sent: given
    up ...", false of an edition two of three readers have: it says whom it reached and whom not."""
    from digest.weekly.issue import IsoWeek
    from digest.weekly.store import give_up_stale_weeks, send_week

    port = free_port()
    readers = ("a@example.org", "b@example.org", "c@example.org")
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = SelectiveInbox({"b@example.org": "451 4.7.1 Greylisted, please try again later"})
    later = NOW + timedelta(weeks=6)
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
            given_up = give_up_stale_weeks(database, IsoWeek(2027, 2), later)
            outcome = send_week(settings, database, IsoWeek(2026, 48), later)
    finally:
        database.dispose()
    assert [o.status for o in first.emails] == ["partly-sent"]
    assert [str(edition) for edition in given_up] == ["2026-W48 readers"]
    assert outcome.status == "given-up"
    assert outcome.message.startswith(
        "sent to a@example.org, c@example.org; not to b@example.org: given up: older than the last 4 weeks after 1"
        " attempt; "
    ), outcome.message
    assert len(inbox.envelopes) == 1


def test_a_server_that_takes_mail_only_after_starttls_says_which_security_to_set(tmp_path: Path) -> None:
    """security = "none" (no username) against a server that requires STARTTLS before it takes mail (RFC 3207, as
    submission servers on port 587 do): the line read 'sending through ... failed: 530 Must issue a STARTTLS command
    first', the server's words, naming neither the setting nor the fix, and the edition was retried at every
    back-off for weeks (it is not retried now: a 530 is a refusal for good)."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, smtp='security = "none"\n', maintainers=()))
    cert, key = self_signed_certificate(tmp_path)
    outcome = failed_send(settings, database, port, tls_context=server_tls_context(cert, key), require_starttls=True)
    assert outcome.message == (
        f"the SMTP server 127.0.0.1:{port} takes mail only over an encrypted connection (530 Must issue a STARTTLS"
        f' command first): set [smtp] security = "starttls"; {refused_line("2026-W48", "readers")}'
    ), outcome.message


def test_a_server_that_takes_mail_only_from_a_login_says_what_to_set(tmp_path: Path) -> None:
    """No [smtp] username against a submission server that takes mail only from a logged-in sender (RFC 4954's
    530, as every provider's port 587 does): the line read 'sending through ... failed: 530 5.7.0 Authentication
    required', naming neither the settings nor the fix, and the edition was retried at every back-off for weeks."""
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    settings, database = setup(tmp_path, config(port, smtp='security = "starttls"\n', maintainers=()))
    outcome = failed_send(
        settings,
        database,
        port,
        tls_context=server_tls_context(cert, key),
        require_starttls=True,
        authenticator=Credentials("digest", "pw"),
        auth_required=True,
        client_tls=ssl.create_default_context(cafile=str(cert)),
    )
    assert outcome.message == (
        f"the SMTP server 127.0.0.1:{port} takes mail only from a login (530 5.7.0 Authentication required): set"
        f" [smtp] username, and its password in the SMTP_PASSWORD variable; {refused_line('2026-W48', 'readers')}"
    ), outcome.message
