"""`digest weekly --send` of an edition sent already says, in its one line, how to send it again, and that way
works: the week's line in weekly-sent.log and its row in the database both deleted (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from digest.cli import main
from digest.config import Settings
from digest.storage.db import Database
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_data import fill_week
from tests.weekly_email import READERS, smtp_config
from tests.weekly_email import settings as settings  # the fixture


def test_already_sent_says_how_to_send_it_again_and_that_way_sends_it(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The line said "already sent on ..." and stopped: nothing said how to send it again, and the README's way
    (delete the week's line in weekly-sent.log) sent nothing: the database's row still said sent."""
    monkeypatch.chdir(tmp_path)
    fill_week(database, settings)
    port = free_port()
    config = smtp_config(tmp_path, port)
    send = ["--config", str(config), "--data-dir", str(settings.data_dir), "weekly", "--week", "2026-W48"]
    send += ["--edition", "readers", "--send"]
    mail_log = settings.data_dir / "weekly-sent.log"
    inbox = Inbox()
    with smtp_server(inbox, port):
        assert main(send) == 0
        assert capsys.readouterr().out.endswith(f"\n2026-W48: sent to {READERS}\n")
        assert main(send) == 0
        said = capsys.readouterr().out.splitlines(keepends=True)[-1]  # after "wrote ...md"
        assert said.startswith("2026-W48: already sent on "), said
        again = re.search(r"; to send it again, delete its line \(2026-W48 readers\) in (\S+) and its row in the "
                          r"database \((DELETE FROM weekly_digests WHERE week = '2026-W48' AND edition = 'readers')"
                          r"\)\n$", said)  # fmt: skip
        assert again is not None, said
        assert again.group(1) == str(mail_log)

        # The line alone is not enough: the database's row still says sent.
        lines = mail_log.read_text(encoding="utf-8").splitlines(keepends=True)
        mail_log.write_text("".join(line for line in lines if not line.startswith("2026-W48\treaders\t")))
        assert main(send) == 0
        assert "\n2026-W48: already sent on " in capsys.readouterr().out
        assert len(inbox.messages) == 1

        # Both, as the line says: sent again.
        lines = mail_log.read_text(encoding="utf-8").splitlines(keepends=True)
        mail_log.write_text("".join(line for line in lines if not line.startswith("2026-W48\treaders\t")))
        with database.transaction() as session:
            session.execute(text(again.group(2)))
        assert main(send) == 0
        assert capsys.readouterr().out.endswith(f"\n2026-W48: sent to {READERS}\n")
    assert len(inbox.messages) == 2
    assert inbox.messages[1]["Message-ID"] == inbox.messages[0]["Message-ID"]  # the same edition, as the README says
