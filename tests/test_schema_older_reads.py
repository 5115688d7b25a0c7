"""A command that only reads, on a database an older release made: the README asks for a backup taken before an
upgrade, and an operator who looks first (`digest candidates`) must find the database still as the older release left
it. Real SQLite files, real Alembic, real processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

import digest.storage.db as db
from digest.config.invocation import digest_command
from digest.storage.db import alembic_config, create_database_engine, migration_heads
from tests.data_folders import run
from tests.schema_versions import database_at

OLDER = "0012"  # an older release's schema (as tests/test_schema_upgrades.py downgrades it)
NEWEST = ", ".join(sorted(migration_heads() or ["?"]))


def _revision(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]


@pytest.mark.parametrize(
    "arguments", [["candidates"], ["history"], ["decisions", "list"], ["list", "export", "-o", "out.md"]]
)
def test_a_reading_command_on_an_older_schema_leaves_it_and_says_so_in_one_line(
    data_dir: Path, arguments: list[str]
) -> None:
    """`digest candidates` upgraded an older release's database at once, before the backup the README asks for: the
    command now reads nothing, leaves the file byte for byte as it was, and says in one line which revision it found
    and what upgrades it; a command that writes then upgrades it as before."""
    assert run(data_dir, "list", "export", "-o", str(data_dir.parent / "before.md")) == 0
    path = data_dir / "digest.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}")
    try:
        command.downgrade(alembic_config(engine), OLDER)  # the database as the release before left it
    finally:
        engine.dispose()
    before = path.read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "digest", "--data-dir", str(data_dir), *arguments],
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and done.stdout == "", done.stderr[-600:]
    assert done.stderr.splitlines() == [
        f"digest: the database is at schema revision {OLDER}, from an older release (this one's is {NEWEST}); a "
        f"command that only reads leaves it so: back it up, then `{digest_command('run', data_dir=data_dir)}` (or a "
        "command that writes) upgrades it"
    ]
    assert path.read_bytes() == before and _revision(path) == [OLDER]
    assert not (data_dir.parent / "out.md").exists()
    assert run(data_dir, "list", "import", str(data_dir / "list.md")) == 0  # a command that writes upgrades it
    assert _revision(path) == [NEWEST]
    assert run(data_dir, *arguments) == 0


def test_a_reading_command_that_finds_the_schema_made_meanwhile_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`digest candidates` started together with another command on a new database: it found no schema, then read the
    revision again as the other committed its upgrade, and refused the database made meanwhile as "from an older
    release (this one's is 0031)" (a window test_commands_started_together_after_an_upgrade_all_run[postgresql-None]
    can meet under load). It opens the database."""
    url = f"sqlite:///{tmp_path / 'digest.sqlite3'}"
    first_look = db.schema_at_head

    def the_other_upgrades_meanwhile(engine: Engine) -> bool:
        at_head = first_look(engine)  # nothing there yet
        monkeypatch.setattr(db, "schema_at_head", first_look)
        database_at("head", url)  # the other process's upgrade, committed before this one reads again
        return at_head

    monkeypatch.setattr(db, "schema_at_head", the_other_upgrades_meanwhile)
    database = db.open_database(url, upgrading=False)
    try:
        with database.reading() as session:
            stored = set(session.scalars(text("SELECT version_num FROM alembic_version")))
    finally:
        database.dispose()
    assert stored == migration_heads()
