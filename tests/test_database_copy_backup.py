"""`digest database copy --from BACKUP` reads a maintainer's backup and leaves it as it found it: its bytes, its mode
and its time, whether the copy is done or refused, and even when the backup is from an older release's schema."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
from alembic import command

from digest.cli import main
from digest.storage.db import alembic_config, create_database_engine
from tests.conftest import fill_disk, mounted_tmpfs
from tests.database_moving import old_deployment, seen

OLDER = "0012"  # an older release's schema (as tests/test_schema_older_reads.py downgrades it)
LAST_WEEK = 1_795_000_000  # the backup's time, in the past, so that a write to it shows


def older_backup(tmp_path: Path) -> Path:
    """A used deployment's database as an older release left it, copied into a backups folder, readable by others."""
    old_file = old_deployment(tmp_path / "old")
    engine = create_database_engine(f"sqlite:///{old_file}")
    try:
        command.downgrade(alembic_config(engine), OLDER)
    finally:
        engine.dispose()
    backup = tmp_path / "backups" / "digest-2026-11-20.sqlite3"
    backup.parent.mkdir()
    backup.write_bytes(old_file.read_bytes())
    backup.chmod(0o644)
    os.utime(backup, (LAST_WEEK, LAST_WEEK))
    return backup


def as_found(backup: Path) -> tuple[str, int, int, list[str]]:
    """What a maintainer would check of a backup: its sha256, mode, time, and what its folder holds."""
    found = backup.stat()
    return (
        hashlib.sha256(backup.read_bytes()).hexdigest(),
        found.st_mode & 0o777,
        found.st_mtime_ns,
        sorted(path.name for path in backup.parent.iterdir()),
    )


