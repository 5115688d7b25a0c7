"""`digest decisions import|list` as a maintainer runs them: rows in the database, the list untouched, all or none."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.cli import main
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.db import Database, open_database
from digest.storage.state import TrainingDecision
from tests.conftest import make_settings
from tests.decision_files import decision_line, write_lines
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)

PAPERS = real_papers()


@pytest.fixture
def data_dir(data_dir: Path, database: Database) -> Path:
    """The data folder the `database` fixture opened (the bundled list in it), for the command line to work on."""
    return data_dir


def digest(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), *args])


def stored(database: Database) -> dict[str, tuple[bool, str | None, str, str]]:
    """arxiv_id -> (approved, section, title, source), read in a session opened after the command ran."""
    with database.reading() as session:
        rows = session.scalars(select(TrainingDecision))
        return {row.arxiv_id: (row.approved, row.section, row.title, row.source) for row in rows}


def exported(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> bytes:
    assert digest(data_dir, "list", "export") == 0
    return capsys.readouterr().out.encode("utf-8")


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


def test_one_bad_line_among_good_ones_imports_nothing(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_lines(
        tmp_path / "verdicts.jsonl",
        decision_line(PAPERS[0], "approve"),
        '{"arxiv_id": "2501.01234", "title": "cut off',
        decision_line(PAPERS[1], "approve"),
        decision_line(PAPERS[2], "maybe"),
        decision_line(PAPERS[3], "reject", arxiv_id="arXiv 2502.2"),
        decision_line(PAPERS[4], "reject", title="  "),
    )
    assert digest(data_dir, "decisions", "import", str(path)) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    errors = captured.err.splitlines()
    assert errors[0].startswith(f"{path}:2: not valid JSON")
    assert errors[1] == f'{path}:4: decision must be approve or reject, not "maybe"'
    assert errors[2].startswith(f"{path}:5: arxiv_id must be an arXiv ID")
    assert errors[3] == f"{path}:6: title must be a non-empty string"
    assert errors[4] == f"{path}: 4 bad lines; nothing was imported"
    assert stored(database) == {}


def test_an_unknown_section_is_refused_with_the_real_ones(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_lines(
        tmp_path / "verdicts.jsonl",
        decision_line(PAPERS[0], "approve", section="Probing"),
        decision_line(PAPERS[1], "approve", section="Sparse Autoencoders and friends"),
    )
    assert digest(data_dir, "decisions", "import", str(path)) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: no section named 'Sparse Autoencoders and friends' in the list" in err
    assert "the list's sections are: Surveys, Blog, Input-level Attribution, Sparse Autoencoder, Probing" in err
    assert stored(database) == {}


def test_a_name_two_headings_share_is_refused_as_approve_refuses_it(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A list in year blocks, each with its own "Probing": the file's "Probing" was refused as "no section named
    'Probing' in the list", under a hint listing a "Probing (2025)" and a "Probing (2024)". It is refused as
    `digest approve --section Probing` refuses it, naming the two to choose from; either of those is imported."""
    blocks = tmp_path / "blocks.md"
    blocks.write_text(
        "# Awesome X\n\n## 2025\n\n### Probing\n\n"
        "+ [Alpha paper](https://arxiv.org/abs/2501.00001) (Jan. 5, 2025)\n\n"
        "### Steering\n\n+ [Beta paper](https://arxiv.org/abs/2502.00002) (Feb. 4, 2025)\n\n"
        "## 2024\n\n### Probing\n\n+ [Gamma paper](https://arxiv.org/abs/2401.00003) (Jan. 4, 2024)\n",
        encoding="utf-8",
    )
    assert digest(data_dir, "list", "import", "--force", str(blocks)) == 0
    candidate = insert_candidate(database, PAPERS[0])
    said = "the list has 2 sections named 'Probing': name one of Probing (2025), Probing (2024)"
    assert digest(data_dir, "approve", str(candidate), "--section", "Probing") != 0
    assert said in capsys.readouterr().err
    path = write_lines(tmp_path / "verdicts.jsonl", decision_line(PAPERS[1], "approve", section="Probing"))
    assert digest(data_dir, "decisions", "import", str(path)) == 1
    err = capsys.readouterr().err
    assert f"{path}:1: {said}" in err, err
    assert "no section named" not in err, err
    assert stored(database) == {}
    chosen = write_lines(tmp_path / "chosen.jsonl", decision_line(PAPERS[1], "approve", section="Probing (2024)"))
    assert digest(data_dir, "decisions", "import", str(chosen)) == 0
    assert stored(database)[PAPERS[1]["arxiv_id"]][:2] == (True, "Probing (2024)")


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


