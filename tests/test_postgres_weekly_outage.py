"""PostgreSQL going away in the middle of a weekly send: the server took the edition, the database could not record
it, and the next send (by hand or the service's job) once the database is back finds it sent, at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from tests.conftest import make_settings
from tests.postgres_server import PostgresServer, running_postgres
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_mail_delivery import READER, config

WEEK = "2026-W45"


@dataclass
class StoppingInbox(Inbox):
    """Takes each message; with `server` set, that PostgreSQL stops as the first one arrives (a maintenance window,
    a failover) and the reply comes once it has."""

    server: PostgresServer | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.server is not None:
            await asyncio.to_thread(self.server.stop)
            self.server = None
        return reply


def test_an_edition_sent_as_postgresql_stopped_is_found_sent_when_it_is_back_not_busy_for_an_hour(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk of stop 62: PostgreSQL stopped while the week's edition went out. The command said the edition was
    sent and that weekly-sent.log has it, so it is not sent again; yet `digest weekly --send` run again once the
    database was back said "email not sent: a process is sending it ... if that process was killed, the claim lapses
    at <an hour later>: send it again then (readers it reached already may get it twice)", exit 1, and the database
    kept it "sending" for that hour. The log has the send: it is recorded as sent, and said so, at once."""
    inbox = StoppingInbox()
    with running_postgres() as server, server.fresh_database() as url, smtp_server(inbox) as port:
        monkeypatch.setenv("DIGEST_DATABASE_URL", url)
        settings = make_settings(tmp_path / "data", config(port, maintainers=()), environ={"DIGEST_DATABASE_URL": url})
        argv = ["--config", str(settings.config_path), "--data-dir", str(settings.data_dir)]
        send = [*argv, "weekly", "--week", WEEK, "--send"]
        assert main([*argv, "list", "export", "-o", str(tmp_path / "list.md")]) == 0  # the schema made first
        inbox.server = server
        capsys.readouterr()
        first = main(send)
        said_first = capsys.readouterr().err.strip().splitlines()
        server.resume()
        again = main(send)
        said_again = capsys.readouterr()
    assert first == 1 and len(said_first) == 1, said_first
    assert said_first[0].startswith(f"digest: {WEEK}: readers' edition sent to {READER}, but the database could not"), (
        said_first
    )
    assert "weekly-sent.log has it: it is not sent again" in said_first[0], said_first
    assert "a process is sending it" not in said_again.err, said_again.err
    assert again == 0, said_again
    assert f"{WEEK}: readers' edition already sent on " in said_again.out, said_again.out
    assert len(inbox.messages) == 1
