"""The weekly email after the database is restored from an older backup (from QA): readers are not sent again the
editions they already have."""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from digest.service.wiring import open_service_database
from digest.weekly.issue import IsoWeek
from digest.weekly.store import run_weekly_job
from tests.conftest import fill_disk, make_settings, mounted_tmpfs
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_mail_delivery import READER, config
from tests.weekly_restores import send_weeks_with_backup, sent_weeks, weekly_job_at

MONDAY = datetime(2026, 11, 9, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin: 2026-W45 is the last complete week


def test_a_restored_backup_does_not_send_readers_the_weeks_they_already_have(tmp_path: Path) -> None:
    """The operator backed up digest.sqlite3 after the W45 digest went out; the service then sent W46, W47 and W48.
    Restoring that backup (a bad migration, a broken disk) lost the record of those three sends, and the next
    Monday's job took them for weeks it had missed while down: every reader got W46, W47 and W48 a second time along
    with W49. Expected: W49 alone goes out; the three are known as sent (one log line says why) and stay so."""
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = make_settings(tmp_path / "data", config(port, maintainers=()))
        database_file = settings.data_dir / "digest.sqlite3"
        backup = tmp_path / "backup.sqlite3"
        send_weeks_with_backup(settings, MONDAY, 4, backup)  # W45, then W46 to W48
        assert len(inbox.messages) == 4
        shutil.copyfile(backup, database_file)  # the restore
        database = open_service_database(settings)
        try:
            after = run_weekly_job(settings, database, MONDAY + timedelta(weeks=4))
            again = run_weekly_job(settings, database, MONDAY + timedelta(weeks=4, hours=2))
        finally:
            database.dispose()

    assert sent_weeks(inbox) == ["2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    assert sorted((outcome.week, outcome.status) for outcome in after.emails) == [
        ("2026-W46", "already-sent"),
        ("2026-W47", "already-sent"),
        ("2026-W48", "already-sent"),
        ("2026-W49", "sent"),
    ]
    assert all(outcome.status == "already-sent" for outcome in again.emails)
    log_text = (settings.data_dir / "weekly-sent.log").read_text(encoding="utf-8")
    assert "2026-W47\treaders\t" in log_text and READER not in log_text


def test_a_backup_taken_while_a_reader_was_still_owed_the_week_does_not_send_it_to_them_again(tmp_path: Path) -> None:
    """The week went to a@ at once while b@'s server greylisted it (451); the nightly backup was taken then; the retry
    brought it to b@ and weekly-sent.log says the edition was sent. Restoring that backup brought back 'b@ is owed
    it', and as the edition had gone to some readers in the restored copy, the log was not believed: b@ got the week a
    second time. Expected: the log's line stands for every reader; nobody gets it twice."""
    from tests.weekly_mail_delivery import SelectiveInbox

    readers = ("a@example.org", "b@example.org")
    inbox = SelectiveInbox({"b@example.org": "451 4.7.1 Greylisted, please try again later"})
    with smtp_server(inbox) as port:
        settings = make_settings(tmp_path / "data", config(port, recipients=readers, maintainers=()))
        database_file = settings.data_dir / "digest.sqlite3"
        first = weekly_job_at(settings, MONDAY)
        shutil.copyfile(database_file, tmp_path / "backup.sqlite3")  # b@ still owed the week
        inbox.replies.clear()
        retry = weekly_job_at(settings, MONDAY + timedelta(hours=3))
        shutil.copyfile(tmp_path / "backup.sqlite3", database_file)  # the restore
        after = weekly_job_at(settings, MONDAY + timedelta(hours=6))
    assert [o.status for o in first.emails] == ["partly-sent"] and [o.status for o in retry.emails] == ["sent"]
    assert [o.status for o in after.emails] == ["already-sent"]
    delivered = sorted(address for envelope in inbox.envelopes for address in envelope.rcpt_tos)
    assert delivered == sorted(readers)


def test_a_data_folder_from_before_the_mail_log_gets_it_at_start_so_a_later_restore_sends_nothing_twice(
    tmp_path: Path,
) -> None:
    """A data folder upgraded from a release that kept no weekly-sent.log: W45 to W48 went out under that release, the
    backup is from just after W45. The upgraded service starts; then the backup is restored (a bad disk). The log was
    empty at the upgrade, so the restored database's 'W46 to W48 never sent' was believed and readers got the three
    weeks again with W49. Expected: the start writes the log from the database's record, and only W49 goes out."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from digest.service.weekly_job import retry_unsent_weekly

    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = make_settings(tmp_path / "data", config(port, maintainers=()))
        database_file, log_file = settings.data_dir / "digest.sqlite3", settings.data_dir / "weekly-sent.log"
        backup = tmp_path / "backup.sqlite3"
        send_weeks_with_backup(settings, MONDAY, 4, backup)
        log_file.unlink()  # the old release wrote none
        database = open_service_database(settings)
        try:
            retry_unsent_weekly(settings, database, AsyncIOScheduler())  # the upgraded service's start
        finally:
            database.dispose()
        shutil.copyfile(backup, database_file)  # the restore
        after = weekly_job_at(settings, MONDAY + timedelta(weeks=4))

    assert sent_weeks(inbox) == ["2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    assert sorted((outcome.week, outcome.status) for outcome in after.emails) == [
        ("2026-W46", "already-sent"),
        ("2026-W47", "already-sent"),
        ("2026-W48", "already-sent"),
        ("2026-W49", "sent"),
    ]
    assert log_file.stat().st_mode & 0o777 == 0o600
    assert not list(settings.data_dir.glob("weekly-sent.log.*"))  # no draft left behind


def test_a_mail_log_that_is_there_is_never_written_over_from_the_database(tmp_path: Path) -> None:
    """A maintainer deleted W45's line to have it sent again: a start must not put it back from the database."""
    from digest.weekly.maillog import seed

    folder = tmp_path / "data"
    folder.mkdir()
    kept = "2026-W46\treaders\t2026-11-16T07:00:00+00:00\t<b@x>\n"
    (folder / "weekly-sent.log").write_text(kept, encoding="utf-8")
    sends = [("2026-W45", "readers", MONDAY, "<a@x>"), ("2026-W46", "readers", MONDAY, "<b@x>")]
    assert seed(folder, sends) == 0
    assert (folder / "weekly-sent.log").read_text(encoding="utf-8") == kept


def test_a_data_folder_from_before_the_mail_log_sending_from_the_command_line_still_gets_it_whole(
    tmp_path: Path,
) -> None:
    """A data folder upgraded from a release that kept no weekly-sent.log, whose maintainers send the digest from cron
    with `digest weekly --send` (the service's start is what wrote the log from the database). W45 to W47 went out
    under the old release, the backup is from just after W45; the first send after the upgrade, W48, came from the
    command line and started the log with its own line alone. Restored, the database's 'W46 and W47 never sent' was
    believed and readers got both weeks again. Expected: the command line's send writes the log whole first."""
    from digest.cli import main

    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = make_settings(tmp_path / "data", config(port, maintainers=()))
        database_file, log_file = settings.data_dir / "digest.sqlite3", settings.data_dir / "weekly-sent.log"
        backup = tmp_path / "backup.sqlite3"
        send_weeks_with_backup(settings, MONDAY, 3, backup)
        log_file.unlink()  # the old release wrote none
        assert settings.config_path is not None
        command = ["--config", str(settings.config_path), "--data-dir", str(settings.data_dir)]
        assert main([*command, "weekly", "--send", "--week", "2026-W48"]) == 0  # the upgraded release, by cron
        shutil.copyfile(backup, database_file)  # the restore
        after = weekly_job_at(settings, MONDAY + timedelta(weeks=3))

    assert sent_weeks(inbox) == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert sorted((outcome.week, outcome.status) for outcome in after.emails) == [
        ("2026-W46", "already-sent"),
        ("2026-W47", "already-sent"),
        ("2026-W48", "already-sent"),
    ]


def test_the_mail_log_of_a_used_data_folder_later_shared_with_a_group_is_opened_to_that_group_at_start(
    tmp_path: Path,
) -> None:
    """A folder one maintainer used alone (weekly-sent.log 0600), then made the team's (`chmod 2770`): until its owner
    sent again, another member's `digest weekly --send` could neither read that a week went out nor record its own
    send ("sent, but not written to weekly-sent.log"). Now the owner's next start opens the log to the group (0660),
    as a new log in a shared folder is."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from digest.service.weekly_job import retry_unsent_weekly
    from digest.weekly.maillog import record_sent

    settings = make_settings(tmp_path / "data")
    settings.data_dir.mkdir()
    log_file = settings.data_dir / "weekly-sent.log"
    record_sent(settings.data_dir, "2026-W45", "readers", MONDAY, "<w45@example.org>")
    assert log_file.stat().st_mode & 0o777 == 0o600
    settings.data_dir.chmod(0o2770)  # made the team's
    database = open_service_database(settings)
    try:
        retry_unsent_weekly(settings, database, AsyncIOScheduler())  # the owner's next start
    finally:
        database.dispose()
    assert oct(log_file.stat().st_mode & 0o777) == oct(0o660)


def test_two_starts_writing_the_mail_log_at_once_do_not_lose_a_send_recorded_in_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's start and a `digest weekly --send` from cron both write the log from the database when there is
    none. Both used the draft `weekly-sent.log.new`: the second, opening it after the first had made it the log,
    emptied the log and lost the W47 line recorded in between, so a restored backup mailed W47 to readers again."""
    from digest.weekly import maillog

    folder = tmp_path / "data"
    folder.mkdir()
    sends = [("2026-W45", "readers", MONDAY, "<w45@x>"), ("2026-W46", "readers", MONDAY, "<w46@x>")]
    real_open, real_link = os.open, os.link
    second_waiting, first_linked = threading.Event(), threading.Event()

    def gated_open(path: str, flags: int, mode: int = 0o777) -> int:
        if threading.current_thread() is second and not first_linked.is_set():
            second_waiting.set()  # the second start found no log, and is about to write its draft
            first_linked.wait(10)
        return real_open(path, flags, mode)

    def link_then_send(source: str, target: str) -> None:
        real_link(source, target)
        if threading.current_thread() is threading.main_thread() and not first_linked.is_set():
            maillog.record_sent(folder, "2026-W47", "readers", MONDAY, "<w47@x>")  # the cron send, just now
            first_linked.set()
            second.join(10)

    second = threading.Thread(target=maillog.seed, args=(folder, sends))
    monkeypatch.setattr(os, "open", gated_open)
    monkeypatch.setattr(os, "link", link_then_send)
    second.start()
    assert second_waiting.wait(10)
    maillog.seed(folder, sends)
    monkeypatch.undo()

    weeks = [line.split("\t")[0] for line in (folder / "weekly-sent.log").read_text(encoding="utf-8").splitlines()]
    assert weeks == ["2026-W45", "2026-W46", "2026-W47"]
    assert sorted(path.name for path in folder.iterdir()) == ["weekly-sent.log"]


@dataclass
class FillingInbox(Inbox):
    """Takes each message; with `fill` set, the disk holding `folder` fills up as it arrives (another process's log,
    a backup running beside the service)."""

    folder: Path = Path()
    fill: bool = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.fill:
            fill_disk(self.folder)
        return reply


def test_an_edition_sent_as_the_disk_filled_is_not_called_unsent_nor_sent_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server took the week's edition, and the disk was full when the database was to record it: the command said
    "the database could not be written or read: database or disk is full (nothing was changed)" (the service's log:
    "email not sent", with a traceback), and once its claim lapsed an hour later every reader got the week again. The
    send is now written to weekly-sent.log first, and said as it is."""
    from digest.weekly.store import send_week

    week, earlier = IsoWeek.parse("2026-W45"), MONDAY - timedelta(weeks=1)
    with mounted_tmpfs(tmp_path / "disk", "24m") as disk:
        inbox = FillingInbox(folder=disk)
        with smtp_server(inbox) as port:
            settings = make_settings(disk / "data", config(port, maintainers=()))
            database = open_service_database(settings)
            try:
                run_weekly_job(settings, database, earlier)  # the week before went out: the log has a line
            finally:
                database.dispose()
            assert len(inbox.messages) == 1
            inbox.fill = True
            capsys.readouterr()
            argv = ["--config", str(settings.config_path), "--data-dir", str(settings.data_dir)]
            assert main([*argv, "weekly", "--week", str(week), "--send"]) == 1
            said = capsys.readouterr().err.strip().splitlines()
            inbox.fill = False
            (disk / "filler").unlink()
            assert len(inbox.messages) == 2
            database = open_service_database(settings)
            try:
                later = send_week(settings, database, week, datetime.now(UTC) + timedelta(hours=2))
            finally:
                database.dispose()
    assert len(said) == 1 and "nothing was changed" not in said[0], said
    assert said[0].startswith(f"digest: {week}: readers' edition sent to {READER}, but the database could not"), said
    assert "weekly-sent.log has it: it is not sent again" in said[0], said
    assert later.status == "already-sent" and len(inbox.messages) == 2, later


def test_a_week_a_clock_ahead_found_quiet_is_still_sent_when_it_has_really_ended(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A machine booted with its clock weeks ahead (a flat RTC battery) ran the weekly job for a week that had not
    begun: it had no papers, so it was marked a quiet week, skipped. NTP set the clock right, the week came and went
    with its papers, and its job found it 'skipped as a quiet week': the readers never got it. A week after the one in
    progress that is on record unsent is forgotten once the clock is right again (one line says so), and is built and
    sent when it has ended."""
    from tests.weekly_data import fill_week

    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = make_settings(tmp_path / "data", config(port, maintainers=(), weekly="send_quiet_week = false\n"))
        database = open_service_database(settings)
        try:
            w48_ended = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin: W48 is the last complete
            ahead = run_weekly_job(settings, database, w48_ended)  # the clock three weeks ahead of the real date
            assert [(o.week, o.status) for o in ahead.emails] == [("2026-W48", "quiet-skipped")]
            run_weekly_job(settings, database, MONDAY)  # the clock set right: W45's job
            fill_week(database, settings)  # W48's papers, approved in W48
            after = run_weekly_job(settings, database, w48_ended)
        finally:
            database.dispose()
    assert ("2026-W48", "sent") in [(o.week, o.status) for o in after.emails], after.emails
    said = [record.getMessage() for record in caplog.records if "the clock was ahead" in record.getMessage()]
    assert len(said) == 1 and said[0].startswith("weekly: 2026-W48 readers (quiet)"), said
    subjects = [str(message["Subject"]) for message in inbox.messages]
    assert any("2026-W48" in subject for subject in subjects), subjects
