"""A paper whose title draws nothing (a Braille blank, zero-width characters: they pass arXiv's cleaning) on the
command line: it is approved like any other, its list entry reading "Untitled paper, arXiv <id>" as every page does,
and `digest candidates` and `digest history` name it so. Real SQLite, the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.storage.db import Database
from digest.titles import title_key
from tests.factories import insert_candidate, real_papers

BLANK = "\u2800\u200b \u200d"  # no letter or digit in it, nor in its NFKD form
PAPER = real_papers()[0]
SECTION = "Sparse Autoencoder"


def test_a_paper_whose_title_draws_nothing_is_approved_under_a_readable_title(
    settings: Settings, database: Database, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest approve` refused it: "title '\u2800\u200b \u200d' has no letters or digits", and nothing said how to
    list it. Expected: approved, its entry in the list reading "Untitled paper, arXiv <id>", linking the paper."""
    assert title_key(BLANK) == ""
    candidate = insert_candidate(database, PAPER, title=BLANK, title_key=title_key(BLANK), suggested_section=SECTION)
    assert main(["--data-dir", str(data_dir), "approve", str(candidate)]) == 0
    assert f"approved into {SECTION}" in capsys.readouterr().out
    assert main(["--data-dir", str(data_dir), "list", "export"]) == 0
    listed = capsys.readouterr().out
    untitled = f"Untitled paper, arXiv {PAPER['arxiv_id']}"
    assert f"[{untitled}](https://arxiv.org/abs/{PAPER['arxiv_id']})" in listed


def test_candidates_and_history_name_a_paper_whose_title_draws_nothing(
    settings: Settings, database: Database, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest candidates` and `digest history` ended its line in an empty title. Expected: "Untitled paper, arXiv
    <id>", as Discord, the pages and the weekly email name it."""
    candidate = insert_candidate(database, PAPER, title=BLANK, title_key=title_key(BLANK), suggested_section=SECTION)
    untitled = f"Untitled paper, arXiv {PAPER['arxiv_id']}"
    assert main(["--data-dir", str(data_dir), "candidates"]) == 0
    assert capsys.readouterr().out.splitlines()[1].endswith(f"[{SECTION}] {untitled}")  # under the header line
    assert main(["--data-dir", str(data_dir), "reject", str(candidate)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "history"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(f"via cli: {untitled}")
