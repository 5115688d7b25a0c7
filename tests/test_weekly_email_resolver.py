"""The weekly email when the resolver does not answer (a dead nameserver, a machine whose own name has no answer):
the send gives up on a lookup after [smtp] timeout_seconds and is retried as for a server out of reach, and a stop
during the lookup ends it at once (aiosmtpd on 127.0.0.1; the resolver slowed at its socket seam)."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from digest.config import Settings
from digest.storage.db import Database
from digest.weekly.store import send_week
from tests.slow_resolver import slow_resolver
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_data import WEEK, fill_week
from tests.weekly_email import NOW, both_editions, row, wait_for_threads_to_end, with_smtp
from tests.weekly_email import settings as settings  # the fixture


class GreetedInbox(Inbox):
    """Keeps the name each client gave in its EHLO."""

    def __init__(self) -> None:
        super().__init__()
        self.greetings: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.greetings.append(str(session.host_name))
        return await super().handle_DATA(server, session, envelope)


def by_name(settings: Settings, port: int, seconds: float) -> Settings:
    """The settings naming the server "localhost" (a name to look up), with `seconds` as [smtp] timeout_seconds."""
    configured = with_smtp(settings, port)
    smtp = configured.smtp.model_copy(update={"host": "localhost", "timeout_seconds": seconds})
    return configured.model_copy(update={"smtp": smtp})


def hand_send_interrupted_at_lookup(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_lines: str
) -> tuple[int, float, Inbox]:
    """`digest weekly --send` of week 2026-W48's readers edition with `smtp_lines` under [smtp] (the server on
    localhost), SIGINT sent to this process as soon as the slowed resolver is asked: (exit code, seconds from the
    signal to the command's end, the server's inbox)."""

    from tests.weekly_email import hand_send_interrupted

    monkeypatch.chdir(tmp_path)
    inbox = Inbox()
    with smtp_server(inbox, server_hostname="mail.test") as port, slow_resolver(monkeypatch) as resolver:
        smtp = f'host = "localhost"\nport = {port}\nsecurity = "none"\n{smtp_lines}timeout_seconds = 30\n'
        smtp += 'recipients = ["readers@example.org"]\n'
        code, held = hand_send_interrupted(smtp, settings.data_dir, resolver.asked, 10)
    return code, held, inbox


def test_a_resolver_that_does_not_answer_fails_the_send_within_the_smtp_timeout_and_it_is_retried(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[smtp] timeout_seconds bounded the connection, not the lookup of the server's name: with a dead nameserver
    the send waited for the resolver to give up (glibc: some 10 s a nameserver) and said "Temporary failure in name
    resolution". The lookup gives up after the timeout with one line saying what to check; the edition is retried."""
    fill_week(database, settings)
    inbox = Inbox()
    with smtp_server(inbox, server_hostname="mail.test") as port, slow_resolver(monkeypatch) as resolver:
        started = time.monotonic()
        outcome = send_week(by_name(settings, port, 1), database, WEEK, NOW)
        held = time.monotonic() - started
    assert resolver.names, "the server's name was not looked up"
    assert (outcome.status, outcome.message) == (
        "failed",
        "cannot resolve localhost within 1 s: this machine's DNS resolver did not answer (a name that does not exist"
        " is answered at once): check its nameservers (/etc/resolv.conf)",
    )
    assert held < 1 + 2, f"the send was held {held:.1f} s by a lookup"
    assert inbox.envelopes == []
    found = row(database)
    assert found is not None and found.status == "failed" and found.next_attempt_at is not None  # retried, backed off


