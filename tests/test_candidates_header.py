"""`digest candidates` names its columns: a header line over the rows, each name above its column, spawned as a
maintainer runs it on a real SQLite data folder."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_runs import as_cron
from tests.factories import real_papers, with_candidates
from tests.readme_text import readme_text


def test_the_rows_of_candidates_stand_under_a_header_naming_their_columns(tmp_path: Path) -> None:
    """The rows ("    1  pending  0.90  2405.12345   [Sparse Autoencoder] Title") came with no header, and a
    maintainer could not tell the number from the score, nor which number `digest approve` takes. One header line
    now names each column above it (as the README's example shows it); the empty queue keeps its one line, and
    `--json` its list."""
    data = tmp_path / "data"
    papers = real_papers()[:2]
    with_candidates(data, papers)
    options = ["--data-dir", str(data)]
    shown = as_cron(tmp_path, *options, "candidates")
    assert shown.returncode == 0, shown.stderr
    header, *rows = shown.stdout.splitlines()
    assert header.split() == ["ID", "STATUS", "SCORE", "ARXIV", "ID", "[SECTION]", "TITLE"], shown.stdout
    assert len(rows) == 2, shown.stdout
    for row, paper in zip(rows, papers, strict=True):
        number = row.split()[0]
        assert header.index("ID") + len("ID") == row.index(number) + len(number), shown.stdout  # right-aligned
        assert header.index("STATUS") == row.index("pending"), shown.stdout
        assert header.index("SCORE") == row.index("0.90"), shown.stdout
        assert header.index("ARXIV ID") == row.index(paper["arxiv_id"]), shown.stdout
        assert header.index("[SECTION]") == row.index("[Sparse Autoencoder]"), shown.stdout
    assert f"\n{header}\n" in readme_text()  # its example output, as the command prints it
    listed = as_cron(tmp_path, *options, "candidates", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [row["arxiv_id"] for row in json.loads(listed.stdout)] == [paper["arxiv_id"] for paper in papers]
    empty = as_cron(tmp_path, *options, "candidates", "--status", "rejected")
    assert (empty.returncode, empty.stdout) == (0, "no candidates with status rejected\n"), empty.stderr
