"""The SMTP password never crosses the network in plain text: `[smtp] security = "none"` with a username is refused
for a mail server on another machine (before any connection), kept for a relay on this machine, and "starttls" to a
server that offers no STARTTLS does not log in."""

from __future__ import annotations

import ipaddress
import re
import socket
import subprocess
from pathlib import Path

import pytest

from digest.cli import main
from digest.weekly.ledger import refused_line
from digest.weekly.store import run_weekly_job
from tests.cli_runs import digest_command
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared
from tests.config_cmd import run, write
from tests.slow_resolver import slow_resolver
from tests.smtp_server import Credentials, Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import NOW, config, failed_send, setup

PASSWORD = "s3cret-pass-word"
# A documentation address (RFC 5737): another machine, which nothing here ever reaches (refused before connecting).
AWAY = "192.0.2.1"
REFUSED = (
    f"smtp.security is none and smtp.username is set: the SMTP password would cross the network to {AWAY} unencrypted;"
    ' set [smtp] security = "starttls" or "tls", or remove [smtp] username'
)
# RFC 6761: .invalid never resolves, so it cannot be told to be this machine.
UNRESOLVED = (
    "smtp.security is none and smtp.username is set: no-such-host.invalid does not resolve to an address here,"
    " so it cannot be told to be this machine and the SMTP password would not be sent to it unencrypted;"
    ' check [smtp] host, set [smtp] security = "starttls" or "tls", or remove [smtp] username'
)


def _config(folder: Path, host: str) -> Path:
    return write(
        folder / "config.toml",
        '[arxiv]\ncontact = "ada@example.org"\nsources = ["http://127.0.0.1:9/rss/cs.CV"]\nmax_retries = 0\n\n'
        f'[smtp]\nhost = "{host}"\nport = 25\nsecurity = "none"\nusername = "digest"\ntimeout_seconds = 1\n'
        'recipients = ["readers@example.org"]\nmaintainer_recipients = ["ada@example.org"]\n',
    )


def test_a_plain_text_login_to_another_machine_is_refused_by_what_sends_mail(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """security = "none", a username and SMTP_PASSWORD, the server another machine: `config check` only warned, and
    the weekly send logged in over plain text, the password readable by anyone on the way. `config check` names it a
    problem, `weekly --send` refuses before writing anything and the service does not start, each in one line
    saying what to set, none showing the password."""
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    config_file, data = _config(clean_environment, AWAY), clean_environment / "data"
    base = ["--config", str(config_file), "--data-dir", str(data)]
    status, out = run(capsys, *base, "config", "check")
    assert status == 1, out
    assert [line for line in out.splitlines() if "unencrypted" in line] == [f"problem: {REFUSED}"], out
    status = main([*base, "weekly", "--send"])
    assert status == 2
    shown = capsys.readouterr()
    assert shown.err == f"digest: {REFUSED} (nothing was written or sent)\n"
    assert not (data / "weekly").exists()
    port = str(free_port())  # should the service start after all
    command = [*digest_command(clean_environment), *base[:2], "run", "--port", port]
    service = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert service.returncode == 2, service.stderr
    assert service.stderr == f"digest: {REFUSED}\n"
    assert PASSWORD not in out + shown.out + shown.err + service.stdout + service.stderr


@pytest.mark.parametrize(("host", "said"), [(AWAY, REFUSED), ("no-such-host.invalid", UNRESOLVED)])
def test_the_send_itself_refuses_a_plain_text_login_to_another_machine_and_keeps_the_edition(
    host: str, said: str, tmp_path: Path
) -> None:
    """The weekly job (the service's, whatever started it) refuses before connecting, to another machine or a name
    that does not resolve: no login, nothing sent; the edition is recorded refused for good, with the command that
    sends it once the setting is fixed."""
    text = config(25, smtp='security = "none"\nusername = "digest"\n', maintainers=())
    text = text.replace('host = "127.0.0.1"', f'host = "{host}"').replace("timeout_seconds = 10", "timeout_seconds = 1")
    settings, database = setup(tmp_path, text, {"SMTP_PASSWORD": PASSWORD})
    try:
        (outcome,) = run_weekly_job(settings, database, NOW).emails
    finally:
        database.dispose()
    assert outcome.status == "failed", outcome
    assert outcome.message == f"{said}; {refused_line(settings, '2026-W48', 'readers')}", outcome.message
    assert outcome.retry_at is None  # a setting to change: not retried every few hours
    assert PASSWORD not in outcome.message


def _loopback_name() -> str:
    """A name other than localhost that /etc/hosts maps to loopback (this machine's own name, usually), every address
    it resolves to loopback."""
    for line in Path("/etc/hosts").read_text(encoding="utf-8").splitlines():
        address, *names = line.split("#")[0].split() or [""]
        for name in names if address.startswith("127.") else ():
            found = {info[4][0] for info in socket.getaddrinfo(name, 25, type=socket.SOCK_STREAM)}
            if name.lower() != "localhost" and all(ipaddress.ip_address(each).is_loopback for each in found):
                return name
    raise AssertionError("/etc/hosts maps no name but localhost to 127.0.0.1 alone")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "loopback name"])