def test_the_machines_own_name_is_looked_up_once_and_greets_the_server_as_smtplib_would(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """smtplib looked this machine's name up (socket.getfqdn) for every connection's EHLO, one more lookup a dead
    resolver held each send by. It is looked up once per process, and the server is greeted by the same name."""
    expected = smtplib.SMTP().local_hostname  # smtplib's own choice, on this machine's resolver
    real_getfqdn = socket.getfqdn
    lookups: list[str] = []

    def counted_getfqdn(name: str = "") -> str:
        lookups.append(name)
        return real_getfqdn(name)

    fill_week(database, settings)
    inbox = GreetedInbox()
    with smtp_server(inbox, server_hostname="mail.test") as port:
        monkeypatch.setattr(socket, "getfqdn", counted_getfqdn)
        outcomes = [
            send_week(both_editions(settings, port), database, WEEK, NOW, edition=edition)
            for edition in ("readers", "maintainers")
        ]
    assert [outcome.status for outcome in outcomes] == ["sent", "sent"], outcomes
    assert inbox.greetings == [expected, expected]
    assert len(lookups) <= 1, f"this machine's name was looked up {len(lookups)} times for two connections"


def test_a_stop_during_a_lookup_that_does_not_answer_ends_the_send_at_once_and_the_edition_stays_owed(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGTERM while the weekly job's send waited on a dead resolver: the job checked the stop only once connected,
    so the service's stop waited for the lookup to give up (and the edition was then recorded failed, backed off).
    The stop ends the send at once: nothing was sent, and the edition is owed as before, due at once."""
    from digest.service.process import Service

    caplog.set_level(logging.INFO)
    fill_week(database, settings)
    inbox = Inbox()
    with smtp_server(inbox, server_hostname="mail.test") as port, slow_resolver(monkeypatch) as resolver:
        configured = by_name(settings, port, 30)

        async def stopped_during_the_lookup() -> float:
            service = Service(configured, clock=lambda: NOW)
            await service.start(schedule=False, serve_web=False)
            job = asyncio.ensure_future(service.weekly_now())
            while not resolver.asked.is_set():
                await asyncio.sleep(0.05)
            started = time.monotonic()
            await service.stop()
            held = time.monotonic() - started
            await job
            return held

        before = set(threading.enumerate()) - {thread for thread in threading.enumerate() if thread.daemon}
        held = asyncio.run(stopped_during_the_lookup())
        wait_for_threads_to_end(before | {thread for thread in threading.enumerate() if thread.daemon})
    assert held < 2, f"the stop waited {held:.1f} s for a lookup"
    assert inbox.envelopes == []
    found = row(database)
    assert found is not None and found.status == "pending" and found.next_attempt_at is None, found and found.status
    lines = [record.getMessage() for record in caplog.records]
    assert any("the send was stopped before any mail went out" in line for line in lines), lines


def test_ctrl_c_during_a_hand_send_waiting_on_a_lookup_ends_it_at_once_and_the_edition_stays_owed(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C (or SIGTERM) during `digest weekly --send` while the server's name had no answer: the send noticed the
    stop only once connected, so the command went on waiting for the resolver. It ends at once, nothing sent."""
    fill_week(database, settings)
    code, held, inbox = hand_send_interrupted_at_lookup(settings, tmp_path, monkeypatch, "")
    out, err = capsys.readouterr()
    assert held < 2, f"Ctrl-C waited {held:.1f} s for a lookup"
    assert code == 130, (out, err)
    assert inbox.envelopes == []
    found = row(database)
    assert found is not None and found.status == "pending" and found.next_attempt_at is None, found and found.status
    assert "the send was stopped before any mail went out: the edition is still owed" in out + err, (out, err)


def test_this_machines_own_name_without_an_answer_fails_the_send_within_the_smtp_timeout(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server given by its address, and this machine's own name (for EHLO) without an answer: smtplib waited for
    it unbounded at every connection. The send gives up after the timeout, saying what to check, and is retried."""
    from digest.weekly import smtpaddress

    monkeypatch.setattr(smtpaddress, "_OWN_NAME", [])  # as in a process that has not looked it up yet
    fill_week(database, settings)
    inbox = Inbox()
    with smtp_server(inbox, server_hostname="mail.test") as port, slow_resolver(monkeypatch) as resolver:
        configured = with_smtp(settings, port)
        configured = configured.model_copy(update={"smtp": configured.smtp.model_copy(update={"timeout_seconds": 1})})
        started = time.monotonic()
        outcome = send_week(configured, database, WEEK, NOW)
        held = time.monotonic() - started
    assert resolver.names == ["(this machine)"]
    assert (outcome.status, outcome.message) == (
        "failed",
        f"cannot resolve this machine's own name ({socket.gethostname()}) within 1 s, which the SMTP greeting (EHLO)"
        " gives: check this machine's DNS (or its name in /etc/hosts)",
    )
    assert held < 1 + 2, f"the send was held {held:.1f} s by a lookup"
    assert inbox.envelopes == []
    found = row(database)
    assert found is not None and found.status == "failed" and found.next_attempt_at is not None


def test_ctrl_c_during_the_hand_sends_check_of_a_plain_text_login_ends_it_at_once(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`digest weekly --send` with a login in plain text (security = "none", a username) first resolves the server's
    name, to tell a relay on this machine from one across the network; Ctrl-C during that lookup ended the command
    at once, but said a bare "digest: interrupted". It says what was stopped and that nothing was written or sent."""
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-password")
    fill_week(database, settings)
    code, held, inbox = hand_send_interrupted_at_lookup(settings, tmp_path, monkeypatch, 'username = "digest"\n')
    out, err = capsys.readouterr()
    assert held < 2, f"Ctrl-C waited {held:.1f} s for a lookup"
    assert code == 130, (out, err)
    assert inbox.envelopes == [] and not list(settings.weekly_dir.glob("*.md")), (out, err)
    found = row(database)
    assert found is None or (found.status == "pending" and found.next_attempt_at is None), found and found.status
    assert "interrupted while [smtp] host was looked up: nothing was written or sent" in err, (out, err)


def test_digest_run_on_a_resolver_without_an_answer_says_it_is_the_resolver_not_the_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`digest run` with a login in plain text checks that [smtp] host is this machine before it starts; the lookup
    without an answer in [smtp] timeout_seconds refuses the start (it cannot be told to be this machine). The line
    said "cannot resolve HOST within 1 s: check [smtp] host or this machine's DNS": the host first, which may well be
    right, and not why it was looked up. It says the resolver did not answer, and what that refuses."""
    from digest.cli import main
    from tests.weekly_email import CONFIG

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-password")
    config = tmp_path / "smtp.toml"
    config.write_text(
        CONFIG + '\n[smtp]\nhost = "mail.example.org"\nsecurity = "none"\nusername = "digest"\ntimeout_seconds = 1\n'
        'recipients = ["readers@example.org"]\n',
        encoding="utf-8",
    )
    with slow_resolver(monkeypatch) as resolver:
        started = time.monotonic()
        code = main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "run"])
        held = time.monotonic() - started
    out, err = capsys.readouterr()
    assert resolver.names == ["mail.example.org"] and held < 1 + 2, (resolver.names, held)
    assert code == 2 and out == "", (code, out, err)
    assert err == (
        "digest: smtp.security is none and smtp.username is set: cannot resolve mail.example.org within 1 s: this"
        " machine's DNS resolver did not answer (a name that does not exist is answered at once): check its"
        " nameservers (/etc/resolv.conf), so mail.example.org cannot be told to be this machine and the SMTP password"
        ' would not be sent to it unencrypted; start again once it answers, or set [smtp] security = "starttls" or'
        ' "tls"\n'
    ), err
    assert not (tmp_path / "data").exists(), "the service started"
