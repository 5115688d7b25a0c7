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
    assert header.split() == ["ID", "STATUS", "SCORE", "ARXIV", "ID", "FOUND", "[SECTION]", "TITLE"], shown.stdout
    assert len(rows) == 2, shown.stdout
    listed = as_cron(tmp_path, *options, "candidates", "--json")
    assert listed.returncode == 0, listed.stderr
    found = [str(row["first_seen_at"])[:10] for row in json.loads(listed.stdout)]
    for row, paper, found_on in zip(rows, papers, found, strict=True):
        number = row.split()[0]
        assert header.index("ID") + len("ID") == row.index(number) + len(number), shown.stdout  # right-aligned
        assert header.index("STATUS") == row.index("pending"), shown.stdout
        assert header.index("SCORE") == row.index("0.90"), shown.stdout
        assert header.index("ARXIV ID") == row.index(paper["arxiv_id"]), shown.stdout
        assert header.index("FOUND") == row.index(f" {found_on} ") + 1, shown.stdout  # the day the poll found it
        assert header.index("[SECTION]") == row.index("[Sparse Autoencoder]"), shown.stdout
    assert f"\n{header}\n" in readme_text()  # its example output, as the command prints it
    assert [row["arxiv_id"] for row in json.loads(listed.stdout)] == [paper["arxiv_id"] for paper in papers]
    empty = as_cron(tmp_path, *options, "candidates", "--status", "rejected")
    assert (empty.returncode, empty.stdout) == (0, "no candidates with status rejected\n"), empty.stderr


def test_a_decided_candidate_says_who_decided_it_through_which_channel_as_history_does(tmp_path: Path) -> None:
    """`digest candidates --status approved` showed what was approved but not who approved it, nor how: under each
    decided row a line now says it in `digest history`'s words, and `--json` adds `decided_at`, `decided_action`,
    `decided_by` and `decided_channel` (null while pending)."""
    data = tmp_path / "data"
    _, (approved, waiting) = with_candidates(data, real_papers()[:2])
    options = ["--data-dir", str(data)]
    assert as_cron(tmp_path, *options, "approve", str(approved), "--section", "Probing").returncode == 0
    history = as_cron(tmp_path, *options, "history")
    (said,) = history.stdout.splitlines()
    at, by = said[: len("2026-01-01 12:00 UTC")], said.split(" by ", 1)[1].split(": ", 1)[0]
    shown = as_cron(tmp_path, *options, "candidates", "--status", "approved")
    assert shown.returncode == 0, shown.stderr
    _, row, decided = shown.stdout.splitlines()
    assert row.split()[0] == str(approved), shown.stdout
    assert decided == f"       approved into Probing on {at} by {by}", (decided, said)
    listed = {row["id"]: row for row in json.loads(as_cron(tmp_path, *options, "candidates", "--json").stdout)}
    assert listed[approved]["decided_action"] == "approve", listed[approved]
    assert f"{listed[approved]['decided_by']} via {listed[approved]['decided_channel']}" == by, listed[approved]
    assert listed[approved]["decided_channel"] == "cli", listed[approved]
    assert str(listed[approved]["decided_at"])[:16].replace("T", " ") + " UTC" == at, listed[approved]
    assert [listed[waiting][name] for name in ("decided_at", "decided_by", "decided_channel")] == [None] * 3
