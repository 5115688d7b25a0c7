"""`digest list import` of a list whose heading was renamed, all its entries kept: the report listed each entry as
moved ("~ Steering -> Activation Steering: ...", ten lines). It now says the rename once. Through the real command
line on a real data folder, the list exported, edited by hand and imported again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.cli import main
from tests.list_edits import imported, steering_heading


def test_a_heading_renamed_with_all_its_entries_is_reported_as_one_rename(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    imported(data_dir, tmp_path, steering_heading("Activation Steering"))
    lines = capsys.readouterr().out.splitlines()[1:]  # after the export's "wrote ..."
    assert lines[0].endswith(": 0 added, 0 moved, 0 removed, 1 section renamed"), lines
    changes = [line for line in lines[1:] if not line.startswith("  ! ")]  # its table of contents link: its own test
    assert changes == ["  ~ section Steering renamed to Activation Steering (its 6 entries kept)"], lines

    back = tmp_path / "back.md"
    back.write_text(
        (tmp_path / "list-edited.md").read_text(encoding="utf-8").replace("### Activation Steering", "### Steering")
    )
    assert main(["--data-dir", str(data_dir), "list", "import", "--json", str(back)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["renamed"] == [{"from": "Activation Steering", "to": "Steering", "entries": 6}]
    assert report["moved"] == [] and report["added"] == [] and report["removed"] == []


def test_a_heading_renamed_while_one_of_its_entries_moved_elsewhere_lists_each_move(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not the whole section under the new name: no rename is claimed; each entry's move is listed as before."""

    def split(markdown: str) -> str:
        renamed = steering_heading("Activation Steering")(markdown).split("\n")
        at = renamed.index("### Activation Steering")
        first = next(n for n in range(at, len(renamed)) if renamed[n].startswith("+ "))
        entry = renamed.pop(first)
        probing = next(n for n, line in enumerate(renamed) if line.startswith("### ") and "Probing" in line)
        renamed.insert(probing + 1, entry)
        return "\n".join(renamed)

    capsys.readouterr()
    imported(data_dir, tmp_path, split)
    lines = capsys.readouterr().out.splitlines()[1:]  # after the export's "wrote ..."
    assert "section renamed" not in lines[0] and ": 0 added, 6 moved, 0 removed" in lines[0], lines
    assert sum(line.startswith("  ~ Steering -> ") for line in lines) == 6, lines
