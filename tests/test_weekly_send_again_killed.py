"""`digest weekly --send --again` killed or stopped part-way, or its database restored from a backup afterwards: the
edition is never sent twice unasked, nor left unsendable (aiosmtpd on 127.0.0.1, a real SQLite
file, weekly-sent.log)."""

from __future__ import annotations

import os
import shlex
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from tests.smtp_server import smtp_server
from tests.weekly_data import fill_week
from tests.weekly_email import READERS, SlowInbox, row, smtp_config
from tests.weekly_email import settings as settings  # the fixture
from tests.weekly_resend import readers_send, sent_once


def killed_after_its_claim(database: Database, reached: int) -> None:
    """The row as a `--send --again` killed after it claimed the edition leaves it, its claim lapsed since."""
    with database.transaction() as session:
        found = session.get(WeeklyDigest, ("2026-W48", "readers"))
        assert found is not None
        found.status, found.last_attempt_at = "sending", datetime.now(UTC) - timedelta(hours=2)
        found.reached_count = reached


def last_line(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out.splitlines()[-1]


def test_killed_before_the_log_forgot_it_the_edition_stays_sent_and_again_still_works(
    database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sent_once(database, settings, tmp_path) as (config, inbox):
        killed_after_its_claim(database, reached=1)
        assert main(readers_send(config, settings)) == 0  # the log has it sent: recorded so, not sent
        assert last_line(capsys).startswith("2026-W48: already sent on ")
        assert len(inbox.messages) == 1
        assert main(readers_send(config, settings, "--again")) == 0
        assert last_line(capsys).startswith(f"2026-W48: sent to {READERS} (again: first sent on ")
    assert len(inbox.messages) == 2


def test_killed_after_both_forgot_it_the_edition_is_owed_and_plain_send_sends_it(
    database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sent_once(database, settings, tmp_path) as (config, inbox):
        killed_after_its_claim(database, reached=0)
        mail_log = settings.data_dir / "weekly-sent.log"
        with mail_log.open("a", encoding="utf-8") as log:
            log.write(f"2026-W48\treaders\tforgotten\t{datetime.now(UTC).isoformat()}\n")
        capsys.readouterr()
        assert main(readers_send(config, settings)) == 0
        assert last_line(capsys) == f"2026-W48: sent to {READERS}"
    assert len(inbox.messages) == 2
    sent = row(database)
    assert sent is not None and sent.status == "sent"


def test_a_database_restored_after_a_send_again_does_not_send_it_a_third_time(
    database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sent_once(database, settings, tmp_path) as (config, inbox):
        assert main(readers_send(config, settings, "--again")) == 0
        with database.transaction() as session:  # a backup from before the week was sent, restored
            found = session.get(WeeklyDigest, ("2026-W48", "readers"))
            assert found is not None
            session.delete(found)
        capsys.readouterr()
        assert main(readers_send(config, settings)) == 0
        assert last_line(capsys).startswith("2026-W48: already sent on ")
    assert len(inbox.messages) == 2


def test_ctrl_c_during_a_send_again_names_the_command_for_the_edition_it_did_not_come_to(
    database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stopped after the readers' edition, `--send --again` said "`... --send` sends what is left": that command
    called the maintainers' edition already sent (--again had not come to it), and sent nothing."""
    fill_week(database, settings)
    inbox = SlowInbox(seconds=1)
    with smtp_server(inbox) as port:
        config = smtp_config(tmp_path, port)
        config.write_text(config.read_text() + 'maintainer_recipients = ["maintainers@example.org"]\n')
        both = ["--config", str(config), "--data-dir", str(settings.data_dir), "weekly", "--week", "2026-W48"]
        assert main([*both, "--send"]) == 0
        assert len(inbox.messages) == 2
        inbox.arrived.clear()

        def interrupt() -> None:
            assert inbox.arrived.wait(10)
            os.kill(os.getpid(), signal.SIGINT)

        interrupter = threading.Thread(target=interrupt)
        interrupter.start()
        capsys.readouterr()
        code = main([*both, "--send", "--again"])
        interrupter.join()
        out, err = capsys.readouterr()
        assert code == 130, (out, err)
        assert out.splitlines()[-1].startswith(f"2026-W48: readers' edition sent to {READERS} (again: first sent on ")
        said = err.splitlines()[-1]
        command = shlex.join([*both, "--edition", "maintainers", "--send", "--again"])
        assert said == (
            f"digest: interrupted: 2026-W48: the maintainers' edition was not sent again (`digest {command}` sends it "
            "again)"
        ), err
        assert len(inbox.messages) == 3
        assert main(shlex.split(command)) == 0
        assert (
            capsys.readouterr()
            .out.splitlines()[-1]
            .startswith("2026-W48: maintainers' edition sent to maintainers@example.org (again: first sent on ")
        )
    assert len(inbox.messages) == 4
