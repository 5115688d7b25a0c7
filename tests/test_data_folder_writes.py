"""Whether a command may write the data folder: found without leaving anything in it, said in one line that names
what to fix (its mode, or a read-only file system), and no reason to refuse a dry run, which writes nothing."""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.cli import main
from digest.storage.folders import unwritable_data_folder
from tests.conftest import mounted_tmpfs
from tests.folder_watch import names_made_in
from tests.killed import run_killed
from tests.list_edits import seed_without_entries as without_entries
from tests.list_edits import seeded
from tests.other_user import Digest, as_another_user, open_to_all, shared_folder


@pytest.fixture
def folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with shared_folder(monkeypatch) as made:
        yield made


@pytest.fixture
def digest(folder: Path) -> Digest:
    return as_another_user(folder)


def test_the_write_check_leaves_nothing_in_the_data_folder_even_when_killed(data_dir: Path, tmp_path: Path) -> None:
    """Each command that writes made an empty folder `.digest-check-*` in the data folder and removed it, to find out
    whether it could write there: a command killed between the two (kill -9, an OOM kill) left it behind for good, and
    another process listing the folder meanwhile saw it. Now no entry appears in the folder at all for the check, and
    a normal run leaves exactly what was there."""
    listing = seeded(data_dir)
    before = sorted(path.name for path in data_dir.iterdir())
    with names_made_in(data_dir) as made:
        arguments = ["--data-dir", str(data_dir), "list", "import", str(listing)]
        run_killed("digest.service.wiring:check_data_folder", "after", arguments, cwd=tmp_path)
    assert made == [], made
    assert sorted(path.name for path in data_dir.iterdir()) == before
    assert main(["--data-dir", str(data_dir), "list", "import", str(listing)]) == 0  # unchanged: nothing to write
    assert sorted(path.name for path in data_dir.iterdir()) == before


def test_a_dry_run_of_list_import_works_on_a_data_folder_this_user_cannot_write(folder: Path, digest: Digest) -> None:
    """`digest list import --dry-run` on a data folder kept read-only (mode 0555) was refused as a command that writes
    ("cannot write it: Permission denied ..."), exit 2, though it changes nothing. Now it reads the database as it
    stands, imports into a copy in memory and prints what the import would do; the import itself is still refused."""
    data = folder / "data"
    seeded(data)
    edited = folder / "edited.md"
    edited.write_text(without_entries(2), encoding="utf-8")
    open_to_all(data)
    data.chmod(0o555)
    before = {path: path.read_bytes() for path in data.rglob("*") if path.is_file()}

    done = digest("list", "import", "--dry-run", str(edited), data=data)
    assert done.returncode == 0, done.stderr
    assert "would import 70 entries" in done.stdout and "0 added, 0 moved, 2 removed" in done.stdout, done.stdout
    assert done.stdout.count("\n  - ") == 2 and "(dry run: nothing was changed)" in done.stdout, done.stdout
    assert done.stderr.count("\n") == 1 and "reading the database read-only" in done.stderr, done.stderr

    done = digest("list", "import", str(edited), data=data)
    assert done.returncode == 2 and "this user cannot write it: Permission denied (mode 0555" in done.stderr
    assert {path: path.read_bytes() for path in data.rglob("*") if path.is_file()} == before


def test_a_data_folder_on_a_read_only_file_system_is_said_to_be_so() -> None:
    """A data folder on a read-only mount was refused with "Permission denied"-style advice to let the user write it,
    which no mode can do there: now the line says it is on a read-only file system, and to remount it."""
    line = unwritable_data_folder(Path("/mnt/backup/data"), OSError(errno.EROFS, "Read-only file system"))
    assert line == (
        "the data folder /mnt/backup/data cannot be used: it is on a read-only file system; remount it read-write, or "
        "give --data-dir (or DIGEST_DATA_DIR) another folder; commands that only read still work"
    )
    refused = unwritable_data_folder(Path("/nowhere/data"), OSError(errno.EACCES, "Permission denied"))
    assert refused == (
        "the data folder /nowhere/data cannot be used: this user cannot write it: Permission denied; let the user "
        "digest runs as read and write it, or give --data-dir (or DIGEST_DATA_DIR) another folder; commands that only "
        "read still work"
    )


