"""`digest weekly --send` of both editions on a database that fails between them (a full disk): the line says the
readers' edition went out and is on record, and prints the command that sends the rest (aiosmtpd on 127.0.0.1)."""

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


def test_the_database_failing_after_the_readers_edition_went_out_says_so_and_how_to_send_the_rest(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The data folder's disk filled up between the two editions (walked on a 12 MiB tmpfs left 64 KiB): the readers'
    edition went out and was recorded, the maintainers' claim could not be written, and the last line said "(nothing
    was changed)", as if the readers had not been sent theirs. Here a trigger fails that one write, the maintainers'
    row, with an error of SQLite's own (malformed JSON) where the disk would have said "database or disk is full"."""
    monkeypatch.chdir(tmp_path)
    fill_week(database, settings)
    port = free_port()
    config = smtp_config(tmp_path, port)
    with config.open("a", encoding="utf-8") as handle:
        handle.write('maintainer_recipients = ["maintainers@example.org"]\n')
    with database.transaction() as session:
        session.execute(text("CREATE TRIGGER no_room BEFORE INSERT ON weekly_digests WHEN NEW.edition = 'maintainers' "
                             "BEGIN SELECT json('no room'); END"))  # fmt: skip
    send = ["--config", str(config), "--data-dir", str(settings.data_dir), "weekly", "--week", "2026-W48", "--send"]
    inbox = Inbox()
    with smtp_server(inbox, port):
        assert main(send) == 1
        out, err = capsys.readouterr()
        assert out.endswith(f"\n2026-W48: readers' edition sent to {READERS}\n"), out
        [line] = err.splitlines()
        assert "nothing was changed" not in line, line
        said = re.search(r"\(the readers' edition printed above went out and is on record; the maintainers' edition "
                         r"was not sent: `digest (.+)` sends it\)", line)  # fmt: skip
        assert said is not None, line
        with database.transaction() as session:
            session.execute(text("DROP TRIGGER no_room"))
        assert main(said.group(1).split()) == 0  # as printed: the rest goes out, the readers' is not sent again
        out = capsys.readouterr().out
    assert "2026-W48: readers' edition already sent on " in out and "maintainers' edition sent to" in out, out
    assert sorted(message["To"] for message in inbox.messages) == ["maintainers@example.org", READERS]
