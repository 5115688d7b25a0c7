"""`digest decisions import|list` as a maintainer runs them: the verdicts stored and learnt from, a paper imported
again, a dry run, and decisions in review that overrule; the list untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.db import Database
from tests.decision_files import decision_line, write_lines
from tests.decisions_import_setup import PAPERS, data_dir_with_the_list, digest, exported, stored  # noqa: F401  (fixtures)
from tests.factories import insert_candidate


def test_a_good_file_imports_and_leaves_the_list_byte_for_byte(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = exported(data_dir, capsys)
    path = write_lines(
        tmp_path / "verdicts.jsonl",
        decision_line(PAPERS[0], "approve", arxiv_id=PAPERS[0]["arxiv_id"] + "v2", section="steering"),
        "",
        decision_line(PAPERS[5], "reject"),
        json.dumps({"arxiv_id": "hep-th/9901001v1", "title": "Old strings", "abstract": "", "decision": "reject"}),
        decision_line(PAPERS[0], "approve", section="sparse-autoencoder"),  # the same paper again: this one wins
    )
    assert digest(data_dir, "decisions", "import", str(path)) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        f"imported 3 decisions (1 approve, 2 reject) from {path}; "
        "they train the relevance model and do not change the list"
    )
    assert f"{PAPERS[0]['arxiv_id']} is on lines 1, 5: the last, line 5, wins" in out
    assert stored(database) == {
        PAPERS[0]["arxiv_id"]: (True, "Sparse Autoencoder", PAPERS[0]["title"], "verdicts.jsonl"),
        PAPERS[5]["arxiv_id"]: (False, None, PAPERS[5]["title"], "verdicts.jsonl"),
        "hep-th/9901001": (False, None, "Old strings", "verdicts.jsonl"),
    }
    assert exported(data_dir, capsys) == before
    assert (data_dir / "list.md").read_bytes() == before

    assert digest(data_dir, "decisions", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert {(row["arxiv_id"], row["decision"], row["section"]) for row in listed} == {
        (PAPERS[0]["arxiv_id"], "approve", "Sparse Autoencoder"),
        (PAPERS[5]["arxiv_id"], "reject", None),
        ("hep-th/9901001", "reject", None),
    }


def test_verdicts_into_two_headings_of_one_name_teach_two_sections_as_approvals_do(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A list in year blocks, each with its own "Probing": verdicts imported into "Probing (2025)" and into "Probing
    (2024)" were stored, listed and learnt as one "Probing" (where `digest approve --section` records the label), and
    a paper like either was suggested into "Probing", which an approval refuses as two sections. Each is stored as its
    label, and a paper like those of one block is suggested into that block's Probing."""
    (tmp_path / "blocks.md").write_text(
        "# Awesome X\n\n## 2025\n\n### Probing\n\n+ [Alpha paper](https://arxiv.org/abs/2501.00001) (Jan. 5, 2025)\n\n"
        "## 2024\n\n### Probing\n\n+ [Gamma paper](https://arxiv.org/abs/2401.00003) (Jan. 4, 2024)\n",
        encoding="utf-8",
    )
    assert digest(data_dir, "list", "import", "--force", str(tmp_path / "blocks.md")) == 0
    into = {paper["arxiv_id"]: "Probing (2025)" if n < 2 else "Probing (2024)" for n, paper in enumerate(PAPERS[:5])}
    lines = [decision_line(paper, "approve", section=into[paper["arxiv_id"]]) for paper in PAPERS[:5]]
    assert digest(data_dir, "decisions", "import", str(write_lines(tmp_path / "verdicts.jsonl", *lines))) == 0
    capsys.readouterr()
    assert digest(data_dir, "decisions", "list", "--json") == 0
    assert {row["arxiv_id"]: row["section"] for row in json.loads(capsys.readouterr().out)} == into
    news = [{"arxiv_id": "", "title": paper["title"], "abstract": paper["abstract"]} for paper in PAPERS[:5]]
    assert digest(data_dir, "score", "--json", str(write_lines(tmp_path / "news.jsonl", *map(json.dumps, news)))) == 0
    suggested = [json.loads(line)["section"] for line in capsys.readouterr().out.splitlines()]
    assert suggested == list(into.values())


