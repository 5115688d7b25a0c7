"""A plain-text SMTP login goes to the address that was checked: a name whose DNS answer changes between the check
(every address loopback) and the connection (DNS rebinding, a short TTL) must not carry the password to another
machine. The name is resolved once, and the send connects to the loopback address that resolution gave."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from digest.config import Settings
from digest.storage.db import Database
from digest.weekly.store import run_weekly_job
from tests.smtp_server import Credentials, Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import NOW, config, failed_send, setup

PASSWORD = "s3cret-pass-word"
REBOUND = "relay.rebinding.test"  # RFC 6761: .test names never resolve but as the resolver below answers
AWAY = "192.0.2.1"  # a documentation address (RFC 5737): another machine, which nothing here ever reaches


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A resolver answering REBOUND with a loopback address the first time it is asked, and another machine's every
    time after (the attack); every other name as the system resolves it. Yields the answers it gave for REBOUND."""
    system, given = socket.getaddrinfo, list[str]()

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != REBOUND:
            return system(host, port, *args, **kwargs)
        given.append("127.0.0.1" if not given else AWAY)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (given[-1], port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    yield given


def _settings(folder: Path, port: int) -> tuple[Settings, Database]:
    text = config(port, smtp='security = "none"\nusername = "digest"\n', maintainers=())
    text = text.replace('host = "127.0.0.1"', f'host = "{REBOUND}"')
    return setup(folder, text, {"SMTP_PASSWORD": PASSWORD})


def test_a_plain_text_login_reaches_the_loopback_address_the_check_accepted(tmp_path: Path, answers: list[str]) -> None:
    """The name answered loopback when the send asked whether the password may go in plain text, and another machine
    after: the send connected by name, resolving it again, and sent the login towards that machine. It now connects
    to the loopback address the check accepted: the relay here gets the login and the edition, the name asked once."""
    port = free_port()
    settings, database = _settings(tmp_path, port)
    inbox, login = Inbox(), Credentials("digest", PASSWORD)
    try:
        with smtp_server(inbox, port, authenticator=login, auth_require_tls=False):
            (outcome,) = run_weekly_job(settings, database, NOW).emails
    finally:
        database.dispose()
    assert outcome.status == "sent", outcome
    assert login.logins == ["digest"] and len(inbox.messages) == 1
    assert answers == ["127.0.0.1"]


def test_a_relay_not_reached_at_the_checked_address_is_said_by_the_name_configured(
    tmp_path: Path, answers: list[str]
) -> None:
    """Connected by its loopback address, the relay that does not take the login is still named as configured in the
    line the maintainer reads (not by the address), and the password is not in it."""
    port = free_port()
    settings, database = _settings(tmp_path, port)
    refusing = Credentials("digest", "another")
    outcome = failed_send(settings, database, port, authenticator=refusing, auth_require_tls=False)
    assert outcome.message.startswith(
        f"the SMTP server {REBOUND}:{port} refused the login of 'digest': 535 5.7.8 Authentication credentials invalid"
    ), outcome.message
    assert PASSWORD not in outcome.message and "127.0.0.1" not in outcome.message
    assert answers == ["127.0.0.1"]
