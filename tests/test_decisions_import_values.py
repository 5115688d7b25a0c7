"""`digest decisions import` on a line whose arxiv_id or decision is not what it takes: the line said only "decision
must be approve or reject" or "arxiv_id must be an arXiv ID such as ...", not what it held, so an export writing
"APPROVE", true, or the ID as a bare JSON number (2501.01234, which reads 2501.01230 as 2501.0123) left the maintainer
to find the difference by eye. Each line now names what it held; nothing is imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from tests.decision_files import decision_line, write_lines
from tests.factories import real_papers


def test_a_bad_decision_or_arxiv_id_is_named_as_the_file_wrote_it_and_nothing_is_imported(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paper = real_papers()[0]
    path = write_lines(
        tmp_path / "verdicts.jsonl",
        decision_line(paper, "APPROVE"),
        decision_line(paper, "reject").replace('"decision": "reject"', '"decision": true'),
        decision_line(paper, "reject", arxiv_id=2501.0123),
        decision_line(paper, "reject", arxiv_id="https://example.org/" + "x" * 100),
    )
    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 1
    captured = capsys.readouterr()
    rule = "arxiv_id must be an arXiv ID such as 2501.01234, 2501.01234v2 or hep-th/9901001, not "
    assert captured.out == "" and captured.err.splitlines() == [
        f'{path}:1: decision must be approve or reject, not "APPROVE"',
        f"{path}:2: decision must be approve or reject, not true",
        f"{path}:3: {rule}2501.0123, a number: write it in quotes",
        f'{path}:4: {rule}"https://example.org/xxxxxxxxxxxxxxxxxxx…',
        f"{path}: 4 bad lines; nothing was imported",
    ], captured.err
    assert main(["--data-dir", str(data_dir), "decisions", "list"]) == 0
    assert capsys.readouterr().out == "no imported decisions (digest decisions import FILE.jsonl adds them)\n"


def test_an_arxiv_id_written_as_approve_takes_it_is_imported_without_its_version(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`"arxiv_id": "arXiv:2604.99996v2"` was refused ("arxiv_id must be an arXiv ID such as 2501.01234 ...") though
    `digest approve` and `digest add` take it, as they take the paper's arxiv.org address: the import reads an ID by
    their rule now (arxiv_references) and keeps it without its version, as it keeps 2501.01234v2."""
    first, second = real_papers()[:2]
    path = write_lines(
        tmp_path / "verdicts.jsonl",
        decision_line(first, "approve", arxiv_id=f"arXiv:{first['arxiv_id']}v2"),
        decision_line(second, "reject", arxiv_id=f"https://arxiv.org/abs/{second['arxiv_id']}v1"),
    )
    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "decisions", "list", "--json"]) == 0
    listed = capsys.readouterr().out
    assert f'"{first["arxiv_id"]}"' in listed and f'"{second["arxiv_id"]}"' in listed, listed
    assert "arXiv:" not in listed and "v2" not in listed and "https://arxiv.org/abs" not in listed, listed