def test_importing_a_paper_again_replaces_its_verdict(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write_lines(tmp_path / "first.jsonl", decision_line(PAPERS[0], "approve", section="Steering"))
    second = write_lines(
        tmp_path / "second.jsonl", decision_line(PAPERS[0], "reject"), decision_line(PAPERS[1], "approve")
    )
    assert digest(data_dir, "decisions", "import", str(first)) == 0
    assert digest(data_dir, "decisions", "import", str(second), "--json") == 0
    capsys.readouterr()
    assert digest(data_dir, "decisions", "import", str(second), "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["imported"], summary["approve"], summary["reject"], summary["replaced"]) == (2, 1, 1, 2)
    assert stored(database) == {
        PAPERS[0]["arxiv_id"]: (False, None, PAPERS[0]["title"], "second.jsonl"),
        PAPERS[1]["arxiv_id"]: (True, None, PAPERS[1]["title"], "second.jsonl"),
    }
    write_lines(tmp_path / "third.jsonl", decision_line(PAPERS[2], "reject"))
    assert digest(data_dir, "decisions", "import", str(tmp_path / "third.jsonl")) == 0
    capsys.readouterr()
    assert digest(data_dir, "decisions", "list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].startswith(f"{PAPERS[2]['arxiv_id']}  reject ")  # the most recent import first
    assert len(listed) == 3


def test_dry_run_checks_and_writes_nothing(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_lines(tmp_path / "earlier.jsonl", decision_line(PAPERS[0], "approve"))
    assert digest(data_dir, "decisions", "import", str(tmp_path / "earlier.jsonl")) == 0
    before = stored(database)
    path = write_lines(
        tmp_path / "verdicts.jsonl", decision_line(PAPERS[0], "reject"), decision_line(PAPERS[1], "approve")
    )
    capsys.readouterr()
    assert digest(data_dir, "decisions", "import", str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        f"would import 2 decisions (1 approve, 1 reject) from {path}; nothing was written (--dry-run)"
    )
    assert f"reject  {PAPERS[0]['arxiv_id']}: {PAPERS[0]['title']}" in out
    assert "1 of them would replace an earlier imported verdict for the same paper" in out
    assert stored(database) == before


def test_a_paper_already_decided_in_review_is_counted_as_not_learnt(
    data_dir: Path, database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An issue tracker's "approve" of a paper the maintainers rejected on Discord: the rejection stands (the model
    never learns the imported verdict), but the import said it had imported it to train the model, and nothing more."""
    rejected = insert_candidate(database, PAPERS[1])
    Reviewer(database, settings).decide(rejected, "reject", Actor("ann", "1", "discord"))
    path = write_lines(
        tmp_path / "verdicts.jsonl", decision_line(PAPERS[1], "approve"), decision_line(PAPERS[2], "reject")
    )
    assert digest(data_dir, "decisions", "import", str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    assert (
        "  1 of them is a paper decided in review (digest candidates) and not in the list: that decision stands, "
        "and the imported one is not learnt"
    ) in out
    assert digest(data_dir, "decisions", "import", str(path), "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["imported"], summary["in_list"], summary["decided_in_review"]) == (2, 0, 1)


def test_the_import_names_each_paper_whose_verdict_a_decision_in_review_overrules(
    data_dir: Path, database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file of a year's verdicts, a few of them on papers the maintainers have since rejected on Discord: the import
    said only how many papers were decided in review, so a maintainer could not tell which of the file's verdicts
    were set aside, nor whether any disagreed. It names each paper whose file verdict the review's decision overrules
    (one that agrees is learnt either way), in the summary and in --json."""
    for paper in (PAPERS[1], PAPERS[3]):
        candidate = insert_candidate(database, paper)
        Reviewer(database, settings).decide(candidate, "reject", Actor("ann", "1", "discord"))
    path = write_lines(
        tmp_path / "verdicts.jsonl",
        decision_line(PAPERS[2], "reject"),
        decision_line(PAPERS[1], "approve"),
        decision_line(PAPERS[3], "reject"),
    )
    assert digest(data_dir, "decisions", "import", str(path)) == 0
    out = capsys.readouterr().out
    assert "  2 of them are papers decided in review (digest candidates) and not in the list" in out
    assert f"    {PAPERS[1]['arxiv_id']} (line 2): rejected in review, where the file approves it\n" in out
    assert PAPERS[3]["arxiv_id"] not in out
    assert digest(data_dir, "decisions", "import", str(path), "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["decided_in_review"] == 2
    overruled = [
        (row["arxiv_id"], row["line"], row["decision"], row["in_review"]) for row in summary["overruled_in_review"]
    ]
    assert overruled == [(PAPERS[1]["arxiv_id"], 2, "approve", "rejected")]


def test_the_list_marks_each_decision_the_model_does_not_learn_from_and_why(
    data_dir: Path, database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest decisions list` showed every imported verdict alike: a maintainer could not tell that a reject of a
    paper the list holds, or a verdict the review decided otherwise, trains nothing. Each such is marked with why, as
    the model's training rules it (one the review agrees with is learnt either way), in the text and in --json."""
    from digest.resources import curated_papers_path

    listed = json.loads(curated_papers_path().read_text(encoding="utf-8").splitlines()[0])
    for paper, verdict in ((PAPERS[1], "reject"), (PAPERS[3], "reject")):
        Reviewer(database, settings).decide(insert_candidate(database, paper), verdict, Actor("ann", "1", "discord"))
    path = write_lines(
        tmp_path / "verdicts.jsonl",
        decision_line(listed, "reject"),
        decision_line(PAPERS[1], "approve"),
        decision_line(PAPERS[2], "reject"),
        decision_line(PAPERS[3], "reject"),
    )
    assert digest(data_dir, "decisions", "import", str(path)) == 0
    capsys.readouterr()
    assert digest(data_dir, "decisions", "list") == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert lines[listed["arxiv_id"]].endswith(
        "  (not learnt: the list holds this paper, and a reject of it is not learnt)"
    )
    assert lines[PAPERS[1]["arxiv_id"]].endswith(
        f"{PAPERS[1]['title']}  (not learnt: rejected in review, and that decision stands)"
    )
    assert lines[PAPERS[2]["arxiv_id"]].endswith(PAPERS[2]["title"])
    assert lines[PAPERS[3]["arxiv_id"]].endswith(PAPERS[3]["title"])
    assert digest(data_dir, "decisions", "list", "--json") == 0
    marked = {
        row["arxiv_id"]: (row["learnt"], row["not_learnt_because"]) for row in json.loads(capsys.readouterr().out)
    }
    assert marked == {
        listed["arxiv_id"]: (False, "in_list"),
        PAPERS[1]["arxiv_id"]: (False, "overruled_in_review"),
        PAPERS[2]["arxiv_id"]: (True, None),
        PAPERS[3]["arxiv_id"]: (True, None),
    }
