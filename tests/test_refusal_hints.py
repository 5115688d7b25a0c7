"""The one-line hints a refused command prints: a command to run acts, run as printed, on the same settings file and
data folder as the refused one; a refusal of `digest database copy` names the database it means and leaves no folder
behind; a database URL shown with its password hidden says what `***` stands for."""

from __future__ import annotations

import json
import shlex
import sqlite3
from pathlib import Path

import pytest

from digest.cli import main
from tests.database_moving import old_deployment, seen
from tests.list_edits import seed_without_entries
from tests.postgres_server import PostgresServer, postgres_server  # noqa: F401  (a fixture)


def settings_file(folder: Path, data: Path, database_url: str) -> Path:
    """A settings file naming the data folder and the database (not the environment)."""
    config = folder / "config.toml"
    config.write_text(f'data_dir = "{data}"\ndatabase_url = "{database_url}"\n', encoding="utf-8")
    return config


def refused_hint(capsys: pytest.CaptureFixture[str], argv: list[str], status: int, command: str) -> list[str]:
    """The command the one-line refusal of `argv` says to run, from its `digest` to the line's end (or to its closing
    backquote), split as a shell would."""
    capsys.readouterr()
    assert main(argv) == status
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert command in err, err
    return shlex.split(err[err.index("digest --") :].split("`")[0])


def test_the_copy_command_a_used_folder_is_told_keeps_its_settings_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """database_url in the settings file, `digest --config config.toml candidates` on a folder whose own file holds
    everything: the copy command printed left --config out, and run so it copied the folder's file onto itself."""
    data = tmp_path / "data"
    old_file = old_deployment(data)
    config = settings_file(tmp_path, data, f"sqlite:///{tmp_path / 'new.sqlite3'}")
    told = refused_hint(capsys, ["--config", str(config), "candidates"], 1, "database copy --from")
    assert told[:3] == ["digest", "--config", str(config)] and told[-1] == str(old_file), told
    assert main(told[1:]) == 0  # run as printed
    capsys.readouterr()
    assert main(["--config", str(config), "candidates", "--status", "approved", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)  # the decisions came along into the configured database


def test_the_list_import_a_used_folder_is_told_keeps_its_settings_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The configured database (database_url in the settings file) lost: the `list import` printed, run as printed,
    rebuilt the data folder's own file instead, and the refused command stayed refused."""
    data = tmp_path / "data"
    database = tmp_path / "elsewhere" / "digest.sqlite3"
    database.parent.mkdir()
    config = settings_file(tmp_path, data, f"sqlite:///{database}")
    assert main(["--config", str(config), "candidates"]) == 0
    database.unlink()
    told = refused_hint(capsys, ["--config", str(config), "candidates"], 1, "list import")
    assert main(told[1:]) == 0  # run as printed
    assert main(["--config", str(config), "candidates"]) == 0


def test_the_dry_run_an_import_removing_too_many_is_told_keeps_its_settings_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest --config config.toml list import smaller.md` refused for removing too many: the dry run it named, run as
    printed, opened the data folder's own (missing) database and was refused, not listing a single removal."""
    data = tmp_path / "data"
    database = tmp_path / "elsewhere" / "digest.sqlite3"
    database.parent.mkdir()
    config = settings_file(tmp_path, data, f"sqlite:///{database}")
    smaller = tmp_path / "smaller.md"
    smaller.write_text(seed_without_entries(6), encoding="utf-8")
    assert main(["--config", str(config), "candidates"]) == 0  # seeds
    told = refused_hint(capsys, ["--config", str(config), "list", "import", str(smaller)], 1, "would remove 6")
    assert main(told[1:]) == 0  # run as printed
    assert capsys.readouterr().out.count("\n  - ") == 6


def test_a_copy_from_a_newer_schema_names_the_from_file_and_leaves_no_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_file = old_deployment(tmp_path / "old")
    with sqlite3.connect(old_file) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0999'")  # what a newer release leaves
    new = tmp_path / "data4"
    capsys.readouterr()
    assert main(["--data-dir", str(new), "database", "copy", "--from", str(old_file)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"{old_file} (--from): the database is at schema revision 0999" in error, error
    assert not new.exists()


def test_a_database_url_shown_without_its_password_says_what_stands_for_it(
    tmp_path: Path,
    postgres_server: PostgresServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "data"
    old_file = old_deployment(data)
    with postgres_server.fresh_database() as url:
        with_password = url.replace("postgres@", "postgres:s3cret-word@")  # the test server trusts every password
        monkeypatch.setenv("DIGEST_DATABASE_URL", with_password)
        seen(capsys, data, "database", "copy", "--from", str(old_file))
        monkeypatch.delenv("DIGEST_DATABASE_URL")
        capsys.readouterr()
        assert main(["--data-dir", str(data), "candidates"]) == 2
        error = capsys.readouterr().err
    assert error.count("\n") == 1 and "s3cret-word" not in error, error
    assert "postgres:***@" in error and "*** stands for its password" in error, error
