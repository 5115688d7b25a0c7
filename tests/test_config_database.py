"""`digest config check` opens the configured database, read-only and once: a database no command could use (a
server that refuses the password, a database that is not there, a file that is no database, a schema of a newer
release) was "configuration OK" until the first real command. Real SQLite files and the real PostgreSQL server."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from digest.cli import main
from digest.config.invocation import digest_command
from tests.postgres_server import PostgresServer, postgres_server, postgres_url, silent_server  # noqa: F401  (fixtures)
from tests.schema_versions import database_at


def check(capsys: pytest.CaptureFixture[str], data_dir: Path, *extra: str) -> tuple[int, str]:
    status = main(["--data-dir", str(data_dir), "config", "check", *extra])
    return status, capsys.readouterr().out


def lines_of(out: str, start: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(start)]


def test_a_new_data_folder_is_said_to_be_created_by_the_first_start_and_nothing_is_made(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = check(capsys, data_dir)
    assert status == 0 and "configuration OK" in out, out
    run = digest_command("run", data_dir=data_dir)  # the folder checked: run as printed, it starts on this one
    note = f"  note: the database {data_dir / 'digest.sqlite3'} does not exist yet: `{run}` creates its schema"
    assert any(line.startswith(note) for line in out.splitlines()), out
    assert not data_dir.exists()


def test_a_database_at_this_releases_schema_is_ok_and_left_as_it_was(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = data_dir / "digest.sqlite3"
    data_dir.mkdir()
    database_at("head", path)
    before = path.read_bytes()
    status, out = check(capsys, data_dir)
    assert status == 0 and "configuration OK" in out, out
    assert "note: the database" not in out and not lines_of(out, "warning: the database"), out
    assert path.read_bytes() == before and sorted(p.name for p in data_dir.iterdir()) == ["digest.sqlite3"]


def test_an_older_schema_says_which_command_upgrades_it_and_is_not_upgraded(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = data_dir / "digest.sqlite3"
    data_dir.mkdir()
    database_at("0012", path)
    status, out = check(capsys, data_dir)
    assert status == 0 and "configuration OK" in out, out
    [warning] = lines_of(out, "warning: the database is at schema revision 0012, older than this release's")
    assert f"`{digest_command('run', data_dir=data_dir)}` upgrades it when it starts" in warning
    # Read-only commands leave it at its revision (so that the backup can be taken first): the line said "as any
    # other command does", and an operator ran `digest candidates` believing the database upgraded.
    assert "as any other command" not in warning and "one that only reads leaves it as it is" in warning, warning
    assert main(["--data-dir", str(data_dir), "candidates"]) == 1
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [("0012",)]


def test_a_schema_of_a_newer_release_is_a_problem(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_dir / "digest.sqlite3"
    data_dir.mkdir()
    database_at("head", path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")  # what a newer release leaves
    status, out = check(capsys, data_dir)
    assert status == 1, out
    [problem] = lines_of(out, "problem: ")
    assert "schema revision 0099, newer than this release knows" in problem and "restore the backup" in problem
    status, out = check(capsys, data_dir, "--json")
    report = json.loads(out)
    assert status == 1 and report["valid"] is False and report["database"] == "ahead"
    assert any("newer than this release knows" in line for line in report["problems"]), report


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda path: path.write_text("# my list\n"), "is not a SQLite database file; nothing was written to it"),
        (lambda path: path.mkdir(), "is a folder, not a SQLite file"),
        (lambda path: path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 84), "cannot open the database"),
    ],
    ids=["text", "folder", "cut-short"],
)
def test_a_file_that_is_no_usable_database_is_a_problem(
    data_dir: Path, capsys: pytest.CaptureFixture[str], make: object, said: str
) -> None:
    path = data_dir / "digest.sqlite3"
    data_dir.mkdir()
    make(path)  # type: ignore[operator]
    status, out = check(capsys, data_dir)
    assert status == 1 and "configuration OK" not in out, out
    [problem] = lines_of(out, "problem: ")
    assert str(path) in problem and said in problem, problem


def _pg_check(capsys: pytest.CaptureFixture[str], data_dir: Path, url: str, *extra: str) -> tuple[int, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIGEST_DATABASE_URL", url)
        patch.setenv("DIGEST_DATA_DIR", str(data_dir))
        return check(capsys, data_dir, *extra)


def _role_with_password(server: PostgresServer, role: str, password: str) -> None:
    """A role that signs in with its password (the test cluster trusts everyone else)."""
    hba = server.data_dir / "pg_hba.conf"
    rule = f"host all {role} 127.0.0.1/32 scram-sha-256\n"
    if rule not in hba.read_text():
        hba.write_text(rule + hba.read_text())
    server._admin(
        f"DO $$BEGIN CREATE ROLE {role} LOGIN PASSWORD '{password}'; EXCEPTION WHEN duplicate_object THEN NULL; END$$"
    )
    server._admin("SELECT pg_reload_conf()")


def test_postgresql_that_refuses_the_password_or_lacks_the_database_is_a_problem_without_the_password(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    postgres_server: PostgresServer,  # noqa: F811
    postgres_url: str,  # noqa: F811
) -> None:
    _role_with_password(postgres_server, "digest_pw", "right-one-4")
    wrong = postgres_url.replace("postgres@", "digest_pw:S3cret-wrong@")
    missing = postgres_server.url("no_such_database").replace("postgres@", "postgres:S3cret-pw@")
    for url, reason in ((wrong, 'password authentication failed for user "digest_pw"'), (missing, "does not exist")):
        status, out = _pg_check(capsys, data_dir, url)
        assert status == 1 and "configuration OK" not in out, out
        [problem] = lines_of(out, "problem: ")
        assert problem.startswith("problem: cannot open the database postgresql+psycopg://") and reason in problem
        assert "S3cret" not in out, out
        status, out = _pg_check(capsys, data_dir, url, "--json")
        assert status == 1 and json.loads(out)["database"] == "refused" and "S3cret" not in out


def test_a_new_postgresql_database_is_said_to_be_created_by_the_first_start_and_stays_empty(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    postgres_url: str,  # noqa: F811
) -> None:
    from sqlalchemy import create_engine, inspect

    status, out = _pg_check(capsys, data_dir, postgres_url)
    assert status == 0 and "configuration OK" in out, out
    assert any(
        line.startswith("  note: the database postgresql+psycopg://") and "is new" in line for line in out.split("\n")
    )
    engine = create_engine(postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_a_host_that_never_answers_is_a_problem_within_seconds(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("psycopg")
    with silent_server() as (port, held):  # accepts, reads nothing, answers nothing
        started = time.monotonic()
        url = f"postgresql+psycopg://digest:S3cret-pw@127.0.0.1:{port}/digest?connect_timeout=60"
        status, out = _pg_check(capsys, data_dir, url)
    assert time.monotonic() - started < 9
    assert held and status == 1, out
    [problem] = lines_of(out, "problem: ")
    assert f"127.0.0.1:{port}" in problem and "timeout" in problem and "S3cret" not in out