def test_a_plain_text_login_to_a_relay_on_this_machine_keeps_working(
    host: str, clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relay on this machine (a loopback address, localhost, a name /etc/hosts maps to loopback: this one was refused
    as another machine) with a login and security = "none" crosses no network: `config check` passes it and the weekly
    email logs in and arrives."""
    host = _loopback_name() if host == "loopback name" else host
    port = free_port()
    text = config(port, smtp='security = "none"\nusername = "digest"\n', maintainers=())
    text = text.replace('host = "127.0.0.1"', f'host = "{host}"')
    config_file = write(clean_environment / "config.toml", text)
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    status, out = run(
        capsys, "--config", str(config_file), "--data-dir", str(clean_environment / "data"), "config", "check"
    )
    assert status == 0, out
    assert "unencrypted" not in out, out
    (clean_environment / "job").mkdir()
    settings, database = setup(clean_environment / "job", text, {"SMTP_PASSWORD": PASSWORD})
    inbox, login = Inbox(), Credentials("digest", PASSWORD)
    try:
        with smtp_server(inbox, port, authenticator=login, auth_require_tls=False):
            (outcome,) = run_weekly_job(settings, database, NOW).emails
    finally:
        database.dispose()
    assert outcome.status == "sent", outcome
    assert login.logins == ["digest"] and len(inbox.messages) == 1


@pytest.mark.parametrize(
    ("host", "said"),
    [
        ("0.0.0.0", REFUSED.replace(AWAY, "0.0.0.0")),
        ("no-such-host.invalid", UNRESOLVED),
    ],
)
def test_a_plain_text_login_to_a_host_not_known_to_be_this_machine_is_refused(
    host: str, said: str, clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """0.0.0.0 (every address of whichever machine) and a name that does not resolve are not known to be this machine:
    `config check` refuses the plain-text login in one line saying what to set."""
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    config_file = _config(clean_environment, host)
    status, out = run(
        capsys, "--config", str(config_file), "--data-dir", str(clean_environment / "data"), "config", "check"
    )
    assert status == 1, out
    assert [line for line in out.splitlines() if "unencrypted" in line] == [f"problem: {said}"], out
    assert PASSWORD not in out


def test_starttls_to_a_server_that_offers_none_does_not_log_in_in_plain_text(tmp_path: Path) -> None:
    """security = "starttls" and a username, against a server that offers AUTH but no STARTTLS: the send must not go
    on without encryption (smtplib would log in in plain text), and the line says what to set."""
    port = free_port()
    smtp = 'security = "starttls"\nusername = "digest"\n'
    settings, database = setup(tmp_path, config(port, smtp=smtp, maintainers=()), {"SMTP_PASSWORD": PASSWORD})
    login = Credentials("digest", PASSWORD)
    outcome = failed_send(settings, database, port, authenticator=login, auth_require_tls=False)
    assert login.logins == []
    assert outcome.message == (
        f"cannot reach the SMTP server 127.0.0.1:{port} (starttls): it offers no STARTTLS, so nothing was sent over"
        ' the unencrypted connection: set [smtp] security = "tls" for a server of TLS at once (usually port 465), or'
        ' "none" for a relay on this machine'
    ), outcome.message


def test_a_dry_run_of_the_send_warns_that_it_would_refuse_a_plain_text_login(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`weekly --send --dry-run` with a plain-text login to a server on another machine: a warning of the command's log
    (time, level) saying what to set, none showing the password, and nothing written or sent (the dry run connects
    nowhere: nothing listens there)."""
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    config_file, data = _config(clean_environment, AWAY), clean_environment / "data"
    command = [*digest_command(clean_environment), "--config", str(config_file), "weekly", "--week", "2026-W48"]
    shown = subprocess.run([*command, "--send", "--dry-run"], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    timed = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARNING +digest\.cli\.weekly: "
    assert re.fullmatch(timed + re.escape(f"{REFUSED}: --send would refuse to log in\n"), shown.stderr), shown.stderr
    assert shown.stdout.startswith("# ") and "To: readers@example.org" in shown.stdout, shown.stdout
    assert PASSWORD not in shown.stdout + shown.stderr
    assert not (data / "weekly").exists()


def test_a_plain_text_login_to_localhost_keeps_working_when_the_resolver_does_not_answer(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """localhost is this machine whatever a resolver says (RFC 6761), and a name it does not resolve went to
    127.0.0.1; but a resolver that did not answer at all refused the login as another machine's ("cannot resolve
    localhost within 1 s"): `config check` failed, `digest run` would not start and the weekly email was not sent.
    Its silence now changes no more than its answer: the relay on 127.0.0.1 gets the login and the email."""
    port = free_port()
    text = config(port, smtp='security = "none"\nusername = "digest"\n', maintainers=())
    text = text.replace('host = "127.0.0.1"', 'host = "localhost"').replace(
        "timeout_seconds = 10", "timeout_seconds = 1"
    )
    config_file = write(clean_environment / "config.toml", text)
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    (clean_environment / "job").mkdir()
    settings, database = setup(clean_environment / "job", text, {"SMTP_PASSWORD": PASSWORD})
    inbox, login = Inbox(), Credentials("digest", PASSWORD)
    try:
        with slow_resolver(monkeypatch, own_name=False) as resolver:
            status, out = run(
                capsys, "--config", str(config_file), "--data-dir", str(clean_environment / "data"), "config", "check"
            )
            with smtp_server(inbox, port, authenticator=login, auth_require_tls=False):
                (outcome,) = run_weekly_job(settings, database, NOW).emails
    finally:
        database.dispose()
    assert "localhost" in resolver.names, resolver.names
    assert status == 0 and "cannot resolve" not in out, out
    assert outcome.status == "sent", outcome
    assert login.logins == ["digest"] and len(inbox.messages) == 1