def test_a_read_only_mount_refuses_writing_commands_in_its_words_and_dry_runs_still_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same through the command line on a real read-only mount (root: no mode stops it, the file system does)."""
    with mounted_tmpfs(tmp_path / "mount", "16m") as mount:
        data = mount / "data"
        listing = seeded(data)
        edited = tmp_path / "edited.md"
        edited.write_text(without_entries(1), encoding="utf-8")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        capsys.readouterr()

        assert main(["--data-dir", str(data), "list", "import", str(listing)]) == 2
        error = capsys.readouterr().err
        assert error == (
            f"digest: configuration: the data folder {data} cannot be used: it is on a read-only file system; remount "
            "it read-write, or give --data-dir (or DIGEST_DATA_DIR) another folder; commands that only read still "
            "work\n"
        )
        assert main(["--data-dir", str(data), "list", "import", "--dry-run", str(edited)]) == 0
        assert "0 added, 0 moved, 1 removed (dry run: nothing was changed)" in capsys.readouterr().out


def test_config_check_says_why_the_data_folder_cannot_be_written_as_the_commands_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest config check` asked os.access first and said "is not writable by this user" of a data folder on a
    read-only mount, which no user or mode can fix, while `list import` said it is on a read-only file system. It now
    tries the write as the commands do and says it in their words (a folder to be made there, of its parent)."""
    with mounted_tmpfs(tmp_path / "mount", "16m") as mount:
        data = mount / "data"
        listing = seeded(data)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        capsys.readouterr()

        assert main(["--data-dir", str(data), "list", "import", str(listing)]) == 2
        said = capsys.readouterr().err.removeprefix(f"digest: configuration: the data folder {data} ")
        assert main(["--data-dir", str(data), "config", "check"]) == 1
        problems = [line for line in capsys.readouterr().out.splitlines() if line.startswith("problem: ")]
        assert problems == [f"problem: --data-dir {data} {said.strip()}"], problems
        assert "it is on a read-only file system; remount it read-write" in said, said

        assert main(["--data-dir", str(mount / "new" / "data"), "config", "check"]) == 1
        problems = [line for line in capsys.readouterr().out.splitlines() if line.startswith("problem: ")]
        assert problems == [
            f"problem: --data-dir {mount / 'new' / 'data'} cannot be created: {mount} is on a read-only file system; "
            "remount it read-write"
        ], problems


def test_config_check_says_a_data_folder_kept_read_only_as_the_commands_do(folder: Path, digest: Digest) -> None:
    """The same for a data folder whose mode keeps this user out (0555): its mode and owner, and what to fix."""
    data = folder / "data"
    listing = seeded(data)
    open_to_all(data)
    data.chmod(0o555)
    refused = digest("list", "import", str(listing), data=data)
    assert refused.returncode == 2 and "this user cannot write it: Permission denied (mode 0555" in refused.stderr
    said = refused.stderr.removeprefix(f"digest: configuration: the data folder {data} ").strip()
    checked = digest("config", "check", data=data)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    problems = [line for line in checked.stdout.splitlines() if line.startswith("problem: ")]
    assert problems == [f"problem: --data-dir {data} {said}"], problems


def test_a_new_data_folder_on_a_read_only_mount_is_said_to_be_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command that writes, given a new data folder on a read-only mount, said "could not be created: Read-only file
    system", not what a data folder there already is told (what to fix: remount it). Now it says it in those words,
    of the folder the new one was to be made in, and makes nothing."""
    with mounted_tmpfs(tmp_path / "mount", "1m") as mount:
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        data = mount / "new" / "data"
        assert main(["--data-dir", str(data), "candidates"]) == 2
        assert capsys.readouterr().err == (
            f"digest: configuration: the data folder {data} could not be created: {mount} is on a read-only file "
            "system; remount it read-write; give --data-dir (or DIGEST_DATA_DIR) a folder this user can create\n"
        )
        assert list(mount.iterdir()) == []
