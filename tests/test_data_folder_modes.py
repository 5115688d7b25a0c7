"""Who may read and write a data folder's files: the database and the readers' addresses are their owner's alone, or
their group's in a folder a team shares (also once shared later), and a folder every user may write is closed."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from digest.cli import main
from tests.conftest import make_settings
from tests.data_folders import run


def test_the_readers_addresses_on_disk_are_their_owners_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """digest.sqlite3 (which holds every reader's address the weekly email went to) was created 0644 in a 0755
    folder, its -wal and -shm too: every local user of the machine could read the readers' addresses. Expected: a new
    data folder is its owner's alone (0700) and the database and its -wal, -shm are 0600; a database restored
    readable by others is made owner-only at start, with one line saying so."""
    from digest.service.wiring import open_service_database
    from digest.storage.state import WeeklyDigest

    def mode(path: Path) -> int:
        return path.stat().st_mode & 0o777

    previous = os.umask(0o022)
    try:
        data = tmp_path / "data"
        settings = make_settings(data)
        database = open_service_database(settings)
        try:
            with database.transaction() as session:
                session.add(WeeklyDigest(week="2026-W48", edition="readers", status="sent", reached_count=1))
            files = {path.name: mode(path) for path in data.iterdir() if path.name.startswith("digest.sqlite3")}
        finally:
            database.dispose()
        assert mode(data) == 0o700
        assert files == {"digest.sqlite3": 0o600, "digest.sqlite3-wal": 0o600, "digest.sqlite3-shm": 0o600}

        (data / "digest.sqlite3").chmod(0o644)  # a backup restored by hand
        caplog.clear()
        open_service_database(settings).dispose()
    finally:
        os.umask(previous)
    assert mode(data / "digest.sqlite3") == 0o600
    notices = [record.getMessage() for record in caplog.records if "owner-only" in record.getMessage()]
    assert len(notices) == 1 and notices[0].startswith(f"{data}: digest.sqlite3 (mode 0644, now 0600)"), notices


@pytest.mark.parametrize("shared", [False, True], ids=["private-folder", "group-folder"])
def test_a_database_kept_read_only_stays_read_only_when_made_private(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, shared: bool
) -> None:
    """The privacy fix-up at start set a fixed mode (0600, or 0660 in a group's folder) on a database others could
    read, so one its owner had made read-only (0444: a copy kept as it stands) became writable without a word about
    that. Now others lose their access and the owner's own bits stay: 0444 becomes 0400 (0440 in a group's folder),
    and the log line gives both modes."""
    from digest.service.wiring import open_service_database

    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o2770 if shared else 0o700)
    settings = make_settings(data)
    open_service_database(settings).dispose()
    database = data / "digest.sqlite3"
    database.chmod(0o444)
    caplog.clear()
    open_service_database(settings).dispose()  # as root here, who may open it for writing whatever its mode
    kept = 0o440 if shared else 0o400
    assert database.stat().st_mode & 0o777 == kept
    assert f"digest.sqlite3 (mode 0444, now {kept:04o})" in caplog.text, caplog.text


def test_a_data_folder_shared_with_a_group_keeps_the_database_open_to_that_group(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A team runs `digest` as different users of one group over a data folder made for it (setgid, group rw: 2770):
    the database was created owner-only (0600) and made so again at every start, so a second maintainer's `digest
    approve` failed with "unable to open database file". Now a group-writable data folder gets a database its group
    may write (0660) and keeps it so; users outside the group still get nothing, and a private folder is as before."""
    from digest.service.wiring import open_service_database

    def mode(path: Path) -> int:
        return path.stat().st_mode & 0o777

    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o2770)
    previous = os.umask(0o022)
    try:
        settings = make_settings(data)
        database = open_service_database(settings)
        try:
            with database.reading() as session:
                session.connection()
            files = {path.name: mode(path) for path in data.iterdir() if path.name.startswith("digest.sqlite3")}
        finally:
            database.dispose()
        assert files == {"digest.sqlite3": 0o660, "digest.sqlite3-wal": 0o660, "digest.sqlite3-shm": 0o660}
        caplog.clear()
        open_service_database(settings).dispose()  # the next start leaves the group's access alone, silently
        assert mode(data / "digest.sqlite3") == 0o660 and "digest.sqlite3" not in caplog.text

        (data / "digest.sqlite3").chmod(0o664)  # a backup restored readable by every user
        open_service_database(settings).dispose()
    finally:
        os.umask(previous)
    assert mode(data / "digest.sqlite3") == 0o660 and mode(data) == 0o770
    notices = [record.getMessage() for record in caplog.records if "digest.sqlite3 (mode 0664" in record.getMessage()]
    assert len(notices) == 1 and "now 0660" in notices[0], notices