def test_gzip_and_standard_input(
    data_dir: Path, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "verdicts.jsonl.gz"
    path.write_bytes(gzip.compress((decision_line(PAPERS[0], "approve", section="probing") + "\n").encode()))
    assert digest(data_dir, "decisions", "import", str(path)) == 0
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(decision_line(PAPERS[1], "reject").encode())))
    assert digest(data_dir, "decisions", "import", "-") == 0
    assert stored(database) == {
        PAPERS[0]["arxiv_id"]: (True, "Probing", PAPERS[0]["title"], "verdicts.jsonl.gz"),
        PAPERS[1]["arxiv_id"]: (False, None, PAPERS[1]["title"], "<stdin>"),
    }


def test_a_file_that_is_not_gzip_or_not_there_is_one_line(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = write_lines(tmp_path / "verdicts.jsonl.gz", decision_line(PAPERS[0], "approve"))
    assert digest(data_dir, "decisions", "import", str(fake)) == 1
    assert digest(data_dir, "decisions", "import", str(tmp_path / "missing.jsonl")) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"digest: {fake}: not a readable gzip file")
    assert err[1] == f"digest: {tmp_path / 'missing.jsonl'}: cannot read: No such file or directory"
    with pytest.raises(SystemExit) as usage:
        digest(data_dir, "decisions", "import")
    assert usage.value.code == 2
    assert stored(database) == {}


def test_a_nul_character_in_an_abstract_is_blanked_not_a_database_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    each_database: dict[str, str],  # noqa: F811
) -> None:
    """An export from an issue tracker with a NUL in an abstract ("\\u0000" in the JSON): the title's was blanked, the
    abstract's reached the database, where PostgreSQL refused the whole file ("text fields cannot contain NUL")."""
    folder = tmp_path / "folder"
    monkeypatch.chdir(tmp_path)
    for name, value in each_database.items():
        monkeypatch.setenv(name, value)
    path = write_lines(
        tmp_path / "verdicts.jsonl",
        decision_line(PAPERS[5], "reject", abstract="Vision\u0000 transformers\u0007 and\nprobes"),
    )
    assert digest(folder, "decisions", "import", str(path)) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith("imported 1 decision (0 approve, 1 reject)")
    settings = make_settings(folder, environ=each_database)
    database = open_database(settings.database_url)
    try:
        with database.reading() as session:
            row = session.get(TrainingDecision, PAPERS[5]["arxiv_id"])
            assert row is not None and row.abstract == "Vision  transformers  and\nprobes"
    finally:
        database.dispose()


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


def test_a_line_nested_too_deeply_or_with_a_number_too_long_is_a_bad_line_not_a_traceback(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON's parser gives up on such lines with a RecursionError or a ValueError about Python's own limit on digits
    (a damaged export, a tool gone wrong): the import died with a traceback naming no line."""
    path = write_lines(
        tmp_path / "verdicts.jsonl",
        decision_line(PAPERS[0], "approve"),
        "[" * 100_000,
        decision_line(PAPERS[1], "reject")[:-1] + ', "votes": ' + "9" * 5000 + "}",
    )
    assert digest(data_dir, "decisions", "import", str(path)) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    assert captured.err.splitlines() == [
        f"{path}:2: not valid JSON (nested too deeply)",
        f"{path}:3: not valid JSON (a number of more than 4300 digits)",
        f"{path}: 2 bad lines; nothing was imported",
    ]
    assert stored(database) == {}


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


def test_a_json_array_is_named_once_not_each_of_its_lines(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON array of decisions had each of its lines refused, none saying why: it is named once, nothing imported."""
    rows = [json.loads(decision_line(paper, "reject")) for paper in PAPERS[:2]]
    path = tmp_path / "decisions.json"
    path.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    assert digest(data_dir, "decisions", "import", str(path)) == 1
    out = capsys.readouterr()
    assert out.err.splitlines() == [
        f"digest: {path}: looks like a JSON array (it starts with '['): one JSON object a line is wanted; "
        "`jq -c '.[]' FILE` writes it so; nothing was imported"
    ]
    assert stored(database) == {}


def test_an_arxiv_id_arxiv_cannot_have_issued_is_a_bad_line_saying_why(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "2501.0123" (a digit lost) was imported as a decision on a paper that cannot exist, teaching the relevance
    model nothing and listed by `decisions list` for good. Now the line is refused with why, like `digest add`."""
    path = write_lines(
        tmp_path / "verdicts.jsonl",
        decision_line(PAPERS[0], "approve"),
        decision_line(PAPERS[1], "reject", arxiv_id="2501.0123"),
    )
    assert digest(data_dir, "decisions", "import", str(path)) == 1
    errors = capsys.readouterr().err.splitlines()
    assert errors[0].startswith(f"{path}:2: arxiv_id 2501.0123 has 4 digits after the dot"), errors
    assert stored(database) == {}


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
