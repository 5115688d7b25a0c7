"""Upgrading a data folder's schema as operators meet it: a step that fails half way (a full disk, a stopped
container), several commands started together after an upgrade, and a database a newer release migrated (the code
rolled back). Real SQLite files, real Alembic, real processes."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text

import digest.storage.db as db
from digest import resources
from digest.awesome import store as liststore
from digest.cli.program import main
from digest.storage.db import DatabaseError, alembic_config, create_database_engine, open_database
from digest.storage.models import Entry
from tests.postgres_server import postgres_server  # noqa: F401  (fixture)
from tests.processes import Spawned
from tests.schema_versions import database_at


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_migration_that_fails_half_way_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step 0003 fails after its first table was made: the schema is left at 0002 whole, and once the disk has room
    again the upgrade simply runs (Python's sqlite3 used to commit each table as it was made)."""
    path = tmp_path / "digest.sqlite3"
    url = database_at("0002", path)
    before = _tables(path)
    broken = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS_DIR, broken)
    step = broken / "versions" / "0003_learning.py"
    source = step.read_text(encoding="utf-8")
    marker = "    with op.batch_alter_table('candidates', schema=None) as batch_op:\n        batch_op.add_column"
    assert marker in source and source.index("op.create_table") < source.index(marker)
    step.write_text(source.replace(marker, "    raise OSError(28, 'No space left on device')\n" + marker, 1))
    monkeypatch.setattr(db, "MIGRATIONS_DIR", broken)
    with pytest.raises(OSError):
        open_database(url)
    assert _tables(path) == before
    monkeypatch.undo()
    database = open_database(url)
    with database.reading() as session:
        assert session.scalar(text("SELECT version_num FROM alembic_version")) == sorted(db.migration_heads() or [])[0]
    database.dispose()


@pytest.mark.parametrize(("backend", "revision"), [("sqlite", "0002"), ("postgresql", "0002"), ("postgresql", None)])
def test_commands_started_together_after_an_upgrade_all_run(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str, revision: str | None, spawned: Spawned
) -> None:
    """The service restarting while cron runs `digest poll`: each process finds the old schema (or, the first time,
    none); the first upgrades it and the others wait for it, then find it done (they used to fail with "table ...
    already exists"). Each also finds the list missing and imports the bundled one: the others then find it there.
    On PostgreSQL they used to fail with "duplicate key value violates unique constraint". A command that writes (the
    bundled list imported again) upgrades; one that only reads upgrades nothing, but makes a new database."""
    failures: list[str] = []
    for attempt in range(3 if backend == "sqlite" else 2):
        data_dir = tmp_path / f"data{attempt}"
        data_dir.mkdir()
        with contextlib.ExitStack() as stack:
            environment = {key: value for key, value in os.environ.items() if key != "DIGEST_DATABASE_URL"}
            if backend == "postgresql":
                server = request.getfixturevalue("postgres_server")
                url = stack.enter_context(server.fresh_database())
                environment["DIGEST_DATABASE_URL"] = url
            else:
                url = f"sqlite:///{data_dir / 'digest.sqlite3'}"
            arguments = ["candidates"]
            if revision is not None:
                database_at(revision, url)
                arguments = ["list", "import", str(resources.seed_list_path())]
            runs = [
                spawned.add(
                    subprocess.Popen(
                        [sys.executable, "-m", "digest", "--data-dir", str(data_dir), *arguments],
                        cwd=tmp_path,
                        env=environment,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                )
                for _ in range(4)
            ]
            failures += [
                err.strip()[-300:] for run in runs for _, err in [run.communicate(timeout=180)] if run.returncode != 0
            ]
            database = open_database(url)
            try:
                with database.reading() as session:
                    markdown = liststore.render_markdown(session, resources.templates_dir())
                    entries = session.scalar(select(func.count()).select_from(Entry))
            finally:
                database.dispose()
            assert markdown.encode("utf-8") == resources.seed_list_path().read_bytes() and entries == 72
    assert failures == []


def _newer(data_dir: Path) -> None:
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(data_dir.parent / "x.md")]) == 0
    with sqlite3.connect(data_dir / "digest.sqlite3") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")  # what a newer release leaves


@pytest.mark.parametrize("arguments", [["candidates"], ["run", "--once"]])
def test_a_database_a_newer_release_migrated_is_refused_in_one_line(data_dir: Path, arguments: list[str]) -> None:
    _newer(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "digest", "--data-dir", str(data_dir), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr[-600:]
    assert "schema revision 0099, newer than this release" in lines[0]


def test_opening_a_newer_database_says_so(tmp_path: Path) -> None:
    path = tmp_path / "digest.sqlite3"
    url = database_at("head", path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(DatabaseError, match="restore the backup taken before"):
        open_database(url)


def test_undoing_the_feed_key_step_keeps_every_entry_of_the_list(data_dir: Path) -> None:
    """Rolling the schema back from 0013 to 0012 (an operator returning to the release before, `alembic downgrade`)
    dropped the papers table to rebuild it without the column: with SQLite's foreign keys on, that deleted every entry
    of the list (ON DELETE CASCADE). The column goes, the list stays."""
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(data_dir.parent / "before.md")]) == 0
    engine = create_database_engine(f"sqlite:///{data_dir / 'digest.sqlite3'}")
    try:
        with engine.connect() as connection:
            entries = connection.scalar(select(func.count()).select_from(Entry))
        assert entries
        command.downgrade(alembic_config(engine), "0012")
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Entry)) == entries
            assert "feed_key" not in {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(papers)")}
        command.upgrade(alembic_config(engine), "head")
    finally:
        engine.dispose()
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(data_dir.parent / "after.md")]) == 0
    assert (data_dir.parent / "after.md").read_bytes() == (data_dir.parent / "before.md").read_bytes()


