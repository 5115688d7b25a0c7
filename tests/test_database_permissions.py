"""A data folder this user may not write, or a database file it may not read: the command line, run as another user.

Tests run as root, whom no file mode stops: `digest` runs here as another user (tests/other_user.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.cli import main
from tests.conftest import DATA_DIR
from tests.disk import READ_ONLY_WARNING
from tests.other_user import Digest, as_another_user, open_to_all, shared_folder


@pytest.fixture
def folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with shared_folder(monkeypatch) as made:
        yield made


@pytest.fixture
def digest(folder: Path) -> Digest:
    return as_another_user(folder)


def papers(folder: Path) -> Path:
    lines = (DATA_DIR / "review_papers.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    path = folder / "papers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("scored_before", [False, True], ids=["thresholds-to-fit", "thresholds-stored"])
def test_score_reads_a_read_only_database_with_one_warning(folder: Path, digest: Digest, scored_before: bool) -> None:
    """`digest score` on a data folder kept read-only (the database 444, its folder 555: a copy looked at, another
    user's service) stopped with "cannot open the database", where `digest candidates` reads on with one warning;
    with thresholds never stored it would then have had to write them. Now it scores every paper from the database
    as it stands (thresholds fitted and not kept), with one warning line that it cannot write."""
    data, source = folder / "data", papers(folder)
    assert main(["--data-dir", str(data), "candidates"]) == 0
    if scored_before:
        assert main(["--data-dir", str(data), "score", str(source), "--json"]) == 0
    for path in data.rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    data.chmod(0o555)
    before = {path: path.read_bytes() for path in data.rglob("*") if path.is_file()}
    done = digest("score", str(source), "--json", data=data)
    assert done.returncode == 0, done.stderr
    scored = [json.loads(line) for line in done.stdout.splitlines()]
    assert [paper["arxiv_id"] for paper in scored] == [
        json.loads(line)["arxiv_id"] for line in source.read_text(encoding="utf-8").splitlines()
    ]
    assert done.stderr.count("\n") == 1 and READ_ONLY_WARNING.match(done.stderr), done.stderr
    assert "read-only" in done.stderr and "Traceback" not in done.stderr
    assert {path: path.read_bytes() for path in data.rglob("*") if path.is_file()} == before


@pytest.mark.parametrize("folder_mode", [0o777, 0o555], ids=["writable-folder", "read-only-folder"])
@pytest.mark.parametrize("command", [["candidates"], ["approve", "1"]], ids=["reading", "writing"])
def test_a_database_file_that_cannot_be_read_is_named_in_one_line(
    folder: Path, digest: Digest, folder_mode: int, command: list[str]
) -> None:
    """A database file left unreadable (mode 000 after a restore by hand, or another user's 0600 file) stopped every
    command with SQLite's "unable to open database file", which says neither which file nor why, and when the folder
    was read-only too blamed the folder. Now the command says in one line that it cannot read that file, and why."""
    data = folder / "data"
    assert main(["--data-dir", str(data), "candidates"]) == 0
    database = data / "digest.sqlite3"
    open_to_all(data)
    database.chmod(0o000)
    data.chmod(folder_mode)
    done = digest(*command, data=data)
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"digest: cannot read the database {database}: Permission denied"), done.stderr
    assert "read-only" not in done.stderr and "sqlite:" not in done.stderr


def test_config_check_names_a_database_file_it_cannot_read(folder: Path, digest: Digest) -> None:
    """`digest config check` said "configuration OK" for a data folder whose database file cannot be read, where every
    other command then stops: it lists that file as a problem, in the same words, and exits 1."""
    data = folder / "data"
    assert main(["--data-dir", str(data), "candidates"]) == 0
    database = data / "digest.sqlite3"
    open_to_all(data)
    data.chmod(0o777)
    database.chmod(0o000)
    done = digest("config", "check", data=data)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"problem: cannot read the database {database}: Permission denied" in done.stdout
    assert "configuration OK" not in done.stdout and "Traceback" not in done.stderr


@pytest.mark.parametrize("mode", [0o000, 0o600], ids=["mode-000", "readable-not-enterable"])
def test_a_data_folder_that_cannot_be_entered_is_named_in_one_line(folder: Path, digest: Digest, mode: int) -> None:
    """A data folder this user may not enter (mode 000 or 0600 after a restore by hand, another user's folder) stopped
    each command on whichever file it looked at first ("data/list.md: Permission denied"; `config check` on
    "data/weekly"), which named neither the folder nor what to do. Now every command names the folder, its mode and
    owner in one line, and `config check` lists it as a problem and exits 1. The commands said it as a storage failure
    (exit 1) where a data folder that cannot be created is a settings problem (exit 2, "configuration: the data folder
    X ..."): now it is one too, in that line's words, and so is a data folder inside a folder it cannot enter."""
    data = folder / "data"
    assert main(["--data-dir", str(data), "candidates"]) == 0
    data.chmod(mode)
    owner = f"Permission denied (mode {mode:04o}, owned by "
    for place, closed in ((data, "it"), (data / "new", str(data))):
        for command in (["candidates"], ["approve", "1"], ["score", str(papers(folder))], ["run", "--once"]):
            done = digest(*command, data=place)
            assert done.returncode == 2 and done.stdout == "", (command, done.stderr)
            assert done.stderr.count("\n") == 1, done.stderr
            assert done.stderr.startswith(
                f"digest: configuration: the data folder {place} cannot be used: this user cannot enter {closed}: "
                f"{owner}"
            ), done.stderr
            assert done.stderr.endswith("); let the user digest runs as read and write it\n"), done.stderr
    expected = f"cannot enter the data folder {data}: {owner}"
    done = digest("config", "check", data=data)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"problem: {expected}" in done.stdout and "Traceback" not in done.stderr, done.stdout + done.stderr
    # Said once: not again for the database and secrets.json in it, which no command reaches.
    problems = [line for line in done.stdout.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 1 and "\n1 problem: fix it" in done.stdout, done.stdout


def test_a_data_folder_that_cannot_be_written_is_named_in_one_line(folder: Path, digest: Digest) -> None:
    """A data folder this user may enter but not write (mode 0555, another user's folder) stopped every command that
    writes with the storage layer's 'cannot open the database sqlite:///...: attempt to write a readonly database
    (...)', exit 1, where every other data folder problem (a file, one it cannot enter or create) is a settings
    problem, exit 2, naming the folder and what to do. Now it is one too, in those words, before anything is tried;
    commands that only read go on reading it as it stands, and nothing in it changes."""
    data = folder / "data"
    assert main(["--data-dir", str(data), "candidates"]) == 0
    open_to_all(data)
    data.chmod(0o555)
    before = {path: path.read_bytes() for path in data.rglob("*") if path.is_file()}
    for command in (["poll"], ["approve", "1"], ["reject", "1"], ["add", "2401.00001"], ["run", "--once"]):
        done = digest(*command, data=data)
        assert done.returncode == 2 and done.stdout == "", (command, done.stderr)
        assert done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith(
            f"digest: configuration: the data folder {data} cannot be used: this user cannot write it: Permission "
            "denied (mode 0555, owned by "
        ), done.stderr
        assert "); let the user digest runs as read and write it" in done.stderr, done.stderr
    verdicts = folder / "verdicts.jsonl"
    verdicts.write_text(
        json.dumps({"arxiv_id": "2401.00001", "title": "A", "abstract": "B", "decision": "reject"}) + "\n",
        encoding="utf-8",
    )
    reading = (["candidates"], ["history"], ["list", "export"], ["decisions", "import", "--dry-run", str(verdicts)])
    for command in reading:
        done = digest(*command, data=data)
        assert done.returncode == 0 and done.stdout, (command, done.stderr)
    assert "would import 1 decision" in done.stdout, done.stdout
    assert {path: path.read_bytes() for path in data.rglob("*") if path.is_file()} == before


def test_a_read_only_database_file_in_a_writable_folder(folder: Path, digest: Digest) -> None:
    """A database file this user may read but not write (0444 after a copy or a restore by hand) in a writable folder:
    SQLite opened it read-only without a word, so `digest score` failed at its end with "attempt to write a readonly
    database" and a writing command only when it wrote. Now commands that only read go on read-only with one warning
    naming the file, and one that writes stops at once with one line naming the file, its mode and owner."""
    data, source = folder / "data", papers(folder)
    assert main(["--data-dir", str(data), "candidates"]) == 0
    open_to_all(data)
    data.chmod(0o777)
    database = data / "digest.sqlite3"
    database.chmod(0o444)
    before = {path: path.read_bytes() for path in data.rglob("*") if path.is_file()}
    read_only = f"its file {database} is read-only for this user: mode 0444, owned by "
    done = digest("score", str(source), "--json", data=data)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(source.read_text(encoding="utf-8").splitlines())
    assert done.stderr.count("\n") == 1 and READ_ONLY_WARNING.match(done.stderr), done.stderr
    assert read_only in done.stderr, done.stderr
    done = digest("approve", "1", data=data)
    assert done.returncode == 1 and done.stdout == "", done.stdout
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"digest: cannot write the database ({read_only}"), done.stderr
    done = digest("config", "check", data=data)  # the service would stop on it too: a problem, in the same words
    assert done.returncode == 1 and f"problem: cannot write the database ({read_only}" in done.stdout, done.stdout
    assert {path: path.read_bytes() for path in data.rglob("*") if path.is_file()} == before


def test_score_on_a_read_only_folder_fits_the_streams_thresholds_as_the_next_poll_would(
    folder: Path, digest: Digest
) -> None:
    """On a data folder it cannot write, with a stream of 2,500 papers the polls kept (scored by an older model, so
    every score must be worked out again), `digest score` fits the review threshold on that stream without storing it
    or the new scores: each paper gets the decision and score a writable `digest score` (which stores them) then
    gives, and no file changes."""
    import gzip
    from datetime import UTC, datetime

    from digest.config import load_settings
    from digest.relevance.scoring import PaperText
    from digest.relevance.stream import record_stream
    from digest.service.wiring import open_service_database

    data, source = folder / "data", papers(folder)
    assert main(["--data-dir", str(data), "candidates"]) == 0
    with gzip.open(DATA_DIR / "stream_sample.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    stream = [(row["arxiv_id"], PaperText(row["title"], row["abstract"], ("cs.CV",))) for row in rows]
    database = open_service_database(load_settings(None, data, environ={}, load_dotenv_file=False))
    try:
        with database.transaction() as session:
            record_stream(session, stream, [0.0] * len(stream), "an older model", datetime.now(UTC), 6000)
    finally:
        database.dispose()
    for path in data.rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    data.chmod(0o555)
    before = {path: path.read_bytes() for path in data.rglob("*") if path.is_file()}
    done = digest("score", str(source), "--json", data=data)
    assert done.returncode == 0 and READ_ONLY_WARNING.match(done.stderr), done.stderr
    assert {path: path.read_bytes() for path in data.rglob("*") if path.is_file()} == before
    read_only = [json.loads(line) for line in done.stdout.splitlines()]
    for path in [data, *data.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)
    command = [sys.executable, "-m", "digest", "--data-dir", str(data), "score", str(source), "--json"]
    writable = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=180, check=False)
    assert writable.returncode == 0 and writable.stderr == "", writable.stderr  # it fits them and stores them
    stored = [json.loads(line) for line in writable.stdout.splitlines()]
    assert [(paper["arxiv_id"], paper["tier"], paper["score"]) for paper in read_only] == [
        (paper["arxiv_id"], paper["tier"], paper["score"]) for paper in stored
    ]
