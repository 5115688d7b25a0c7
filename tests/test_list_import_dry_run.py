"""`digest list import --dry-run` writes nothing: not in a data folder it can only read (it tries the import in a copy
of the database, kept in a temporary file rather than in memory), nor in a new one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from itertools import cycle, islice
from pathlib import Path

import pytest
from sqlalchemy import insert

from digest.cli import main
from digest.resources import seed_list_path
from digest.storage.db import open_database
from digest.storage.models import Candidate
from digest.titles import title_key
from digest.web.pages import load_list
from tests.conftest import make_settings, mounted_tmpfs
from tests.disk import read_only_view
from tests.factories import SEEN_AT, real_papers
from tests.list_edits import seed_without_entries, seeded


def add_candidates(data: Path, count: int) -> int:
    """`count` pending candidates, real papers' records under made-up arXiv IDs, in one transaction; the size of the
    database file afterwards."""
    rows = [
        {
            "arxiv_id": f"2611.{number:05d}",
            "title": paper["title"],
            "title_key": title_key(paper["title"]),
            "authors": paper.get("authors") or [],
            "abstract": paper["abstract"],
            "categories": paper.get("categories") or ["cs.CV"],
            "first_seen_at": SEEN_AT,
            "updated_at": SEEN_AT,
        }
        for number, paper in enumerate(islice(cycle(real_papers()), count))
    ]
    database = open_database(make_settings(data).database_url)
    try:
        with database.transaction() as session:
            session.execute(insert(Candidate), rows)
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        database.dispose()
    return (data / "digest.sqlite3").stat().st_size


# The command run by its entry point in a fresh interpreter, which then writes the most memory it held at once (its
# peak resident set, VmHWM: this program's alone, where getrusage would count the forking test's too) on stderr.
PEAK = """
import sys
from digest.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
with open("/proc/self/status", encoding="ascii") as stream:
    print(next(line.split()[1] for line in stream if line.startswith("VmHWM:")), file=sys.stderr)
sys.exit(status)
"""


def measured(data: Path, *arguments: str, environment: dict[str, str] | None = None) -> tuple[int, str, int]:
    """`digest --data-dir DATA ARGUMENTS` in a process of its own: its exit status, what it printed (both streams)
    and the most memory it held at once, in bytes."""
    variables = {key: value for key, value in os.environ.items() if not key.startswith("DIGEST_")}
    command = [sys.executable, "-c", PEAK, "--data-dir", str(data), *arguments]
    done = subprocess.run(
        command, capture_output=True, text=True, env={**variables, **(environment or {})}, check=False
    )
    *said, peak = done.stderr.splitlines()
    return done.returncode, done.stdout + "".join(f"{line}\n" for line in said), int(peak) * 1024


def test_a_dry_run_on_a_read_only_data_folder_does_not_hold_its_database_in_memory(tmp_path: Path) -> None:
    """The dry run copied the whole database into memory to try the import in (the candidates too): on a read-only
    folder whose database had 40,000 candidates it held some 100 MB more than the list's own work needs, and a
    large database had to fit in memory. The copy is now a temporary file SQLite removes itself; the memory held is
    about what reading the list takes. A temp folder with no room for it is said in one line."""
    data = tmp_path / "data"
    edited = tmp_path / "edited.md"
    edited.write_text(seed_without_entries(2), encoding="utf-8")
    seeded(data)
    size = add_candidates(data, 40_000)
    assert size > 60 * 2**20, size
    with read_only_view(data, tmp_path / "view") as view:
        status, printed, baseline = measured(view, "list", "export", "-o", os.devnull)
        assert status == 0, printed
        status, printed, peak = measured(view, "list", "import", "--dry-run", str(edited))
        assert status == 0, printed
        assert "0 added, 0 moved, 2 removed (dry run: nothing was changed)" in printed, printed
        assert peak - baseline < size / 4, (peak - baseline, size)

        with mounted_tmpfs(tmp_path / "temp", "1m") as temp:
            status, printed, _ = measured(
                view, "list", "import", "--dry-run", str(edited), environment={"TMPDIR": str(temp)}
            )
            assert status == 1, printed
            assert printed.splitlines()[-1] == (
                f"digest: the dry run's copy of the database could not be made in the temp folder {temp}: database or "
                "disk is full; free space there, or set TMPDIR to another folder (nothing was changed)"
            ), printed
            assert list(temp.iterdir()) == []


def everything_in(folder: Path) -> dict[str, bytes | None]:
    """Each path under `folder` (itself included) with its bytes, None for a folder."""
    paths = [folder, *folder.rglob("*")] if folder.exists() else []
    return {str(path.relative_to(folder.parent)): None if path.is_dir() else path.read_bytes() for path in paths}


def test_a_dry_run_on_a_new_data_folder_shows_the_import_and_makes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest list import --dry-run` on a data folder not there yet, or empty, created it with a database seeded with
    the bundled list and wrote list.md, though it said "nothing was changed". It now tries the import in the database
    the folder would be given (the seed list in it, as the import itself does) in a temporary file, shows the same
    report the import then gives, and leaves the folder as it was; on a used folder whose database was lost it shows
    the restore (every entry added), without making the database."""
    edited = tmp_path / "edited.md"
    edited.write_text(seed_without_entries(2), encoding="utf-8")
    missing, empty = tmp_path / "missing" / "data", tmp_path / "empty"
    empty.mkdir()
    for data in (missing, empty):
        before = everything_in(data.parent)
        assert main(["--data-dir", str(data), "list", "import", "--dry-run", str(edited)]) == 0
        shown = capsys.readouterr().out
        assert "would import 70 entries in 12 sections: 0 added, 0 moved, 2 removed (dry run: nothing" in shown, shown
        assert everything_in(data.parent) == before

    assert main(["--data-dir", str(empty), "list", "import", str(edited)]) == 0
    assert capsys.readouterr().out == shown.replace("would import", "imported").replace(
        " (dry run: nothing was changed)", ""
    )
    (empty / "digest.sqlite3").unlink()  # lost; list.md shows the folder was used
    before = everything_in(empty)
    assert main(["--data-dir", str(empty), "list", "import", "--dry-run", str(empty / "list.md")]) == 0
    shown = capsys.readouterr().out
    assert "would import 70 entries in 12 sections: 70 added, 0 moved, 0 removed (dry run" in shown, shown
    assert everything_in(empty) == before


def test_sections_are_counted_as_the_list_page_counts_them(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest list import` said "72 entries in 17 sections" of the bundled list, whose page says "across 12 sections":
    its title, News, Table of Contents, Papers (over its sub-sections) and Contribution hold no papers. The dry run,
    the import and its --json report count the sections that hold entries, as the page does."""
    edited = tmp_path / "edited.md"
    edited.write_text(seed_without_entries(2), encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "list", "import", "--dry-run", str(edited)]) == 0
    assert "would import 70 entries in 12 sections: " in capsys.readouterr().out
    assert main(["--data-dir", str(data_dir), "list", "import", "--json", str(edited)]) == 0
    assert json.loads(capsys.readouterr().out)["sections_total"] == 12
    assert main(["--data-dir", str(data_dir), "list", "import", str(seed_list_path())]) == 0
    assert "imported 72 entries in 12 sections: 2 added" in capsys.readouterr().out
    database = open_database(make_settings(data_dir).database_url)
    try:
        with database.reading() as session:
            assert len(load_list(session, datetime.now(UTC)).sections) == 12  # what the list page shows
    finally:
        database.dispose()
