"""`digest approve` when the disk fills or the process's file size limit is met: one line saying why (the full disk
or the limit, what SQLite calls "disk I/O error" or "database or disk is full" named), nothing decided, and the same
command goes through once there is room."""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

from digest.sizes import shown_size
from tests.conftest import ROOT, fill_disk, mounted_tmpfs
from tests.disk import CONFIG, config_file, folder_with_candidates


def _digest(tmp_path: Path, data: Path, *arguments: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "DISCORD_", "SMTP_"))}
    environment["PYTHONPATH"] = str(ROOT)

    def files_at_most() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [
        sys.executable,
        "-m",
        "digest",
        "--config",
        str(config_file(tmp_path)),
        "--data-dir",
        str(data),
        *arguments,
    ]
    return subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300, preexec_fn=files_at_most
    )


def _decided(tmp_path: Path, data: Path) -> str:
    done = _digest(tmp_path, data, "candidates", "--status", "approved")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_approval_under_a_file_size_limit_names_the_limit_and_goes_through_once_raised(tmp_path: Path) -> None:
    """Under `ulimit -f` (systemd's LimitFSIZE) on a disk with room, `digest approve` said only "cannot open the
    database ...: disk I/O error" or "the database could not be written or read: disk I/O error (nothing was
    changed)", nothing saying what to raise (the poll's lines name the limit since 659c4c6)."""
    base = folder_with_candidates(tmp_path)
    data = tmp_path / "data"
    failures = set()
    for limit in (20_000, 36_000, 44_000):  # met opening the database, then writing the decision
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(base, data)
        done = _digest(tmp_path, data, "approve", "1", limit=limit)
        assert done.returncode == 1 and "Traceback" not in done.stderr, (limit, done.stderr)
        said = done.stderr.strip().splitlines()
        assert len(said) == 1 and said[0].startswith("digest: "), (limit, said)
        failures.add(said[0].split(":")[1])
        assert f"files of at most {shown_size(limit)} (ulimit -f)" in said[0] and "raise the limit" in said[0], said
        assert "2505.16146" not in _decided(tmp_path, data), limit
        again = _digest(tmp_path, data, "approve", "1")
        assert again.returncode == 0 and "approved into" in again.stdout, (limit, again.stderr)
        assert (data / "list.md").read_text(encoding="utf-8").count("2505.16146") > 0
    assert len(failures) == 2, failures  # both lines were met: opening, then writing


def test_an_approval_on_a_disk_that_fills_says_the_disk_is_full_and_goes_through_once_there_is_room(
    tmp_path: Path,
) -> None:
    """A disk with a few kilobytes left (enough to open the database, not to write the decision): `digest approve`
    said "the database could not be written or read: database or disk is full (nothing was changed)", not which disk
    (the scheduled poll's line and a failed opening name it)."""
    base = folder_with_candidates(tmp_path)
    with mounted_tmpfs(tmp_path / "disk", "3m") as disk:
        data = disk / "data"
        shutil.copytree(base, data)
        fill_disk(disk, leave=32 * 1024)
        done = _digest(tmp_path, data, "approve", "1")
        said = done.stderr.strip().splitlines()
        assert done.returncode == 1 and len(said) == 1, said
        assert "database or disk is full (nothing was changed)" in said[0], said
        assert f"the disk holding {data} is full" in said[0], said
        (disk / "filler").unlink()
        again = _digest(tmp_path, data, "approve", "1")
        assert again.returncode == 0 and "approved into" in again.stdout, again.stderr


def test_a_new_data_folder_on_a_disk_too_small_for_its_database_names_that_disk(tmp_path: Path) -> None:
    """A first command on a new data folder with a hundred-odd kilobytes left: making the database failed, SQLite
    gave the room back, and the line said "cannot open the database ...: database or disk is full" alone (the disk
    was named only when under 64 KiB were free after the failure); it names the disk holding the folder, and the same
    command works once there is room."""
    for room in (120, 250):
        with mounted_tmpfs(tmp_path / f"disk-{room}", "3m") as disk:
            fill_disk(disk, leave=room * 1024)
            data = disk / "data"
            done = _digest(tmp_path, data, "candidates")
            said = done.stderr.strip().splitlines()
            assert done.returncode == 1 and len(said) == 1, (room, said)
            assert "database or disk is full" in said[0] and f"the disk holding {data} has no room" in said[0], said
            (disk / "filler").unlink()
            again = _digest(tmp_path, data, "candidates")
            assert again.returncode == 0 and "no candidates" in again.stdout, (room, again.stderr)


def test_a_publish_on_a_disk_that_fills_says_so_without_the_database_libraries_words(tmp_path: Path) -> None:
    """`digest publish` with the data folder's disk nearly full: git could not write its clone, and recording that
    failure in the database failed too, said as "the failure could not be recorded in the database:
    (sqlite3.OperationalError) database or disk is full (Background on this error at: https://sqlalche.me/e/20/e3q8)";
    that line now says which disk in plain words, and the next publish, with room again, pushes the approval."""
    base = folder_with_candidates(tmp_path)
    seed, remote = tmp_path / "seed", tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True)
    shutil.copyfile(base / "list.md", seed / "README.md")
    identity = ["-c", "user.name=maintainer", "-c", "user.email=maintainer@example.org"]
    subprocess.run(["git", "-C", str(seed), "add", "README.md"], check=True)
    subprocess.run(["git", "-C", str(seed), *identity, "commit", "-qm", "The list"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(remote)], check=True)
    config_file(tmp_path).write_text(f'{CONFIG}[publish]\nrepository = "{remote}"\n', encoding="utf-8")
    with mounted_tmpfs(tmp_path / "disk", "4m") as disk:
        data = disk / "data"
        shutil.copytree(base, data)
        assert _digest(tmp_path, data, "approve", "1").returncode == 0
        fill_disk(disk, leave=200 * 1024)
        done = _digest(tmp_path, data, "publish")
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert "sqlalche.me" not in done.stderr and "sqlite3.OperationalError" not in done.stderr, done.stderr
        unrecorded = [line for line in done.stderr.splitlines() if "could not be recorded" in line]
        assert len(unrecorded) == 1 and f"the disk holding {data}" in unrecorded[0], done.stderr
        # One line says what failed and that it is not on record: the unrecorded failure came first, on a line of its
        # own naming no failure, and the failure's own line then counted "1 failed attempt in a row", a count the
        # database never held.
        assert re.search(r"digest\.publish: publish: \S.* \(this failure could not be recorded", unrecorded[0])
        assert "in a row" not in done.stderr, done.stderr
        (disk / "filler").unlink()
        again = _digest(tmp_path, data, "publish")
        assert again.returncode == 0 and "published" in again.stdout, again.stderr
    shown = subprocess.run(["git", "-C", str(remote), "show", "main:README.md"], capture_output=True, text=True)
    assert "2505.16146" in shown.stdout