def test_the_lock_files_of_a_data_folder_shared_with_a_group_are_open_to_that_group(tmp_path: Path) -> None:
    """In a data folder a team shares (setgid, group rw), the lock files were created 0644 by whoever came first: a
    second maintainer's `digest approve` then could not open `.list.md.lock` to write the list, and their `digest
    run` was refused with "cannot write the data folder" (service.lock). Now in a group-writable folder each lock
    file is one its group may open; a private folder's stay as they were."""
    from digest.storage.datalock import lock_data_folder
    from tests.factories import insert_candidate, real_papers

    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o2770)
    previous = os.umask(0o022)
    try:
        settings = make_settings(data)
        lock_data_folder(data).release()
        from digest.config.secretstore import ensure_secrets
        from digest.service.wiring import open_service_database

        ensure_secrets(settings)  # generated under .secrets.json.lock

        database = open_service_database(settings)
        insert_candidate(database, real_papers()[0])
        database.dispose()
        assert run(data, "approve", str(real_papers()[0]["arxiv_id"])) == 0
    finally:
        os.umask(previous)
    locks = {path.name: path.stat().st_mode & 0o777 for path in data.iterdir() if path.name.endswith(".lock")}
    assert set(locks) >= {"service.lock", ".list.md.lock", ".secrets.json.lock"}, locks
    assert all(mode & 0o060 == 0o060 and not mode & 0o002 for mode in locks.values()), locks


def test_the_weekly_mail_log_and_the_arxiv_turn_of_a_data_folder_shared_with_a_group_are_open_to_that_group(
    tmp_path: Path,
) -> None:
    """In a data folder a team shares (setgid, group rw): weekly-sent.log was created 0600 by whoever sent first, so
    another member's `digest weekly --send` could neither read that the week went out nor record its own send; and
    arxiv.turn was created 0644, so another member's poll could not share the pause between requests to arXiv. Now
    both are their group's too (the log, which names when readers were mailed, no one else's)."""
    from datetime import UTC, datetime

    from digest.arxiv.fetcher import Fetcher
    from digest.config import ArxivSettings
    from digest.weekly.maillog import record_sent
    from tests.arxiv_server import ArxivServer, FakeClock

    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o2770)

    async def fetch_once() -> None:
        arxiv = ArxivSettings(contact="maintainers@example.org", min_interval_seconds=3.0)
        async with ArxivServer() as server, Fetcher(arxiv, clock=FakeClock(), turn_file=data / "arxiv.turn") as fetch:
            await fetch.fetch(server.url("/api/query?id_list=2504.11695"))

    previous = os.umask(0o022)
    try:
        record_sent(data, "2026-W45", "readers", datetime(2026, 11, 9, 7, tzinfo=UTC), "<w45@example.org>")
        asyncio.run(fetch_once())
    finally:
        os.umask(previous)
    log_mode, turn_mode = ((data / name).stat().st_mode & 0o777 for name in ("weekly-sent.log", "arxiv.turn"))
    assert log_mode == 0o660, oct(log_mode)
    assert turn_mode & 0o060 == 0o060 and not turn_mode & 0o002, oct(turn_mode)


