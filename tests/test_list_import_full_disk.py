"""`digest list import` on a disk that is full, or fills part-way: one line naming the data folder's disk, a non-zero
exit, and the database and list.md exactly as they were (no temporary file left beside them); the same import goes
through once there is room. A real 3 MiB tmpfs, filled by a real file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import digest.awesome.importer
import digest.awesome.store
from digest.cli import main
from tests.conftest import fill_disk, mounted_tmpfs
from tests.list_edits import seed_without_entries, seeded


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk", "3m") as mount:
        yield mount


def _state(data: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, dict[str, bytes]]:
    """What a user sees of the list: the database's rendered list, and every file in the data folder (the database's
    own by name only: SQLite rewrites its pages)."""
    capsys.readouterr()
    assert main(["--data-dir", str(data), "list", "export"]) == 0
    rendered = capsys.readouterr().out
    files = {path.name: b"" if path.name.startswith("digest.sqlite3") else path.read_bytes() for path in data.iterdir()}
    return rendered, files


def _filling_at(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, disk: Path) -> None:
    """The disk fills up just as `owner.name` is called (another process's writes, a log growing)."""
    original: Callable[..., Any] = getattr(owner, name)

    def filling(*args: Any, **kwargs: Any) -> Any:
        fill_disk(disk)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, filling)


def _refused_then_imported(
    data: Path, edited: Path, disk: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import fails in one line naming the full disk and changes nothing; with room again it goes through."""
    before = _state(data, capsys)
    capsys.readouterr()
    assert main(["--data-dir", str(data), "list", "import", str(edited)]) == 1
    said = capsys.readouterr()
    lines = said.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("digest: "), said.err
    assert f"the disk holding {data} " in lines[0] and "nothing was" in lines[0], lines[0]
    assert "Traceback" not in said.err and "imported, but" not in said.err, said.err
    monkeypatch.undo()
    (disk / "filler").unlink()
    assert _state(data, capsys) == before  # the list, the entries and sections; list.md byte for byte; no stray file

    assert main(["--data-dir", str(data), "list", "import", str(edited)]) == 0
    assert "0 added, 0 moved, 2 removed" in capsys.readouterr().out
    rendered, files = _state(data, capsys)
    assert rendered == edited.read_text(encoding="utf-8") and files["list.md"] == edited.read_bytes()


@pytest.mark.parametrize("lists", [1, 4], ids=["no-room-for-list-md", "no-room-for-the-commit"])
def test_an_import_on_a_full_disk_says_so_and_changes_nothing(
    disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, lists: int
) -> None:
    """The disk is full when the import starts writing, after a dry run that showed what it would do (in its copy of
    the database): room for about one list.md (32 KiB: the database opens, the list cannot be written), or for about
    four (list.md and its kept copy are written aside, then the database's log does not fit as it commits: the import
    was committed and list.md not written, "imported, but could not write")."""
    data = disk / "data"
    seeded(data)
    edited = tmp_path / "edited.md"
    edited.write_text(seed_without_entries(2), encoding="utf-8")
    fill_disk(disk, leave=max(32 * 1024, lists * (data / "list.md").stat().st_size))
    capsys.readouterr()
    assert main(["--data-dir", str(data), "list", "import", "--dry-run", str(edited)]) == 0
    assert "0 added, 0 moved, 2 removed (dry run: nothing was changed)" in capsys.readouterr().out
    _refused_then_imported(data, edited, disk, capsys, monkeypatch)


@pytest.mark.parametrize(
    ("owner", "name"),
    [
        (digest.awesome.importer, "_store_meta"),  # within the import's own transaction
        (digest.awesome.store, "write_list_markdown"),  # as list.md is written
    ],
    ids=["in-the-transaction", "writing-list-md"],
)
def test_a_disk_filling_during_an_import_says_so_and_changes_nothing(
    disk: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    name: str,
) -> None:
    """The disk filling after the database took the import and as list.md was written: "imported, but could not
    write .../list.md: No space left on device", the database holding the import and list.md the old list (the next
    decision then took it for a hand edit), no disk named. Now list.md is written aside before the commit and put in
    place after it: the import fails whole, in one line naming the disk, as it does filling within the transaction."""
    data = disk / "data"
    seeded(data)
    edited = tmp_path / "edited.md"
    edited.write_text(seed_without_entries(2), encoding="utf-8")
    _filling_at(monkeypatch, owner, name, disk)
    _refused_then_imported(data, edited, disk, capsys, monkeypatch)
