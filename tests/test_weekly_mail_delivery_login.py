"""The weekly email's login and security as an operator meets them: a UTF-8 password, a refused one never shown,
settings config check accepts, and a server's TLS or login needs said with what to set.

Every test drives the real weekly job (or the real command) against a real aiosmtpd server on loopback and a
real SQLite file in a temporary data folder; nothing of the product is mocked."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from digest.cli import main
from digest.weekly.ledger import refused_line, week_state
from digest.weekly.store import run_weekly_job
from tests.smtp_server import Credentials, Inbox, free_port, self_signed_certificate, server_tls_context, smtp_server
from tests.weekly_mail_delivery import (
    NOW,
    EchoingCredentials,
    config,
    failed_send,
    setup,
    state,
)

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
        with smtp_server(inbox, port, **tls, authenticator=credentials, auth_required=True):
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
        with smtp_server(Inbox(), port, **tls, authenticator=Credentials("digest-bot", "another"), auth_required=True):
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
        with smtp_server(Inbox(), port, **tls, authenticator=EchoingCredentials("digest-bot", ""), auth_required=True):
            result = run_weekly_job(settings, database, NOW, ssl_context=ssl.create_default_context(cafile=str(cert)))
        with database.reading() as session:
            found = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert found is not None and found.last_error is not None
    assert found.last_error.endswith(
        "refused the login of 'digest-bot': 535 5.7.8 Authentication invalid: [password] is wrong"
    ), found.last_error
    assert result.emails[0].message == f"{found.last_error}; {refused_line(settings, '2026-W48', 'readers')}"


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
        f" this one needs no login; {refused_line(settings, '2026-W48', 'readers')}"
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
        f' command first): set [smtp] security = "starttls"; {refused_line(settings, "2026-W48", "readers")}'
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
        " [smtp] username, and its password in the SMTP_PASSWORD variable;"
        f" {refused_line(settings, '2026-W48', 'readers')}"
    ), outcome.message
