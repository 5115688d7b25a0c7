"""Dry runs and commands that only read change nothing in the data folder: a dry run on a new folder does not make it,
and a folder every user may write is said to be unsafe, in one line, rather than changed (a command that writes
closes it: test_data_folder_modes)."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from digest.cli import main
from tests.list_edits import seeded

DECISION = {"arxiv_id": "2401.00001", "title": "A paper", "abstract": "About it.", "decision": "reject"}


def commands(tmp_path: Path) -> dict[str, list[str]]:
    decisions, papers = tmp_path / "decisions.jsonl", tmp_path / "papers.jsonl"
    decisions.write_text(json.dumps(DECISION) + "\n", encoding="utf-8")
    papers.write_text(json.dumps({key: DECISION[key] for key in ("arxiv_id", "title", "abstract")}) + "\n")
    return {
        "list-import-dry-run": ["list", "import", "--dry-run", str(tmp_path / "before.md")],
        "decisions-import-dry-run": ["decisions", "import", "--dry-run", str(decisions)],
        "weekly-dry-run": ["weekly", "--dry-run"],
        "candidates": ["candidates"],
        "history": ["history"],
        "list-export": ["list", "export"],
        "decisions-list": ["decisions", "list"],
        "score": ["score", str(papers)],
    }


def contents(data: Path) -> dict[str, bytes]:
    return {str(path.relative_to(data)): path.read_bytes() for path in data.rglob("*") if path.is_file()}


@pytest.mark.parametrize("command", ["decisions-import-dry-run", "weekly-dry-run"])
def test_a_dry_run_on_a_new_data_folder_makes_nothing(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """`digest decisions import --dry-run` and `digest weekly --dry-run` on a data folder not there yet made it, with
    a database seeded with the bundled list and list.md, while saying nothing was changed. They now show what they
    would on the folder the first command would make, and leave no folder behind."""
    arguments = commands(tmp_path)[command]
    assert main(["--data-dir", str(data_dir), *arguments]) == 0, capsys.readouterr().err
    assert not data_dir.exists()
    said = capsys.readouterr().out
    assert "2401.00001" in said if command.startswith("decisions") else "# " in said, said


@pytest.mark.parametrize(
    "command",
    ["list-import-dry-run", "decisions-import-dry-run", "weekly-dry-run", "candidates", "history", "list-export",
     "decisions-list", "score"],
)  # fmt: skip
def test_a_reading_command_warns_of_a_data_folder_every_user_may_write_and_leaves_it(
    data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, command: str
) -> None:
    """A dry run or a command that only reads, on a data folder every user may write (chmod 777), took their write
    access away (chmod o-w) as a command that writes does: a dry run changed the folder it promised to leave as it
    was. It now says in one line that the folder is unsafe and how to close it, and leaves the folder's mode and
    files as they were."""
    seeded(data_dir)
    arguments = commands(tmp_path)[command]
    if command == "score":  # it keeps the model it works out (a cache), as any run before this one left it
        assert main(["--data-dir", str(data_dir), *arguments]) == 0
    data_dir.chmod(0o777)
    before = contents(data_dir)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert main(["--data-dir", str(data_dir), *arguments]) == 0
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o777
    assert contents(data_dir) == before
    notices = [record.getMessage() for record in caplog.records if "every user" in record.getMessage()]
    assert notices == [
        f"{data_dir} can be written by every user of this machine (mode 0777): any of them could replace its database "
        "or secrets.json (the key that signs approval links); a command that only reads leaves it so: run `chmod o-w` "
        "on it, or any command that writes"
    ], notices
