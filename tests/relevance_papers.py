"""The set-up of the relevance tests: real unrelated arXiv papers (tests/data/relevance_haystack_sample.jsonl), the
list's own papers as the model learns them (the examples fixture), one of them held out, and `digest score` run on
papers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict

import pytest

from digest.cli import main
from digest.relevance.gathering import list_examples
from digest.relevance.scoring import LabeledPaper
from digest.storage.db import Database

SAMPLE = Path(__file__).resolve().parent / "data" / "relevance_haystack_sample.jsonl"


def sample_papers() -> list[dict[str, object]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def examples(database: Database) -> list[LabeledPaper]:
    with database.reading() as session:
        return list_examples(session)


def without(examples: list[LabeledPaper], title_start: str) -> tuple[LabeledPaper, list[LabeledPaper]]:
    paper = next(e for e in examples if e.title.startswith(title_start))
    return paper, [e for e in examples if e.abstract != paper.abstract]


class ScoredPaper(TypedDict):
    """One line of `digest score`'s output: its judgement of one paper (digest/cli/score.py)."""

    arxiv_id: str
    relevant: bool
    tier: str | None
    score: float
    section: str | None
    sections: list[str]
    matched: list[str]
    why: list[str]
    learnt_from: bool
    held_out_score: float | None


def scored(
    options: list[str], rows: list[dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[list[ScoredPaper], str]:
    """`digest score` of the rows with the global options: one result a row, and what it said on stderr."""
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    status = main([*options, "score", str(path)])
    out = capsys.readouterr()
    assert status == 0, out.err
    return [json.loads(line) for line in out.out.splitlines()], out.err
