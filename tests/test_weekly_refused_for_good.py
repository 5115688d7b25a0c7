"""A weekly email the SMTP server refuses for good (a 5xx reply: to MAIL FROM, the login, every recipient, the
message, or a server that wants STARTTLS first; or no login offered while a username is set) was recorded as failed
and retried at every back-off, up to a day apart, for four weeks: the server's log filled with the same refusal and
nothing told the maintainer it would never go. It is recorded as refused with the server's reply, not retried, said
in the log and by `digest weekly --send`; the next week is tried as usual, and a temporary refusal (4xx) still backs
off.

Each test drives the real weekly job (or the real command) against aiosmtpd on loopback and a real SQLite file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.weekly.ledger import week_state
from digest.weekly.store import run_weekly_job, unsent_retry_at
from tests.smtp_server import Credentials, Inbox, free_port, self_signed_certificate, server_tls_context, smtp_server
from tests.weekly_mail_delivery import NOW, READER, SelectiveInbox, config, sent_as_printed, setup

PASSWORD = "not-the-right-one-2026"


class SenderRefusingInbox(Inbox):
    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return f"553 5.7.1 <{address}>: sender address rejected: not owned by user"


class MessageRefusingInbox(Inbox):
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "554 5.7.1 message rejected: policy violation"


def refusing(kind: str, tmp_path: Path) -> tuple[Inbox, dict[str, Any], str]:
    """The server refusing as `kind` says: its handler, its aiosmtpd options, and the [smtp] lines it is sent with."""
    if kind == "every-recipient":
        return SelectiveInbox({READER: "550 5.1.1 <reader@example.org>: no such user"}), {}, 'security = "none"\n'
    if kind == "sender":
        return SenderRefusingInbox(), {}, 'security = "none"\n'
    if kind == "message":
        return MessageRefusingInbox(), {}, 'security = "none"\n'
    if kind == "login":
        login = dict(authenticator=Credentials("digest-bot", "right"), auth_require_tls=False)
        return Inbox(), login, 'security = "none"\nusername = "digest-bot"\n'
    if kind == "no-login":  # AUTH offered only over TLS (aiosmtpd's default, as most servers): none on plain text
        return (
            Inbox(),
            dict(authenticator=Credentials("digest-bot", PASSWORD)),
            'security = "none"\nusername = "digest-bot"\n',
        )
    cert, key = self_signed_certificate(tmp_path)  # "starttls": the server takes mail only after STARTTLS
    return Inbox(), dict(tls_context=server_tls_context(cert, key), require_starttls=True), 'security = "none"\n'


REPLIES = {
    "every-recipient": "refused every recipient: reader@example.org: 550 5.1.1 <reader@example.org>: no such user",
    "sender": "553 5.7.1 <digest@lists.example.org>: sender address rejected: not owned by user",
    "message": "failed: 554 5.7.1 message rejected: policy violation",
    "login": "refused the login of 'digest-bot': 535 5.7.8 Authentication credentials invalid",
    # No reply to retry: a setting to change, which every retry for four weeks would find unchanged.
    "no-login": "no login (AUTH) on an unencrypted connection and [smtp] username is set: most servers offer it only"
    ' over TLS (set [smtp] security = "starttls", or "tls")',
    "starttls": '530 Must issue a STARTTLS command first): set [smtp] security = "starttls"',
}


def by_hand(settings: Settings) -> str:
    """How the line says to send the edition once fixed: in the service's own invocation (its settings file and data
    folder), not a bare `digest`, which run from a shell elsewhere reads ./data there."""
    command = same_invocation(settings, "weekly", "--week", "2026-W48", "--edition", "readers", "--send")
    return f"a refusal for good, not retried: fix its cause, then `{command}` sends it"


@pytest.mark.parametrize("kind", list(REPLIES))
def test_a_refusal_for_good_is_not_retried_and_the_next_week_is_sent(
    tmp_path: Path, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    inbox, options, smtp = refusing(kind, tmp_path)
    settings, database = setup(tmp_path, config(port, maintainers=(), smtp=smtp), {"SMTP_PASSWORD": PASSWORD})
    try:
        with smtp_server(inbox, port, **options):
            first = run_weekly_job(settings, database, NOW)
            a_day_later = run_weekly_job(settings, database, NOW + timedelta(days=1))
        with database.reading() as session:
            refused = week_state(session, "2026-W48", "readers")
        retry_on_start = unsent_retry_at(database, NOW + timedelta(days=1))
        fixed = Inbox()
        # The operator fixed the setting (or the server) during the week: here, the server takes the password.
        with smtp_server(fixed, port, authenticator=Credentials("digest-bot", PASSWORD), auth_require_tls=False):
            next_week = run_weekly_job(settings, database, NOW + timedelta(weeks=1))
    finally:
        database.dispose()
    (outcome,) = first.emails
    assert outcome.status == "failed" and outcome.retry_at is None and first.retry_at is None, outcome
    assert REPLIES[kind] in outcome.message and by_hand(settings) in outcome.message, outcome.message
    assert refused is not None and (refused.status, refused.attempts, refused.next_attempt_at) == ("refused", 1, None)
    assert refused.last_error is not None and REPLIES[kind] in refused.last_error
    assert "weekly 2026-W48 readers: email not sent: " in caplog.text and by_hand(settings) in caplog.text
    assert [(o.status, o.retry_at) for o in a_day_later.emails] == [("failed", None)], a_day_later.emails
    assert retry_on_start is None  # a restarted service schedules no retry for it either
    assert [str(m["Subject"]).rsplit("— ", 1)[-1][:8] for m in fixed.messages] == ["2026-W49"]
    assert [(o.week, o.status) for o in next_week.emails] == [("2026-W49", "sent")], next_week.emails
    seen = [caplog.text, refused.last_error, *(o.message for o in [*first.emails, *a_day_later.emails])]
    assert not any(PASSWORD in said for said in seen)


def test_a_refusal_for_now_still_backs_off_and_is_sent_later(tmp_path: Path) -> None:
    port = free_port()
    settings, database = setup(tmp_path, config(port, maintainers=()))
    try:
        with smtp_server(SelectiveInbox({READER: "450 4.2.1 <reader@example.org>: mailbox busy"}), port):
            first = run_weekly_job(settings, database, NOW)
        fixed = Inbox()
        with smtp_server(fixed, port):
            run_weekly_job(settings, database, NOW + timedelta(weeks=1))
    finally:
        database.dispose()
    assert [(o.status, o.retry_at) for o in first.emails] == [("failed", NOW + timedelta(minutes=30))]
    assert sorted(str(m["Subject"]).rsplit("— ", 1)[-1][:8] for m in fixed.messages) == ["2026-W48", "2026-W49"]


def test_the_command_says_the_refusal_and_sends_the_edition_by_hand_once_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    settings, database = setup(tmp_path, config(port, maintainers=()))
    database.dispose()
    send = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(tmp_path / "data")]
    send += ["weekly", "--week", "2026-W48", "--edition", "readers", "--send"]
    refusing_server = SelectiveInbox({READER: "550 5.1.1 <reader@example.org>: no such user"})
    with smtp_server(refusing_server, port):
        assert main(send) == 1
    said = capsys.readouterr().err
    assert said.startswith("digest: 2026-W48: email not sent: the SMTP server") and said.count("\n") == 1, said
    assert REPLIES["every-recipient"] in said and by_hand(settings) in said
    fixed = Inbox()
    with smtp_server(fixed, port):
        assert main(send) == 0
    assert capsys.readouterr().out.endswith("\n2026-W48: sent to reader@example.org\n")
    assert [envelope.rcpt_tos for envelope in fixed.envelopes] == [[READER]]


def test_the_send_by_hand_a_refusal_for_good_names_sends_it_from_the_service_database_run_as_printed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server refused the edition's message for good (554) and the job's line said the bare `digest weekly --week
    2026-W48 --edition readers --send` sends it once the cause is fixed; run from a maintainer's shell elsewhere, that
    read ./data there (email off, no such week) and sent nothing. It names the service's settings file and data
    folder: run as printed from another folder once the server takes it, the edition reaches the reader."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, maintainers=()))
    try:
        with smtp_server(MessageRefusingInbox(), port):
            (refused,) = run_weekly_job(settings, database, NOW).emails
    finally:
        database.dispose()
    assert refused.status == "failed" and REPLIES["message"] in refused.message, refused
    (line,) = [record.getMessage() for record in caplog.records if "a refusal for good" in record.getMessage()]
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    fixed = sent_as_printed(line, port, folder)
    assert [envelope.rcpt_tos for envelope in fixed.envelopes] == [[READER]]
    assert "2026-W48" in str(fixed.messages[0]["Subject"])


class QuotaInbox(Inbox):
    """Gmail's answer once the account's daily sending quota is spent: a 5xx whose enhanced code (5.4.5) says the
    condition passes (the quota resets within a day)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return (
            "550 5.4.5 Daily user sending quota exceeded. Learn more at https://support.google.com/mail/?p=ReachedLimit"
        )


@pytest.mark.parametrize(
    "inbox",
    [QuotaInbox(), SelectiveInbox({READER: "552 5.2.2 <reader@example.org>: mailbox full"})],
    ids=["sending-quota", "mailbox-full"],
)
def test_a_5xx_naming_a_passing_condition_backs_off_and_is_sent_later(tmp_path: Path, inbox: Inbox) -> None:
    """A quota that resets or a full mailbox is no refusal for good, whatever its reply's first digit: giving the week
    up would leave the readers without it until a maintainer sends it by hand."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, maintainers=()))
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
        with database.reading() as session:
            state = week_state(session, "2026-W48", "readers")
        fixed = Inbox()
        with smtp_server(fixed, port):
            run_weekly_job(settings, database, NOW + timedelta(hours=1))
    finally:
        database.dispose()
    assert [(o.status, o.retry_at) for o in first.emails] == [("failed", NOW + timedelta(minutes=30))], first.emails
    assert state is not None and state.status == "failed" and "not retried" not in (state.last_error or "")
    assert [str(m["Subject"]).rsplit("— ", 1)[-1][:8] for m in fixed.messages] == ["2026-W48"]
