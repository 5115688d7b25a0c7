"""After `digest database copy` moved a data folder's deployment to another database, a command run on that folder
without the new database named (DIGEST_DATABASE_URL left out of one shell or a cron job) is refused in one line: it
used to read the old SQLite file still in the folder, decide on it, and write that stale list over list.md."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from digest.cli import main
from tests.database_moving import old_deployment, seen, target_url  # noqa: F401  (target_url: a fixture)
from tests.postgres_server import PostgresServer, postgres_server, postgres_url  # noqa: F401  (fixtures)


def postgres_client(command: list[str], given: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """One of PostgreSQL's own programs (pg_dump, pg_restore) run to the end, `given` on its standard input."""
    return subprocess.run(command, input=given, env={"PATH": "/usr/bin:/bin"}, check=True, capture_output=True)


def decisions_in(database_file: Path) -> int:
    with sqlite3.connect(database_file) as connection:
        return int(connection.execute("SELECT count(*) FROM decisions").fetchone()[0])


def test_a_command_left_on_the_old_database_after_the_move_is_refused_and_changes_nothing(
    tmp_path: Path,
    target_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "data"
    old_file = old_deployment(data)
    monkeypatch.setenv("DIGEST_DATABASE_URL", target_url)
    seen(capsys, data, "database", "copy", "--from", str(old_file))
    pending = [row["arxiv_id"] for row in json.loads(seen(capsys, data, "candidates", "--status", "pending", "--json"))]
    seen(capsys, data, "approve", pending[0])  # on the new database, as the service there would
    listed = (data / "list.md").read_bytes()
    assert pending[0].encode() in listed
    decisions_before = decisions_in(old_file)

    monkeypatch.delenv("DIGEST_DATABASE_URL")  # a shell (or cron job) without the new database named
    for command in (["approve", pending[1]], ["candidates"], ["run", "--once"]):
        capsys.readouterr()
        assert main(["--data-dir", str(data), *command]) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1, err
        assert "database copy" in err and "DIGEST_DATABASE_URL" in err and str(old_file) in err
    assert (data / "list.md").read_bytes() == listed  # the new database's list stays in the folder
    assert decisions_in(old_file) == decisions_before
    capsys.readouterr()
    assert main(["--data-dir", str(data), "config", "check"]) == 1
    assert "DIGEST_DATABASE_URL" in capsys.readouterr().out

    monkeypatch.setenv("DIGEST_DATABASE_URL", target_url)  # named again: the folder works as before
    seen(capsys, data, "approve", pending[1])
    assert pending[1].encode() in (data / "list.md").read_bytes()


def test_a_backup_copied_from_leaves_its_own_folder_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup file kept outside any data folder gets no note beside it; the data folder copied into does."""
    old_file = old_deployment(tmp_path / "old")
    backups = tmp_path / "backups"
    backups.mkdir()
    backup = backups / "backup.sqlite3"
    with sqlite3.connect(old_file) as source, sqlite3.connect(backup) as copy:
        source.backup(copy)
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    seen(capsys, tmp_path / "new", "database", "copy", "--from", str(backup))
    assert not (backups / "database.moved").exists() and (tmp_path / "new" / "database.moved").exists()
    assert seen(capsys, tmp_path / "new", "candidates")


def test_the_way_back_into_the_data_folders_own_file_says_to_move_the_old_one_aside(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's way back, DIGEST_DATABASE_URL unset "for the data folder's" file: that file is the one from before
    the move, and the copy refused it as holding data, saying only to copy into a new, empty database."""
    data = tmp_path / "data"
    old_file = old_deployment(data)
    monkeypatch.setenv("DIGEST_DATABASE_URL", postgres_url)
    seen(capsys, data, "database", "copy", "--from", str(old_file))
    pending = json.loads(seen(capsys, data, "candidates", "--status", "pending", "--json"))[0]["arxiv_id"]
    seen(capsys, data, "approve", pending)  # made on PostgreSQL
    monkeypatch.delenv("DIGEST_DATABASE_URL")
    decisions_before = decisions_in(old_file)
    capsys.readouterr()
    assert main(["--data-dir", str(data), "database", "copy", "--from", postgres_url]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and f"move {old_file} aside first" in error, error
    assert decisions_in(old_file) == decisions_before  # left as it was
    old_file.rename(old_file.with_name("digest.sqlite3.before-postgresql"))
    seen(capsys, data, "database", "copy", "--from", postgres_url)
    assert pending in seen(capsys, data, "candidates", "--status", "approved")  # the folder's file again, up to date


def test_a_used_folder_pointed_at_a_new_database_without_the_copy_is_told_the_copy_command(
    tmp_path: Path,
    target_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """DIGEST_DATABASE_URL set to a new, empty database before `digest database copy` was run: the refusal said only to
    restore a backup or to rebuild the list from its Markdown (which loses the candidates, the decisions and the audit
    log), never that the folder's own SQLite file holds all of it and `digest database copy` moves it."""
    data = tmp_path / "data"
    old_file = old_deployment(data)
    monkeypatch.setenv("DIGEST_DATABASE_URL", target_url)
    for command in (["poll"], ["candidates"]):
        capsys.readouterr()
        assert main(["--data-dir", str(data), *command]) == 1
        out, err = capsys.readouterr()
        assert out == "" and len(err.strip().splitlines()) == 1, err
        told = f"digest --data-dir {data} database copy --from {old_file}"
        assert told in err and "nothing was written" in err, err
    _, _, folder, *arguments = told.split()  # exactly what the line said
    seen(capsys, Path(folder), *arguments)
    assert json.loads(seen(capsys, data, "candidates", "--status", "approved", "--json"))  # the decisions came along


def test_a_pg_dump_restored_into_another_database_is_not_called_the_old_copy(
    tmp_path: Path,
    postgres_server: PostgresServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README backs PostgreSQL up with pg_dump and pg_restore: a dump restored into a new database and named in
    DIGEST_DATABASE_URL was refused as "the old copy, no longer kept up to date", which it is not."""
    data = tmp_path / "data"
    old_file = old_deployment(data)
    with postgres_server.fresh_database() as moved_to, postgres_server.fresh_database() as restored:
        monkeypatch.setenv("DIGEST_DATABASE_URL", moved_to)
        seen(capsys, data, "database", "copy", "--from", str(old_file))
        pending = json.loads(seen(capsys, data, "candidates", "--status", "pending", "--json"))[0]["arxiv_id"]
        seen(capsys, data, "approve", pending)
        binaries = postgres_server.bin_dir
        dump = postgres_client([str(binaries / "pg_dump"), "-Fc", "-d", plain(moved_to)])
        postgres_client([str(binaries / "pg_restore"), "-d", plain(restored)], dump.stdout)

        monkeypatch.setenv("DIGEST_DATABASE_URL", restored)
        capsys.readouterr()
        assert main(["--data-dir", str(data), "candidates"]) == 2
        error = capsys.readouterr().err.strip()
        assert error.count("\n") == 0 and "old copy" not in error, error
        assert f"if it is the one to use now (a backup restored into it), delete {data / 'database.moved'}" in error
        (data / "database.moved").unlink()  # as the line says
        assert pending in seen(capsys, data, "candidates", "--status", "approved")


def plain(url: str) -> str:
    """The libpq form of a SQLAlchemy URL, for the PostgreSQL client programs."""
    return url.replace("postgresql+psycopg://", "postgresql://")