def test_a_used_data_folder_later_shared_with_a_group_opens_its_database_and_secrets_to_that_group(
    tmp_path: Path,
) -> None:
    """The usual way a team comes to share a folder: one maintainer ran the service in it for a while (the database
    and secrets.json owner-only, 0600), then made it the group's (`chgrp team data && chmod 2770 data`) as the README
    says. The next start only ever narrowed modes, so both files stayed 0600 and a second maintainer's `digest
    approve` still failed with "unable to open database file". Now the start of their owner opens them to the group
    as a new shared folder's are (database 0660, secrets 0640), and still to no one else."""
    from digest.config.secretstore import ensure_secrets
    from digest.service.wiring import open_service_database

    data = tmp_path / "data"
    settings = make_settings(data)
    open_service_database(settings).dispose()
    ensure_secrets(settings)
    assert {(data / name).stat().st_mode & 0o777 for name in ("digest.sqlite3", "secrets.json")} == {0o600}

    data.chmod(0o2770)  # made the team's
    open_service_database(settings).dispose()
    ensure_secrets(settings)
    modes = {name: (data / name).stat().st_mode & 0o777 for name in ("digest.sqlite3", "secrets.json")}
    assert modes == {"digest.sqlite3": 0o660, "secrets.json": 0o640}, {k: oct(v) for k, v in modes.items()}


def test_a_used_data_folder_later_shared_with_a_group_opens_its_lock_files_and_arxiv_turn_to_that_group(
    tmp_path: Path,
) -> None:
    """One maintainer used the folder alone (service.lock, .secrets.json.lock and arxiv.turn 0644), then made it the
    team's (`chmod 2770`). Another member's process could not open arxiv.turn, so it kept its own 3-second spacing
    and a service and a command of different users asked arXiv within 3 s of each other. Now the owner's next start
    opens them to the group (0664), as new ones in a shared folder are, and still to no one else for writing."""
    from digest.arxiv.fetcher import Fetcher
    from digest.config import ArxivSettings
    from digest.config.secretstore import ensure_secrets
    from digest.service.wiring import open_service_database
    from digest.storage.datalock import lock_data_folder
    from tests.arxiv_server import ArxivServer, FakeClock

    data = tmp_path / "data"
    settings = make_settings(data)

    async def fetch_once() -> None:
        arxiv = ArxivSettings(contact="maintainers@example.org", min_interval_seconds=3.0)
        async with ArxivServer() as server, Fetcher(arxiv, clock=FakeClock(), turn_file=data / "arxiv.turn") as fetch:
            await fetch.fetch(server.url("/api/query?id_list=2504.11695"))

    names = ("service.lock", ".secrets.json.lock", "arxiv.turn")
    previous = os.umask(0o022)
    try:
        open_service_database(settings).dispose()
        ensure_secrets(settings)
        lock_data_folder(data).release()
        asyncio.run(fetch_once())
        assert {(data / name).stat().st_mode & 0o777 for name in names} == {0o644}

        data.chmod(0o2770)  # made the team's
        open_service_database(settings).dispose()  # the owner's next start
        ensure_secrets(settings)
    finally:
        os.umask(previous)
    modes = {name: oct((data / name).stat().st_mode & 0o777) for name in names}
    assert modes == dict.fromkeys(names, oct(0o664)), modes


@pytest.mark.parametrize("before", [0o777, 0o1777, 0o703], ids=["chmod-777", "sticky-like-tmp", "others-write-only"])
def test_a_data_folder_every_user_may_write_is_closed_to_them_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], before: int
) -> None:
    """A data folder made writable by everyone (`chmod 777` to get past a permission error, a folder made like /tmp)
    was used without a word: any user of the machine could replace secrets.json (the key that signs approval links
    and sessions) or the database with their own. At start its write access for others is taken away (its owner's and
    group's bits kept), and one line says so, by a command that writes (one that only reads warns and leaves it:
    test_reading_commands_change_nothing)."""
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "candidates"]) == 0  # a data folder in use
    data.chmod(before)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert main(["--data-dir", str(data), "list", "import", str(data / "list.md")]) == 0
        assert main(["--data-dir", str(data), "list", "import", str(data / "list.md")]) == 0
    after = data.stat().st_mode & 0o7777
    assert after == before & ~0o002, oct(after)
    notices = [record.getMessage() for record in caplog.records if "every user" in record.getMessage()]
    assert len(notices) == 1, notices
    assert str(data) in notices[0] and f"mode {before:04o}, now {after:04o}" in notices[0], notices
    capsys.readouterr()
