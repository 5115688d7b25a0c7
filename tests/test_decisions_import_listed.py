"""What `digest decisions import` says of the file's papers the list holds: true for each verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.resources import curated_papers_path
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.db import Database
from tests.decision_files import decision_line, write_lines
from tests.factories import insert_candidate, real_papers


@pytest.fixture
def data_dir(data_dir: Path, database: Database) -> Path:
    """The data folder the `database` fixture opened (the bundled list in it), for the command line to work on."""
    return data_dir


def test_importing_again_after_an_approved_paper_reached_the_list_says_what_is_true_of_each_verdict(
    data_dir: Path, database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """good.jsonl approves a paper the list did not hold; approved in review since, it is in the list. Importing the
    file again said "1 of them is a paper the list holds: ... a reject is not learnt", of a verdict that is approve.
    An approve of a list paper is said to agree with the list (and learnt), a reject to be set aside by it."""
    approved = real_papers()[1]
    listed = json.loads(curated_papers_path().read_text(encoding="utf-8").splitlines()[0])
    path = write_lines(
        tmp_path / "good.jsonl", decision_line(approved, "approve", section="probing"), decision_line(listed, "reject")
    )
    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 0
    capsys.readouterr()
    candidate = insert_candidate(database, approved)
    Reviewer(database, settings).decide(candidate, "approve", Actor("ann", "1", "discord"), "Probing")

    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  1 of them is an approve of a paper the list holds: the list agrees, and it is learnt" in out
    assert "  1 of them is a reject of a paper the list holds: the list stands, and it is not learnt" in out
    assert not [line for line in out if "is a paper the list holds" in line], out  # the wording said of both
    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["in_list"], summary["in_list_rejected"]) == (2, 1)
    assert main(["--data-dir", str(data_dir), "decisions", "list", "--json"]) == 0
    learnt = {row["arxiv_id"]: row["learnt"] for row in json.loads(capsys.readouterr().out)}
    assert learnt == {approved["arxiv_id"]: True, listed["arxiv_id"]: False}  # as the summary says
