"""A PostgreSQL server that is down, accepts and never answers, or holds a database not in UTF8: each command
fails in one line, within the connect timeout, without the password, and writes nothing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect

from digest.cli import main
from digest.storage.db import create_database_engine
from tests.postgres_server import PostgresServer, postgres_server, silent_server  # noqa: F401  (fixtures)


def test_a_server_that_is_down_is_one_line_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PostgreSQL server stopped for maintenance (or a wrong port): every command answered with two lines, the
    driver's "Is the server running on that host and accepting TCP/IP connections?" on a tab-indented line of its
    own, which log collectors take for a second message. Now one line, naming the server but never the password."""
    pytest.importorskip("psycopg")
    with socket.socket() as probe:  # a port nothing listens on once closed: a server that is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"postgresql+psycopg://digest:S3cret-pw@127.0.0.1:{port}/digest")
    for command in (["candidates"], ["history"], ["list", "export"], ["approve", "1"]):
        capsys.readouterr()
        assert main(["--data-dir", str(tmp_path / "data"), *command]) == 1
        error = capsys.readouterr().err.strip()
        assert error.count("\n") == 0, error
        assert f"127.0.0.1:{port}" in error and "Connection refused" in error and "S3cret" not in error


@pytest.mark.parametrize(("in_url", "bound"), [("", 10.0), ("?connect_timeout=3", 3.0)])
def test_a_server_that_accepts_and_never_answers_fails_the_command_within_the_connect_timeout(
    tmp_path: Path, in_url: str, bound: float
) -> None:
    """A PostgreSQL host that takes the connection and then says nothing (a hung server, a firewall that swallows
    packets past the handshake): every command and every page view waited psycopg's default of 130 seconds before
    failing. Now the connection is given up after 10 seconds with one line; a connect_timeout written in the URL is
    the user's and is kept."""
    pytest.importorskip("psycopg")
    with silent_server() as (port, held):  # accepts, reads nothing, answers nothing
        environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        environment["DIGEST_DATABASE_URL"] = f"postgresql+psycopg://digest:S3cret-pw@127.0.0.1:{port}/digest{in_url}"
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "digest", "--data-dir", str(tmp_path / "data"), "candidates"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=bound + 30,
            check=False,
        )
    elapsed = time.monotonic() - started
    assert held, "the command never connected"
    assert done.returncode == 1, done.stderr
    error = done.stderr.strip()
    assert error.count("\n") == 0 and "Traceback" not in error, error
    assert f"127.0.0.1:{port}" in error and "timeout" in error and "S3cret" not in error, error
    assert bound - 1 <= elapsed < bound + 15, elapsed


@pytest.mark.parametrize("encoding", ["SQL_ASCII", "LATIN1"])
def test_a_database_not_in_utf8_is_refused_in_one_line_before_anything_is_written(
    tmp_path: Path,
    postgres_server: PostgresServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    encoding: str,
) -> None:
    """`createdb` on a cluster set up under the C locale makes SQL_ASCII databases, and a LATIN1 one is a typo away.
    On SQL_ASCII every command ended in a traceback from SQLAlchemy's first query (the driver handed back bytes); on
    LATIN1 the first start failed importing the bundled list (its headings carry emoji) with a UnicodeEncodeError
    traceback. Now one line says what the database is and how to create one that holds every title."""
    with postgres_server.fresh_database(encoding) as url:
        monkeypatch.setenv("DIGEST_DATABASE_URL", url)
        for command in (["candidates"], ["list", "export"]):
            capsys.readouterr()
            assert main(["--data-dir", str(tmp_path / "data"), *command]) == 1
            error = capsys.readouterr().err.strip()
            assert error.count("\n") == 0, error
            assert f"is in the encoding {encoding}, not UTF8" in error and "createdb -E UTF8 -T template0" in error
        engine = create_database_engine(url)
        try:
            assert inspect(engine).get_table_names() == []  # nothing was written
        finally:
            engine.dispose()


def test_a_database_not_in_utf8_is_named_without_a_password_given_in_the_query(
    tmp_path: Path,
    postgres_server: PostgresServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """libpq reads a password from the URL's query (`?password=`) as well as before the '@'. The refusal of a database
    not in UTF8 named the database with that password in plain text, on stderr and in the service's log; every other
    line about the database hid it. Now it is hidden there too, as in those."""
    with postgres_server.fresh_database("LATIN1") as url:
        monkeypatch.setenv("DIGEST_DATABASE_URL", url + "?password=S3cret-query-pw")
        assert main(["--data-dir", str(tmp_path / "data"), "candidates"]) == 1
        error = capsys.readouterr().err.strip()
    assert "is in the encoding LATIN1, not UTF8" in error and "digest_test_" in error, error
    assert "S3cret" not in error, error
