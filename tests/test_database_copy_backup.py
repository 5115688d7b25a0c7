"""`digest database copy --from BACKUP` reads a maintainer's backup and leaves it as it found it: its bytes, its mode
and its time, whether the copy is done or refused, and even when the backup is from an older release's schema."""

from __future__ import annotations

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
