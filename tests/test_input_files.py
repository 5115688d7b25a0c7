"""The files given to `digest list import`, `list lint`, `score` and `decisions import` that are no regular file: a
folder, a named pipe. Each is refused in one line worded alike, at once, and nothing is changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from digest.cli import main
from digest.storage.db import Database
from tests.factories import real_papers
from tests.kept_model import with_kept_model

COMMANDS = {
    ("list", "import"): "Markdown file",
    ("list", "lint"): "Markdown file",
    ("score",): "JSON-lines file",
    ("decisions", "import"): "JSON-lines file",
}


@pytest.fixture
def data_dir(data_dir: Path, database: Database) -> Path:
    return data_dir


@pytest.mark.parametrize("command", list(COMMANDS), ids=" ".join)
def test_a_named_pipe_is_refused_at_once_not_waited_on(
    data_dir: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """A FIFO given by mistake hung the command (as cat would), waiting for a writer that never came."""
    fifo = tmp_path / "papers.pipe"
    os.mkfifo(fifo)
    run = [sys.executable, "-c", "from digest.cli import console; console()", "--data-dir", str(data_dir)]
    try:
        done = subprocess.run([*run, *command, str(fifo)], capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"digest {' '.join(command)} waited on a named pipe")
    assert done.returncode == 1
    assert done.stderr == (
        f"digest: {fifo}: is a named pipe, not a {COMMANDS[command]}: save what it gives to a file and name that\n"
    )


@pytest.mark.parametrize("command", list(COMMANDS), ids=" ".join)
def test_a_folder_is_refused_in_the_same_words_by_each_command(
    data_dir: Path, tmp_path: Path, command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest score DIR` said "cannot read DIR: Is a directory" where the other commands said "is a folder"."""
    folder = tmp_path / "papers"
    folder.mkdir()
    assert main(["--data-dir", str(data_dir), *command, str(folder)]) == 1
    assert capsys.readouterr().err == f"digest: {folder}: is a folder, not a {COMMANDS[command]}\n"


def test_score_of_a_file_of_many_bad_lines_names_the_first_twenty_and_counts_the_rest(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong file given to `digest score` (a CSV, a log) printed a "skipped" line for each of its lines, without
    bound: the first 20 are named, the others counted; the good papers are still scored."""
    paper = real_papers()[0]
    good = json.dumps({"arxiv_id": paper["arxiv_id"], "title": paper["title"], "abstract": paper["abstract"]})
    path = tmp_path / "papers.jsonl"
    path.write_text(good + "\n" + "".join(f"row {number},yes\n" for number in range(1000)), encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "score", str(path), "--json"]) == 1
    captured = capsys.readouterr()
    assert [json.loads(line)["arxiv_id"] for line in captured.out.splitlines()] == [paper["arxiv_id"]]
    errors = [line for line in captured.err.splitlines() if not line.startswith("note:")]
    assert len(errors) == 21, errors[:3]
    assert errors[0].startswith(f"{path}:2: skipped: not valid JSON")
    assert errors[19].startswith(f"{path}:21: skipped: ")
    assert errors[20] == f"{path}: and 980 more bad lines skipped, not shown"


@pytest.mark.parametrize(
    ("command", "content"),
    [
        (("list", "import"), "no list here\n"),
        (("list", "lint"), "# Title\n\n+ [A](http://example.org) broken\n"),
        (("decisions", "import"), "{cut off\n"),
    ],
    ids=["list import", "list lint", "decisions import"],
)
def test_a_path_with_a_line_break_in_its_name_is_named_quoted_on_one_line(
    data_dir: Path, tmp_path: Path, command: tuple[str, ...], content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file whose name holds a newline split each message naming it in two, the second half looking like a line
    of its own; the name is quoted with its escapes, each message one line."""
    path = tmp_path / "new\nlist.txt"
    path.write_text(content, encoding="utf-8")
    assert main(["--data-dir", str(data_dir), *command, str(path)]) in (0, 1)  # lint: 0 when only warnings
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    named = [line for line in lines if "list.txt" in line]
    assert named, lines
    assert all(repr(str(path)) in line for line in named), lines
    assert all("new" not in line or repr(str(path)) in line for line in lines), lines


@pytest.mark.parametrize("named", ["/dev/stdin", "/dev/fd/0"])
def test_standard_input_named_by_its_path_is_read_as_dash_reads_it(
    data_dir: Path, named: str, kept_model: Path
) -> None:
    """`producer | digest score /dev/stdin` (and decisions import, list lint) said "/dev/stdin: is a named pipe ...:
    save what it gives to a file and name that", where '-' reads that very pipe; the path of the command's own
    standard input is now read as '-'."""
    paper = real_papers()[0]
    line = json.dumps({"arxiv_id": paper["arxiv_id"], "title": paper["title"], "abstract": paper["abstract"]}) + "\n"
    with_kept_model(data_dir, kept_model)  # the model's build is not what this is about
    run = [sys.executable, "-c", "from digest.cli import console; console()", "--data-dir", str(data_dir)]
    scored = subprocess.run([*run, "score", named, "--json"], input=line, capture_output=True, text=True, timeout=120)
    assert scored.returncode == 0, scored.stderr
    assert [json.loads(out)["arxiv_id"] for out in scored.stdout.splitlines()] == [paper["arxiv_id"]]
    decided = json.dumps({**json.loads(line), "decision": "reject"}) + "\n"
    imported = subprocess.run(
        [*run, "decisions", "import", named], input=decided, capture_output=True, text=True, timeout=120
    )
    assert imported.returncode == 0, imported.stderr
    assert "1 imported" in imported.stdout or "imported 1" in imported.stdout, imported.stdout
