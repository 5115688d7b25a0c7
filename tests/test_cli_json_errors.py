"""`--json` as a script reads it: a command that fails still answers in JSON on standard output, the reason in one
object, besides its line on standard error, through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.cli import main
from digest.resources import seed_list_path


def json_answer(out: str) -> dict[str, object]:
    answer = json.loads(out)
    assert isinstance(answer, dict)
    return answer


def test_a_refused_list_import_answers_in_json(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest list import FILE --json` refusing a file that removes more than 5 entries printed its reason on
    standard error alone: the script parsing standard output got an empty answer (json: Expecting value)."""
    lines = seed_list_path().read_text(encoding="utf-8").split("\n")
    entries = [number for number, line in enumerate(lines) if line.startswith("+ [")][:7]
    for number in reversed(entries):
        del lines[number : number + 2]
    shrunk = tmp_path / "shrunk.md"
    shrunk.write_text("\n".join(lines), encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "list", "import", str(shrunk), "--json"]) == 1
    captured = capsys.readouterr()
    answer = json_answer(captured.out)
    assert answer["exit_status"] == 1
    assert "would remove 7 entries (more than 5); nothing was imported" in str(answer["error"])
    assert "would remove 7 entries" in captured.err  # the line a person reads is still there


def test_a_missing_file_to_score_answers_in_json(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest score missing.jsonl --json`: one JSON line naming the file, as the scored papers would be."""
    assert main(["--data-dir", str(data_dir), "score", str(tmp_path / "missing.jsonl"), "--json"]) == 1
    answer = json_answer(capsys.readouterr().out)
    missing = tmp_path / "missing.jsonl"
    assert answer == {"error": f"{missing}: cannot read: No such file or directory", "exit_status": 1}


def test_a_settings_problem_and_a_usage_error_answer_in_json(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A settings file with a problem (exit 2) and an argument no command takes (exit 2): JSON all the same."""
    config = tmp_path / "config.toml"
    config.write_text("[web]\nport = 'eighty'\n", encoding="utf-8")
    assert main(["--config", str(config), "--data-dir", str(data_dir), "config", "show", "--json"]) == 2
    answer = json_answer(capsys.readouterr().out)
    assert answer == {"error": "configuration: web.port must be an integer, not 'eighty'", "exit_status": 2}

    with pytest.raises(SystemExit) as stopped:
        main(["--data-dir", str(data_dir), "candidates", "--status", "bogus", "--json"])
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    answer = json_answer(captured.out)
    assert answer["exit_status"] == 2 and "invalid choice: 'bogus'" in str(answer["error"])
    assert captured.err.startswith("usage: digest candidates")


def test_without_json_an_error_prints_nothing_on_standard_output(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(data_dir), "score", str(tmp_path / "missing.jsonl")]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "cannot read" in captured.err
