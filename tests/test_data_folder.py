"""The data folder: only a new one is seeded, a used one without its database is refused untouched (and restored
with `list import`), a shrinking list keeps its previous file, and a full disk or an odd path is said so in one line.

One service per folder is in test_data_folder_services.py; who may read and write its files in
test_data_folder_modes.py."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.awesome.parse import parse_list
from digest.service.process import Service
from tests.conftest import fill_disk, make_settings, mounted_tmpfs
from tests.data_folders import SECRETS, run
from tests.killed import run_killed


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


def test_an_import_taking_out_one_entry_of_a_paper_listed_twice_keeps_the_previous_file(tmp_path: Path) -> None:
    """An entry fewer, and every paper still listed (one of a paper's two entries taken out): the import knows the
    entries list.md had from the database it rendered them from, and keeps the previous file all the same."""
    data = used_folder(tmp_path)
    listing = data / "list.md"
    before = listing.read_text(encoding="utf-8")
    parsed = parse_list(before)
    keys = [entry.key for section in parsed.sections for entry in section.entries]
    section, entry = next(
        (section, entry)
        for section in reversed(parsed.sections)
        for entry in reversed(section.entries)
        if keys.count(entry.key) > 1
    )
    section.entries.remove(entry)  # the paper's other entry stays
    fewer = tmp_path / "fewer.md"
    fewer.write_text(parsed.joined(), encoding="utf-8")
    assert run(data, "list", "import", str(fewer)) == 0
    assert listing.read_text(encoding="utf-8") == parsed.joined()
    assert (data / "list.md.1").read_text(encoding="utf-8") == before


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
