"""A database URL naming SQLite's in-memory database (`sqlite://`, `sqlite:///:memory:`): every command started on an
empty database, imported the seed list into it, wrote the data folder's list.md from it, said "no candidates" and
exited 0; the next command then found list.md without a list behind it, and `digest run` kept nothing past its end.
It is a settings problem now, one line naming the value, and nothing is made."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared
from tests.config_cmd import write

IN_MEMORY = ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite:///:memory:", "sqlite:///file::memory:?uri=true"]
SAID = "a database in memory that nothing is kept in: name a file, as sqlite:////absolute/path/digest.sqlite3"


@pytest.mark.parametrize("url", IN_MEMORY)
def test_an_in_memory_database_from_the_environment_is_refused_and_nothing_is_made(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    data = clean_environment / "data"
    monkeypatch.setenv("DIGEST_DATABASE_URL", url)
    for command in (["candidates"], ["reject", "2502.20578"]):
        status = main(["--data-dir", str(data), *command])
        captured = capsys.readouterr()
        assert status == 2 and captured.out == "", (command, captured)
        assert captured.err == f"digest: configuration: DIGEST_DATABASE_URL is {url!r}, {SAID}" + (
            ", or leave it unset for digest.sqlite3 in the data folder\n"
        ), captured.err
        assert not data.exists(), sorted(data.iterdir())


def test_an_in_memory_database_in_the_settings_file_is_a_problem_config_check_names(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(clean_environment / "config.toml", 'database_url = "sqlite:///:memory:"\n')
    data = clean_environment / "data"
    status = main(["--config", str(config), "--data-dir", str(data), "config", "check"])
    out = capsys.readouterr().out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert status == 1 and problems == [
        f"problem: database_url is 'sqlite:///:memory:', {SAID}"
        + (", or leave it unset for digest.sqlite3 in the data folder")
    ], out
    assert not data.exists()


def test_a_file_named_like_memory_is_a_file(clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = clean_environment / "memory.sqlite3"
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{database}")
    assert main(["--data-dir", str(clean_environment / "data"), "candidates"]) == 0
    assert database.exists()
