"""`digest weekly --send` of an edition sent already names the command that sends it again, and that command works:
`--send --again` forgets the send in the database and in weekly-sent.log and sends the edition once more; it refuses
an edition never sent and one another send holds (aiosmtpd on 127.0.0.1, a real SQLite file)."""

from __future__ import annotations

import logging
import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_data import fill_week
from tests.weekly_email import READERS, row, smtp_config
from tests.weekly_email import settings as settings  # the fixture
from tests.weekly_resend import sent_once

HINT = re.compile(r"; `(digest [^`]+ weekly --week 2026-W48 --edition readers --send --again)` sends it again\n$")


def send_command(config: Path, settings: Settings, *more: str) -> list[str]:
    return ["--config", str(config), "--data-dir", str(settings.data_dir), "weekly", "--week", "2026-W48", *more]


def test_already_sent_names_the_command_that_sends_it_again_and_it_does(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The line said "already sent on ..." and told the maintainer to delete a line of weekly-sent.log by hand and
    the database's row with sqlite3: the printed command now forgets both and sends the edition a second time."""
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.INFO, logger="digest.weekly.store")
    fill_week(database, settings)
    port = free_port()
    config = smtp_config(tmp_path, port)
    send = send_command(config, settings, "--edition", "readers", "--send")
    mail_log = settings.data_dir / "weekly-sent.log"
    inbox = Inbox()
    with smtp_server(inbox, port):
        assert main(send) == 0
        assert capsys.readouterr().out.endswith(f"\n2026-W48: sent to {READERS}\n")
        first = row(database)
        assert first is not None and first.sent_at is not None
        assert main(send) == 0
        said = capsys.readouterr().out.splitlines(keepends=True)[-1]  # after "wrote ...md"
        assert said.startswith(f"2026-W48: already sent on {first.sent_at:%Y-%m-%d %H:%M} UTC; "), said
        hint = HINT.search(said)
        assert hint is not None, said
        printed = shlex.split(hint.group(1))
        assert printed[:5] == ["digest", "--config", str(config), "--data-dir", str(settings.data_dir)]
        assert len(inbox.messages) == 1

        caplog.clear()
        assert main(printed[1:]) == 0
        out = capsys.readouterr().out
        assert out.endswith(
            f"\n2026-W48: sent to {READERS} (again: first sent on {first.sent_at:%Y-%m-%d %H:%M} UTC)\n"
        )
        assert len(inbox.messages) == 2
        again = row(database)
        assert again is not None and again.status == "sent" and again.reached_count == 1
        resent = [r.getMessage() for r in caplog.records if "again" in r.getMessage()]
        assert resent == [
            f"weekly 2026-W48 readers: sending it again by hand (first sent on {first.sent_at:%Y-%m-%d %H:%M} UTC)"
        ]
        assert [r.levelname for r in caplog.records if "again" in r.getMessage()] == ["INFO"]

        # Sent exactly once again: a plain --send says so, and sends nothing.
        assert main(send) == 0
        said = capsys.readouterr().out.splitlines(keepends=True)[-1]
        assert said.startswith("2026-W48: already sent on "), said
        assert HINT.search(said) is not None, said
    assert len(inbox.messages) == 2
    assert inbox.messages[1]["Message-ID"] == inbox.messages[0]["Message-ID"]  # the same edition, as the README says
    fields = [line.split("\t")[:3] for line in mail_log.read_text(encoding="utf-8").splitlines()]
    assert [field[:2] for field in fields] == [["2026-W48", "readers"]] * 3
    assert fields[1][2] == "forgotten" and fields[2][2] != "forgotten"  # appended: the first line is still there


def test_again_refuses_an_edition_never_sent_and_says_plain_send_sends_it(
    database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill_week(database, settings)
    port = free_port()
    config = smtp_config(tmp_path, port)
    inbox = Inbox()
    with smtp_server(inbox, port):
        assert main(send_command(config, settings, "--edition", "readers", "--send", "--again")) == 1
    said = capsys.readouterr().err.splitlines()
    plain = shlex.join(send_command(config.absolute(), settings, "--edition", "readers", "--send"))
    assert said == [f"digest: 2026-W48: never sent, so not sent again: `digest {plain}` sends it"]
    assert inbox.messages == []
    found = row(database)
    assert found is None or found.status != "sent"


def test_again_refuses_an_edition_another_send_is_sending_now(
    database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sent_once(database, settings, tmp_path) as (config, inbox):
        # Another process's `--send --again` of it holds the claim (taken a moment ago: it has not lapsed).
        with database.transaction() as session:
            sending = session.get(WeeklyDigest, ("2026-W48", "readers"))
            assert sending is not None
            sending.status, sending.last_attempt_at = "sending", datetime.now(UTC)
        capsys.readouterr()
        assert main(send_command(config, settings, "--edition", "readers", "--send", "--again")) == 1
    said = capsys.readouterr().err.splitlines()
    assert len(said) == 1, said
    assert said[0].startswith("digest: 2026-W48: email not sent: a process is sending it (last heard from at "), said
    assert len(inbox.messages) == 1
    mail_log = (settings.data_dir / "weekly-sent.log").read_text(encoding="utf-8")
    assert "forgotten" not in mail_log  # the log still has it sent: nothing was forgotten


def test_again_is_a_usage_error_without_send(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = smtp_config(tmp_path, free_port())
    assert main(send_command(config, settings, "--again")) == 2
    assert capsys.readouterr().err == "digest: --again sends an edition sent already once more: give it with --send\n"


def test_the_weekly_job_finding_an_edition_sent_by_hand_says_how_to_send_it_again_once(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from digest.config.loading import load_settings
    from digest.weekly.store import run_weekly_job

    with sent_once(database, settings, tmp_path) as (config, inbox):
        service = load_settings(config, settings.data_dir, environ={}, load_dotenv_file=False)
        caplog.set_level(logging.INFO, logger="digest.weekly.store")
        for _ in range(2):
            run_weekly_job(service, database, datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
    hints = [r.getMessage() for r in caplog.records if "--again" in r.getMessage()]
    command = shlex.join(send_command(config.absolute(), settings, "--edition", "readers", "--send", "--again"))
    assert len(hints) == 1, hints
    assert hints[0].startswith("weekly 2026-W48 readers: already sent on "), hints
    assert hints[0].endswith(f"; `digest {command}` sends it again"), hints
    assert len(inbox.messages) == 1
