"""What `digest decisions import` reads: gzip and standard input, and a file's bad lines, sections and characters each
refused in one line naming the line, all or none imported."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from digest.storage.db import Database, open_database
from digest.storage.state import TrainingDecision
from tests.conftest import make_settings
from tests.decision_files import decision_line, write_lines
from tests.decisions_import_setup import PAPERS, data_dir_with_the_list, digest, stored  # noqa: F401  (fixtures)
from tests.factories import insert_candidate
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)


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
