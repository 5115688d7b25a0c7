"""`digest list import` of a list whose "Steering" heading was renamed by hand: the import said the rename, but not
that the table of contents still links #-steering, which then reached no heading (`digest list lint` found it, as an
error, only afterwards). The import, and its dry run, now say each link it leaves reaching no heading, with its line
and lint's fix; it still imports the file as written. Through the real command line on a real data folder, the list
exported, edited by hand and imported again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.cli import main
from tests.list_edits import imported, moved, seeded, steering_heading

BROKEN = "  ! line 37: link #-steering reaches no heading now; change it to #activation-steering"
LINTED = " (`digest list lint` counts it an error)"


def test_a_heading_renamed_by_hand_names_the_table_of_contents_link_it_leaves_reaching_no_heading(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = seeded(data_dir)
    assert "  - [Steering](#-steering)\n" in listing.read_text(encoding="utf-8").splitlines(keepends=True)[36]
    edited = tmp_path / "edited.md"
    edited.write_text(steering_heading("Activation Steering")(listing.read_text(encoding="utf-8")), encoding="utf-8")
    capsys.readouterr()

    assert main(["--data-dir", str(data_dir), "list", "import", "--dry-run", str(edited)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [
        "  ~ section Steering renamed to Activation Steering (its 6 entries kept)",
        f"{BROKEN} before importing{LINTED}",
    ], lines

    assert main(["--data-dir", str(data_dir), "list", "import", str(edited)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"{BROKEN} and import the file again{LINTED}", lines
    assert main(["--data-dir", str(data_dir), "list", "export"]) == 0  # imported as the maintainer wrote it
    assert capsys.readouterr().out == edited.read_text(encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "list", "lint"]) == 1
    assert (
        f"{data_dir / 'list.md'}:37: error: link #-steering reaches no heading; change it to #activation-steering"
        in (capsys.readouterr().out)
    )


def test_a_link_already_reaching_no_heading_is_not_said_again_and_json_names_the_new_one(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded(data_dir)
    imported(data_dir, tmp_path, steering_heading("Activation Steering"))
    capsys.readouterr()
    imported(data_dir, tmp_path, moved("2504.13763", "Probing"))  # the link was broken before this edit
    out = capsys.readouterr().out
    assert "1 moved" in out and "  ! " not in out, out

    back = tmp_path / "back.md"
    back.write_text(
        (tmp_path / "list-edited.md").read_text(encoding="utf-8").replace("(#-beyond-or-logit-lens)", "(#logit-lens)"),
        encoding="utf-8",
    )
    assert main(["--data-dir", str(data_dir), "list", "import", "--json", str(back)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(item["line"], item["link"]) for item in report["broken_links"]] == [(34, "#logit-lens")], report


MISMATCH = "title links arXiv 2504.13763 but the arXiv badge links 2501.16496; link the paper's own ID in both"


def test_an_import_names_each_lint_error_the_file_brings_and_none_that_were_there_before(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = seeded(data_dir)  # the bundled list: 8 errors already (a title linking one ID, its badge another, ...)
    badge = "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2504.13763)"
    text = listing.read_text(encoding="utf-8")
    at = text.index(badge)  # the first entry of 2504.13763, its badge now linking another paper's ID
    edited = tmp_path / "edited.md"
    edited.write_text(text[:at] + badge.replace("2504.13763", "2501.16496") + text[at + len(badge) :], "utf-8")
    line = text[:at].count("\n") + 1
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "list", "import", "--dry-run", str(edited)]) == 0
    said = [entry for entry in capsys.readouterr().out.splitlines() if entry.startswith("  ! ")]
    assert len(said) == 1 and said[0].startswith(f"  ! line {line - 1}: new error: {MISMATCH} "), said  # was: none
    assert said[0].endswith(" [badge-mismatch]"), said

    assert main(["--data-dir", str(data_dir), "list", "import", str(edited)]) == 0
    out = capsys.readouterr().out
    assert f"{MISMATCH} " in out and "2411.16198" not in out and "already in" not in out, out  # old ones unsaid
    assert main(["--data-dir", str(data_dir), "list", "lint"]) == 1
    assert f"{data_dir / 'list.md'}:{line - 1}: error: {MISMATCH} " in capsys.readouterr().out
    # Imported again, the error it brought is no longer new: nothing is said of it.
    edited.write_text(edited.read_text(encoding="utf-8").replace("(Apr. 23, 2025)", "(Apr. 24, 2025)", 1), "utf-8")
    assert main(["--data-dir", str(data_dir), "list", "import", str(edited)]) == 0
    out = capsys.readouterr().out
    assert "1 edited" in out and "  ! " not in out, out