def test_a_copy_from_an_older_backup_leaves_it_as_it_was(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The copy made the backup owner-only (0644 to 0600, "readable by other users; owner-only now") and upgraded its
    schema in place, so the older release it was kept for could no longer open it. It now reads a copy of it."""
    backup = older_backup(tmp_path)
    before = as_found(backup)
    old_deployment(tmp_path / "other")  # a database in use: the copy into it is refused
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'other' / 'digest.sqlite3'}")
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "new"), "database", "copy", "--from", str(backup)]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip().count("\n") == 0 and "already holds data" in captured.err, captured.err
    assert as_found(backup) == before and not (tmp_path / "new").exists()

    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert main(["--data-dir", str(tmp_path / "new"), "database", "copy", "--from", str(backup), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["copied"]["decisions"] == 4
    # No warning about the backup: it was neither upgraded ("keep the backup taken before the upgrade") nor made
    # owner-only.
    warned = caplog.text + captured.err
    assert "upgraded" not in warned and "owner-only" not in warned, warned
    assert as_found(backup) == before
    with sqlite3.connect(f"{backup.as_uri()}?mode=ro", uri=True) as still:
        assert still.execute("SELECT version_num FROM alembic_version").fetchall() == [(OLDER,)]
    # The new database holds what the backup did, and its data folder no copy of the backup.
    assert len(json.loads(seen(capsys, tmp_path / "new", "history", "--json"))) == 4
    assert sorted(path.name for path in (tmp_path / "new").iterdir()) == ["database.moved", "service.lock"]


def test_a_copy_with_no_room_for_the_backup_says_so_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The backup is read into a file of the new data folder first: on a full disk the copy says so in one line, and
    neither that file nor the backup is changed or left behind."""
    backup = older_backup(tmp_path)
    before = as_found(backup)
    with mounted_tmpfs(tmp_path / "disk", "2m") as disk:
        data_dir = disk / "new"
        data_dir.mkdir()
        monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{data_dir / 'digest.sqlite3'}")
        fill_disk(disk, leave=64 * 1024)
        capsys.readouterr()
        assert main(["--data-dir", str(data_dir), "database", "copy", "--from", str(backup)]) == 1
        error = capsys.readouterr().err.strip()
        assert error.count("\n") == 0 and f"{backup} could not be copied into {data_dir}" in error, error
        assert "the disk holding" in error and "nothing was copied" in error, error
        assert sorted(path.name for path in data_dir.iterdir()) == ["service.lock"]
    assert as_found(backup) == before


def backup_with_log(tmp_path: Path) -> Path:
    """A backup taken from a running service: the database file and its write-ahead log, whose last write (a decision
    taken out) is only in the log."""
    live = old_deployment(tmp_path / "live")
    backup = tmp_path / "backups" / "digest.sqlite3"
    backup.parent.mkdir()
    writing = sqlite3.connect(live)
    try:
        writing.execute("PRAGMA journal_mode=WAL")
        writing.execute("PRAGMA wal_autocheckpoint=0")
        with writing:
            writing.execute("DELETE FROM decisions WHERE id = (SELECT max(id) FROM decisions)")
        for suffix in ("", "-wal"):  # copied while the service still holds it: the log is not folded in yet
            Path(f"{backup}{suffix}").write_bytes(Path(f"{live}{suffix}").read_bytes())
    finally:
        writing.close()
    for path in backup.parent.iterdir():
        os.utime(path, (LAST_WEEK, LAST_WEEK))
    with sqlite3.connect(f"{backup.as_uri()}?immutable=1", uri=True) as file_alone:
        assert file_alone.execute("SELECT count(*) FROM decisions").fetchone() == (4,)
    return backup


def listing(folder: Path) -> list[tuple[str, int, str, int]]:
    """The folder as a maintainer compares it: each file's name, size, sha256 and time."""
    return sorted(
        (path.name, path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for path in folder.iterdir()
    )


@pytest.mark.parametrize("read_only", ["no", "chmod 555", "read-only mount"])
def test_a_backup_with_its_log_is_copied_whole_and_its_folder_left_as_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], read_only: str
) -> None:
    """Reading a backup whose last writes are in its -wal file made a -shm file beside it (SQLite's read-only
    connection to a database in WAL mode), and a backup folder that could not be written was refused. The copy has
    the log's writes, and the folder is left exactly as found: no file made, none changed."""
    from tests.disk import read_only_view

    backup = backup_with_log(tmp_path)
    before = listing(backup.parent)
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    with contextlib.ExitStack() as stack:
        source = backup
        if read_only == "chmod 555":
            backup.parent.chmod(0o555)
            stack.callback(backup.parent.chmod, 0o755)
        elif read_only == "read-only mount":
            source = stack.enter_context(read_only_view(backup.parent, tmp_path / "snapshot")) / backup.name
        capsys.readouterr()
        assert main(["--data-dir", str(tmp_path / "new"), "database", "copy", "--from", str(source), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["copied"]["decisions"] == 3
        assert listing(backup.parent) == before
    assert listing(backup.parent) == before
    assert len(json.loads(seen(capsys, tmp_path / "new", "history", "--json"))) == 3
    assert sorted(path.name for path in (tmp_path / "new").iterdir()) == ["database.moved", "service.lock"]


def test_another_programs_file_with_its_log_is_refused_by_its_own_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another program's SQLite file whose tables are only in its -wal is checked in its copy: the refusal names the
    file given to --from, not the temporary copy, and nothing is left beside it or in the new data folder."""
    live = tmp_path / "live.db"
    writing = sqlite3.connect(live)
    try:
        writing.execute("PRAGMA journal_mode=WAL")
        writing.execute("PRAGMA wal_autocheckpoint=0")
        with writing:
            writing.execute("CREATE TABLE notes (body TEXT)")
        stranger = tmp_path / "other" / "another-program.db"
        stranger.parent.mkdir()
        for suffix in ("", "-wal"):
            Path(f"{stranger}{suffix}").write_bytes(Path(f"{live}{suffix}").read_bytes())
    finally:
        writing.close()
    before = listing(stranger.parent)
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "new"), "database", "copy", "--from", str(stranger)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and f"{stranger} is not a digest database" in error, error
    assert ".copying-" not in error, error
    assert listing(stranger.parent) == before and not (tmp_path / "new").exists()
