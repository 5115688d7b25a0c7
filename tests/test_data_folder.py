"""The data folder: only a new one is seeded, a used one without its database is refused untouched (and restored
with `list import`), a shrinking list keeps its previous file, and one service runs per folder."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.cli import main
from digest.service.process import Service
from digest.storage.datalock import DataLockError
from tests.conftest import fill_disk, make_settings, mounted_tmpfs
from tests.killed import run_killed

SECRETS = {"DIGEST_SECRET_KEY": "k" * 40, "DIGEST_ADMIN_TOKEN": "a" * 40, "DIGEST_FEED_TOKEN": "f" * 40}


def run(data: Path, *args: str) -> int:
    return main(["--data-dir", str(data), *args])


def used_folder(tmp_path: Path) -> Path:
    """A data folder in use: seeded, then one entry removed from the list by a maintainer's import."""
    data = tmp_path / "data"
    assert run(data, "candidates") == 0
    return data


@pytest.mark.parametrize("damage", ["missing", "zero-bytes"])
def test_a_used_folder_without_its_database_is_refused_untouched_and_restored_by_import(
    damage: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = used_folder(tmp_path)
    listing = data / "list.md"
    kept = listing.read_bytes()
    database = data / "digest.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    if damage == "zero-bytes":
        database.write_bytes(b"")
    capsys.readouterr()
    before = sorted(path.name for path in data.iterdir())

    assert run(data, "candidates") == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert "list import" in error and str(listing) in error
    assert listing.read_bytes() == kept  # the approved entries are still in the file
    assert sorted(path.name for path in data.iterdir()) == before  # nothing was written
    assert (database.stat().st_size if database.exists() else None) == (0 if damage == "zero-bytes" else None)

    assert run(data, "list", "import", str(listing)) == 0  # the way back the message names
    assert listing.read_bytes() == kept
    assert run(data, "candidates") == 0


def test_a_new_folder_is_seeded(tmp_path: Path) -> None:
    data = tmp_path / "new"
    assert run(data, "candidates") == 0
    assert (data / "list.md").read_text(encoding="utf-8").count("\n") > 10


def test_a_list_with_fewer_entries_keeps_the_previous_file(tmp_path: Path) -> None:
    data = used_folder(tmp_path)
    listing = data / "list.md"
    generations = [listing.read_text(encoding="utf-8")]
    for _ in range(4):  # each import drops one entry
        lines = generations[-1].splitlines(keepends=True)
        first = next(i for i, line in enumerate(lines) if line.startswith("+ "))  # the list's entry marker
        end = first + 1
        while end < len(lines) and lines[end].startswith("  "):  # the entry's continuation lines
            end += 1
        smaller = tmp_path / "smaller.md"
        smaller.write_text("".join(lines[:first] + lines[end:]), encoding="utf-8")
        assert run(data, "list", "import", str(smaller)) == 0
        generations.append(listing.read_text(encoding="utf-8"))
    assert (data / "list.md.1").read_text(encoding="utf-8") == generations[-2]
    assert (data / "list.md.2").read_text(encoding="utf-8") == generations[-3]
    assert (data / "list.md.3").read_text(encoding="utf-8") == generations[-4]
    assert not (data / "list.md.4").exists()


@pytest.mark.asyncio
async def test_a_write_killed_midway_leaves_a_temporary_file_the_next_start_removes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A process killed (kill -9, the OOM killer, a power cut) between writing a whole file aside and renaming it over
    the target left its `.list.md.XXXXXXXX.tmp` in the data folder for good: one more after every such kill, each a
    copy of the list (or of the secrets). The service's start removes its own such leftovers once they are older
    than any write in progress, says so in one line, and leaves every other file alone."""
    data = used_folder(tmp_path)
    run_killed(
        "digest.storage.files:_written_aside",
        "after",
        ["--data-dir", str(data), "list", "export", "-o", str(data / "list.md")],
        tmp_path,
    )
    leftovers = [path for path in data.iterdir() if path.name.startswith(".list.md.") and path.name.endswith(".tmp")]
    assert len(leftovers) == 1, sorted(path.name for path in data.iterdir())
    an_hour_ago = time.time() - 3600
    os.utime(leftovers[0], (an_hour_ago, an_hour_ago))
    in_progress = data / ".list.md.w8k2_q0z.tmp"  # another process's write, just begun
    in_progress.write_bytes(leftovers[0].read_bytes())
    users = [data / "notes.tmp", data / ".list.md.tmp", data / ".vimrc.swp.tmp", data / "list.md.a1b2c3d4.tmp"]
    for path in users:
        path.write_text("mine\n", encoding="utf-8")
        os.utime(path, (an_hour_ago, an_hour_ago))
    service = Service(make_settings(data, environ=SECRETS))
    with caplog.at_level(logging.INFO):
        await service.start(schedule=False, serve_web=False)
    await service.stop()
    assert not leftovers[0].exists()
    assert in_progress.exists() and all(path.read_text(encoding="utf-8") == "mine\n" for path in users)
    lines = [record.getMessage() for record in caplog.records if "leftover" in record.getMessage()]
    assert len(lines) == 1 and leftovers[0].name in lines[0] and str(data) in lines[0], lines


@pytest.mark.asyncio
async def test_a_second_service_on_one_folder_is_refused_in_process(tmp_path: Path) -> None:
    config = (
        '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmin_interval_seconds = 0\n'
        'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n'
    )
    settings = make_settings(tmp_path / "data", config)
    first = Service(settings)
    await first.start(serve_web=False)
    try:
        second = Service(settings)
        with pytest.raises(DataLockError, match=f"pid {os.getpid()}"):
            await second.start(serve_web=False)
        await second.stop()
    finally:
        await first.stop()
    third = Service(settings)  # released on stop
    await third.start(serve_web=False)
    await third.stop()


@pytest.mark.asyncio
async def test_a_second_service_on_one_sqlite_database_from_another_data_folder_is_refused(tmp_path: Path) -> None:
    """A config file naming its SQLite database (`database_url`) run with another --data-dir: each folder's lock let
    both services run on the one database, and both polled, posted to Discord and pushed."""
    config = (
        '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmin_interval_seconds = 0\n'
        'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n'
    )
    settings = make_settings(tmp_path / "data", config)
    first = Service(settings)
    await first.start(serve_web=False)
    try:
        other = make_settings(tmp_path / "other", config, environ={"DIGEST_DATABASE_URL": settings.database_url})
        second = Service(other)
        with pytest.raises(DataLockError, match=f"another digest service \\(pid {os.getpid()}\\) is running on the da"):
            await second.start(serve_web=False)
        await second.stop()
    finally:
        await first.stop()
    third = Service(other)  # released on stop
    await third.start(serve_web=False)
    await third.stop()


@pytest.mark.asyncio
async def test_a_second_digest_run_stops_with_the_first_ones_pid(tmp_path: Path, unused_tcp_port: int) -> None:
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(
        '[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmin_interval_seconds = 0\n'
        'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n'
        f"[web]\nport = {unused_tcp_port}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    env.update(SECRETS)
    command = [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(data)]
    log = tmp_path / "first.log"
    with log.open("wb") as output:
        first = await asyncio.create_subprocess_exec(*command, "run", env=env, stdout=output, stderr=output)
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while "ready" not in log.read_text(encoding="utf-8", errors="replace"):
            assert first.returncode is None, log.read_text(encoding="utf-8")
            assert asyncio.get_running_loop().time() < deadline, "the first service did not start"
            await asyncio.sleep(0.1)
        second = await asyncio.create_subprocess_exec(
            *command, "run", "--port", str(unused_tcp_port + 1), env=env, stderr=asyncio.subprocess.PIPE
        )
        _, error = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 1
        lines = error.decode().strip().splitlines()
        assert len(lines) == 1 and f"pid {first.pid}" in lines[0], error.decode()
        beside = await asyncio.create_subprocess_exec(*command, "candidates", env=env, stdout=asyncio.subprocess.PIPE)
        await asyncio.wait_for(beside.communicate(), timeout=60)
        assert beside.returncode == 0  # the one-shot commands work beside the service
    finally:
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), timeout=30) == 0


def test_a_data_folder_whose_path_holds_a_question_mark_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pasted into the database URL, `list?1/digest.sqlite3` named the file `list` beside the folder, shared by
    `list?1` and `list?2`; such a folder is refused before anything is made."""
    assert run(tmp_path / "list?1", "candidates") == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "holds '?'" in error and "DIGEST_DATABASE_URL" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs (mounting needs root, which these machines and the CI run as; skipped elsewhere)."""
    with mounted_tmpfs(tmp_path / "disk", "2m") as mount_point:
        yield mount_point


def test_a_database_on_a_full_disk_is_said_to_be_on_a_full_disk(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no room for its journal SQLite says "disk I/O error", which reads as failing hardware. A command that
    changes something says the disk is full; one that only reads reads as the database stands, saying so."""
    import shutil

    made = tmp_path / "made"
    assert run(made, "list", "export", "-o", str(tmp_path / "x.md")) == 0
    data = small_disk / "data"
    data.mkdir()
    shutil.copy(made / "digest.sqlite3", data / "digest.sqlite3")
    fill_disk(small_disk)
    capsys.readouterr()
    assert run(data, "reject", "1") == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"the disk holding {data} is full" in error, error
    assert run(data, "candidates") == 0
    warning = capsys.readouterr().err
    assert warning.count("\n") == 1 and f"the disk holding {data} is full" in warning and "free space" in warning


def test_a_new_folder_seeded_from_a_list_of_your_own_says_which(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`seed_list = "mine.md"` on a first start: the log said "imported the bundled list (2 entries)", so the new
    maintainer took it that their setting had been ignored (and the bundled list taken). Now it names the file."""
    import logging

    from digest.service.wiring import open_service_database

    mine = tmp_path / "mine.md"
    mine.write_text(
        "# My list\n\n## Papers\n\n"
        "+ [Attention Is All You Need](https://arxiv.org/abs/1706.03762) (June. 12, 2017)\n\n"
        "+ [BERT](https://arxiv.org/abs/1810.04805) (Oct. 11, 2018)\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path / "data", f'seed_list = "{mine}"\n')
    with caplog.at_level(logging.INFO, logger="digest.service.wiring"):
        open_service_database(settings).dispose()
    assert f"new database: imported the seed list {mine} (2 entries)" in caplog.text, caplog.text
    assert "bundled" not in caplog.text


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
                session.add(
                    WeeklyDigest(week="2026-W48", edition="readers", status="sent", recipients=["r@example.org"])
                )
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
    group's bits kept), and one line says so."""
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "candidates"]) == 0  # a data folder in use
    data.chmod(before)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert main(["--data-dir", str(data), "candidates"]) == 0
        assert main(["--data-dir", str(data), "candidates"]) == 0
    after = data.stat().st_mode & 0o7777
    assert after == before & ~0o002, oct(after)
    notices = [record.getMessage() for record in caplog.records if "every user" in record.getMessage()]
    assert len(notices) == 1, notices
    assert str(data) in notices[0] and f"mode {before:04o}, now {after:04o}" in notices[0], notices
    capsys.readouterr()