def test_undoing_the_steps_that_rebuild_the_candidates_table_keeps_every_decision(data_dir: Path) -> None:
    """Rolling the schema back past 0010 (`alembic downgrade`, to return to an older release) rebuilt `candidates`
    without the dropped column; with SQLite's foreign keys on, dropping the old table deleted every decision and
    audit row that pointed at a candidate (ON DELETE CASCADE). Migrations now run with the foreign keys off."""
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor
    from digest.service.wiring import open_service_database
    from digest.storage.models import Decision
    from tests.conftest import make_settings
    from tests.factories import insert_candidate, real_papers

    settings = make_settings(data_dir)
    database = open_service_database(settings)
    try:
        candidate = insert_candidate(database, real_papers()[0])
        Reviewer(database, settings).decide(candidate, "approve", Actor("ann", None, "cli"))
        with database.reading() as session:
            decisions = session.scalar(select(func.count()).select_from(Decision))
    finally:
        database.dispose()
    assert decisions
    engine = create_database_engine(f"sqlite:///{data_dir / 'digest.sqlite3'}")
    try:
        command.downgrade(alembic_config(engine), "0009")
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Decision)) == decisions
        command.upgrade(alembic_config(engine), "head")
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Decision)) == decisions
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again for the service
    finally:
        engine.dispose()


def _digest(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "digest", "--data-dir", str(data_dir), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_first_command_after_an_upgrade_says_the_database_was_upgraded(data_dir: Path) -> None:
    """An operator's first command on the release after (`digest list import`, say) migrated the database without a
    word: nothing told them the schema had moved on, so that the backup taken before is what going back needs. That
    command says it in one line; the next says nothing, and neither does a new database's creation. (A command that
    only reads upgrades nothing: test_schema_older_reads.py.)"""
    made = _digest(data_dir, "candidates")
    assert made.returncode == 0 and "upgraded" not in made.stderr, made.stderr[-600:]
    engine = create_database_engine(f"sqlite:///{data_dir / 'digest.sqlite3'}")
    try:
        command.downgrade(alembic_config(engine), "0012")  # the database as the release before left it
    finally:
        engine.dispose()
    first = _digest(data_dir, "list", "import", str(data_dir / "list.md"))
    assert first.returncode == 0, first.stderr[-600:]
    lines = [line for line in first.stderr.splitlines() if "upgraded" in line]
    assert len(lines) == 1 and "from schema revision 0012 to 0035" in lines[0], first.stderr[-600:]
    assert "keep the backup" in lines[0]
    again = _digest(data_dir, "candidates")
    assert again.returncode == 0 and "upgraded" not in again.stderr, again.stderr[-600:]


def test_an_upgrade_that_fails_stops_the_service_in_one_line(data_dir: Path) -> None:
    """The service upgrades the schema in a child process (so Alembic does not stay in its memory): a step that fails
    there still stops the start, in one line naming why, and leaves the database at its old revision."""
    assert _digest(data_dir, "candidates").returncode == 0
    path = data_dir / "digest.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}")
    try:
        command.downgrade(alembic_config(engine), "0002")
    finally:
        engine.dispose()
    with sqlite3.connect(path) as connection:  # what step 0003 creates, there already (a restore gone wrong)
        connection.execute("CREATE TABLE stream_papers (id INTEGER)")
    done = _digest(data_dir, "run", "--once")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr[-600:]
    assert lines[0] == (
        "digest: the schema upgrade failed at migration step 0003_learning: table stream_papers already exists; the"
        " database stays at schema revision 0002"
    ), lines
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [("0002",)]


def test_the_below_tiers_step_keeps_each_candidate_and_its_tier_both_ways(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """0014 marks a pending paper a new version put below both tiers. A database from before keeps its candidates, the
    second tier where it was (nothing says otherwise until a new version is judged); going back to 0013 drops only the
    column, and every candidate and decision stays."""
    from digest.service.wiring import open_service_database
    from digest.storage.models import Candidate, Decision
    from tests.conftest import make_settings
    from tests.factories import insert_candidate, real_papers

    settings = make_settings(data_dir)
    database = open_service_database(settings)
    try:
        first = insert_candidate(database, real_papers()[0], relevant=True)
        second = insert_candidate(database, real_papers()[1], relevant=False)
        with database.transaction() as session:
            session.add(
                Decision(candidate_id=second, action="revert", actor="ann", channel="cli", at=datetime.now(UTC))
            )
    finally:
        database.dispose()
    engine = create_database_engine(f"sqlite:///{data_dir / 'digest.sqlite3'}")
    try:
        command.downgrade(alembic_config(engine), "0013")
        with engine.connect() as connection:
            assert "below_tiers" not in {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(candidates)")}
            assert connection.scalar(select(func.count()).select_from(Decision)) == 1
            assert connection.exec_driver_sql("SELECT count(*) FROM candidates").scalar() == 2
        command.upgrade(alembic_config(engine), "head")
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Decision)) == 1
            assert connection.scalar(select(func.count()).select_from(Candidate)) == 2
    finally:
        engine.dispose()
    assert main(["--data-dir", str(data_dir), "candidates", "--second-tier", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted((row["id"], row["tier"]) for row in rows) == [(first, "review"), (second, "second")]
