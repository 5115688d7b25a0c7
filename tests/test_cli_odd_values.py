"""Odd values on the command line that were taken or refused unlike their kind: a candidate's number with space
around it, the number 0, an address to listen on that no machine has. Through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.cli import main
from tests.cli_daily import one_candidate
from tests.factories import real_papers


def statuses(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["--data-dir", str(data_dir), "candidates", "--json"]) == 0
    return [row["status"] for row in json.loads(capsys.readouterr().out)]


def test_a_candidate_number_with_space_around_it_is_taken_as_an_arxiv_id_is(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest approve " 3 "` (a number quoted with its space in a script) was refused as "not a candidate id" while
    `digest approve " 2505.16146 "` worked; approve, pending and reject take it as the number, and history's date
    likewise."""
    candidate_id = one_candidate(data_dir)
    arxiv_id = real_papers()[0]["arxiv_id"]
    for command, number in (
        ("approve", f" {candidate_id} "),
        ("pending", f"\t{candidate_id}\n"),
        ("reject", f"{candidate_id} "),
    ):
        assert main(["--data-dir", str(data_dir), command, number]) == 0, capsys.readouterr().err
        said = capsys.readouterr()
        assert said.err == "" and said.out.startswith(f"candidate {candidate_id} ({arxiv_id}): "), said
    assert main(["--data-dir", str(data_dir), "history", "--since", " 2000-01-01 "]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[3:5] for line in lines] == [[str(candidate_id), arxiv_id]] * 3, lines
    assert statuses(data_dir, capsys) == ["rejected"]
