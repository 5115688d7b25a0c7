"""How many sections the list has, as `digest list import` and `digest list export --json` say it: the sections holding
entries (ParsedList.sections_with_entries, as the list page counts them), one rule for both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from tests.list_edits import own_list as own_list  # the fixture

# A list with a section waiting for its first paper (Steering), and a parent heading over text alone (Papers).
WITH_AN_EMPTY_SECTION = (
    "# Awesome X\n\nA list.\n\n## Papers\n\nWhat we read.\n\n### Probing\n\n"
    "+ [Alpha paper](https://arxiv.org/abs/2501.00001) (Jan. 5, 2025)\n\n"
    "### Steering\n\n"
    "### Vision\n\n+ [Beta paper](https://arxiv.org/abs/2502.00002) (Feb. 4, 2025)\n"
)


def test_export_and_import_count_the_sections_holding_entries_alike(
    own_list: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`list export --json` said "sections_with_entries": 3 of this list, counting the empty Steering section, while
    `list import` of the same file said "2 entries in 2 sections". Both now count the sections holding entries."""
    settings, _database = own_list(WITH_AN_EMPTY_SECTION)
    data = str(settings.data_dir)
    exported = tmp_path / "exported.md"
    capsys.readouterr()
    assert main(["--data-dir", data, "list", "export", "-o", str(exported), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert exported.read_text(encoding="utf-8") == WITH_AN_EMPTY_SECTION
    assert summary["sections_with_entries"] == 2, summary
    assert main(["--data-dir", data, "list", "export", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sections_with_entries"] == 2

    assert main(["--data-dir", data, "list", "import", str(exported), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sections_total"] == 2
    assert main(["--data-dir", data, "list", "import", str(exported)]) == 0
    assert capsys.readouterr().out == f"{exported}: unchanged (2 entries in 2 sections)\n"
