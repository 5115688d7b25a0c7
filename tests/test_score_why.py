"""`digest score`'s why as a maintainer reads it: a paper the model never read says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from tests.cli_daily import papers_file
from tests.conftest import ROOT
from tests.poller_feeds import RELEVANT, UNRELATED

SKIPPED = (
    "not scored: the title and abstract hold none of the topic's strong terms ([modality] and [interpretability] "
    "strong in rules.toml), so the model skipped it and gave it the one score such papers get, far under the threshold"
)


def _papers(tmp_path: Path, ids: list[str]) -> Path:
    """The real papers of tests/data/poll_papers.jsonl with these IDs, in a file of their own."""
    found = (ROOT / "tests" / "data" / "poll_papers.jsonl").read_text(encoding="utf-8").splitlines()
    lines = [line.encode("utf-8") for line in found if json.loads(line)["arxiv_id"] in ids]
    assert len(lines) == len(ids)
    return papers_file(tmp_path / "papers.jsonl", lines)


def _printed(data_dir: Path, path: Path, capsys: pytest.CaptureFixture[str], *options: str) -> dict[str, Any]:
    assert main(["--data-dir", str(data_dir), "score", str(path), *options]) == 0
    return {result["arxiv_id"]: result for result in map(json.loads, capsys.readouterr().out.splitlines())}


def test_score_says_a_paper_naming_no_strong_term_of_the_topic_was_not_scored(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The papers the pre-filter skips (no strong term of either side of the topic in the title or abstract: most of
    a day's feed) printed "score": 0.0 and "why": [], as if the model had read them and found nothing to say. Their
    why now says they were not scored and by which rule, with --json and without; a paper the model read says no
    such thing."""
    path = _papers(tmp_path, [UNRELATED[0], UNRELATED[2], RELEVANT[0]])
    for options in ((), ("--json",)):
        printed = _printed(data_dir, path, capsys, *options)
        skipped, read_off_topic, relevant = (
            printed[arxiv_id] for arxiv_id in (UNRELATED[0], UNRELATED[2], RELEVANT[0])
        )
        assert (skipped["score"], skipped["matched"], skipped["why"]) == (0.0, [], [SKIPPED])
        assert read_off_topic["score"] == 0.0 and read_off_topic["matched"], read_off_topic
        assert SKIPPED not in read_off_topic["why"] and SKIPPED not in relevant["why"]
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    assert "for a paper naming none of the topic's strong terms, that the model skipped it unread" in " ".join(
        capsys.readouterr().out.split()
    )
