"""The database: engine, sessions, transactions and migrations. The only place that knows which database it is.

SQLite gets WAL and a busy timeout so the web server, the scheduler and the bot can share one file; every other
SQLAlchemy URL (PostgreSQL for a larger deployment) is used as given.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from digest.storage import failures
from digest.storage.connections import (
    listen_as_sqlite,
    on_postgresql_connect,
    open_without_creating,
    postgresql_arguments,
    read_only_address,
)
from digest.storage.failures import (
    cannot_open,
    failed_step,
    failure_line,
    missing_driver,
    not_sqlite,
    other_encoding,
    unreadable_file,
    unwritable_file,
)
from digest.storage.private import make_private
from digest.storage.revisions import OlderSchemaError, newer_schema, read_revisions

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# PostgreSQL transaction-scoped advisory locks (bigint keys; the service's own lock is in storage/datalock.py): one
# process migrates at a time, and `transaction(exclusive=True)` blocks take turns.
MIGRATION_LOCK_KEY = 0x4157_4453_4D49_4752
EXCLUSIVE_LOCK_KEY = 0x4157_4453_5752_5445


class DatabaseError(Exception):
    """The database cannot be opened or written (full disk, read-only folder, unreachable server)."""


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self, *, one_snapshot: bool = False, exclusive: bool = False) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls everything back when it raises.

        On SQLite the write lock is taken first (BEGIN IMMEDIATE): another process's write then waits for this one
        whole, or this one for it, so what the block reads is still true when it writes. (Python's sqlite3 would
        begin only at the first write, after the reads: a decision could then approve what the CLI had rejected a
        moment before.) PostgreSQL code locks the rows it will change (SELECT ... FOR UPDATE).

        `one_snapshot`: on PostgreSQL every statement reads the state of the first (REPEATABLE READ), and a row another
        transaction changed meanwhile fails this one (DBAPIError) instead of being overwritten; for a block that writes
        back what it read as a whole (SQLite's write lock already gives that).

        `exclusive`: on PostgreSQL too the block waits, before it reads anything, until no other exclusive block runs
        (a transaction-scoped advisory lock); for a block that inserts or renumbers rows after finding them missing
        or reading their order (a paper a poll and `digest add` both found, two approvals into one section), which
        no row lock can cover. Take nothing else first: the lock comes before every row lock."""
        session = self.sessions()
        try:
            if self.engine.dialect.name == "sqlite":
                session.execute(text("BEGIN IMMEDIATE"))
            elif one_snapshot:
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            if exclusive and self.engine.dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EXCLUSIVE_LOCK_KEY})
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
        finally:
            # close() ends the transaction without expiring what was loaded, so results stay usable.
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def create_database_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        plain_file = database not in ("", ":memory:") and not parsed.query and not database.startswith("file:")
        if plain_file:  # not a URI filename, nor read-only
            make_private(Path(database))
        engine = create_engine(url, connect_args={"timeout": failures.BUSY_TIMEOUT_MS / 1000})
        listen_as_sqlite(engine)
        if plain_file:
            open_without_creating(engine, Path(database))
        return engine
    # PostgreSQL's driver decodes text in the connection's encoding, which is the database's by default: a database
    # created as SQL_ASCII (what `createdb` makes on a cluster set up under the C locale) handed back bytes, and
    # SQLAlchemy failed on its very first query. UTF-8 is asked for; open_database refuses a database not in UTF8.
    extra = {"connect_args": postgresql_arguments(parsed.query)} if parsed.get_backend_name() == "postgresql" else {}
    try:
        engine = create_engine(url, pool_pre_ping=True, **extra)
    except ImportError as exc:
        raise DatabaseError(f"the database URL {missing_driver(url, exc)}") from None
    if parsed.get_backend_name() == "postgresql":
        event.listen(engine, "connect", on_postgresql_connect)
    return engine


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def _migration_revisions() -> tuple[set[str], set[str]] | None:
    return read_revisions(MIGRATIONS_DIR / "versions")


def migration_heads() -> set[str] | None:
    """The newest revisions in the migrations folder, read from the files; None when a file does not say plainly."""
    found = _migration_revisions()
    return found[1] if found is not None else None


def _stored_revisions(engine: Engine) -> set[str] | None:
    try:
        with engine.connect() as connection:
            return set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except DBAPIError:  # no table yet: a new database
        return None


def has_schema(engine: Engine) -> bool:
    """Whether the database was made by this service's migrations (any release): it names its schema revision."""
    return bool(_stored_revisions(engine))


def schema_at_head(engine: Engine) -> bool:
    """True when the database's schema is already at the newest migration, found without importing Alembic (a
    tenth of a second that every command would pay for nothing); any doubt answers False."""
    heads = migration_heads()
    return heads is not None and _stored_revisions(engine) == heads


def migrate(engine: Engine, *, upgrading: bool = True) -> None:
    """Brings the schema to the newest migration (a new database is created from nothing). A database migrated by a
    newer release (the code rolled back) is refused in one line: this release cannot know its schema. Not `upgrading`
    (a command that only reads), one an older release made is refused too (OlderSchemaError), and left as it is."""
    if schema_at_head(engine):
        return
    stored, heads = _refuse_newer(engine), migration_heads()
    if stored and stored == heads:  # made (or upgraded) meanwhile by a process started together: not an older one
        return
    if stored and heads and not upgrading:
        raise OlderSchemaError(stored, heads)
    applied = _upgrade(engine)
    if stored and applied:
        # An existing database, upgraded by this command: said once, whatever the command (a warning, so a command
        # that logs nothing else shows it too), since the backup taken before is what a step back would need.
        log.warning("database: upgraded from schema revision %s to %s; keep the backup taken before the upgrade until "
                    "this release has run (an older release refuses the database now)", ", ".join(sorted(stored)),
                    applied[-1])  # fmt: skip


def _refuse_newer(engine: Engine) -> set[str] | None:
    """The revisions the database names (None for a new one); one a newer release wrote is refused in one line."""
    found, stored = _migration_revisions(), _stored_revisions(engine)
    if found is not None and stored and not stored <= found[0]:
        raise DatabaseError(newer_schema(stored, found[1]))
    return stored


def upgrade_schema(engine: Engine) -> list[str]:
    """Runs Alembic's upgrade to the newest revision; the revisions this process applied (none when another process
    upgraded it first)."""
    from alembic import command

    config = alembic_config(engine)
    applied: list[str] = []
    config.attributes["applied"] = applied
    stored = sorted(_stored_revisions(engine) or ())
    try:
        command.upgrade(config, "head")
    except DBAPIError as exc:
        if exc.statement is None:  # no statement ran: the database could not be opened, said as such by the caller
            raise
        reason = failure_line(exc, engine.url.render_as_string())
        raise DatabaseError(failed_step(config, applied, stored, reason)) from None
    return applied


# How `migrate` runs Alembic: in this process, or in a child one (the service: storage/upgrade.py).
_upgrade: Callable[[Engine], list[str]] = upgrade_schema


def upgrade_with(upgrade: Callable[[Engine], list[str]]) -> None:
    """Makes `migrate` run Alembic through `upgrade` (the engine in, the revisions it applied out) from now on."""
    global _upgrade
    _upgrade = upgrade


def refuse_foreign_sqlite(url: str, named_by: str = "--data-dir or DIGEST_DATABASE_URL") -> None:
    """A SQLite file with tables but no schema revision belongs to another application (a mistyped path or
    DIGEST_DATABASE_URL): opening it as ours would switch it to WAL and create this service's tables in it. Read
    through a read-only connection, before the engine's first connection changes anything."""
    parsed = make_url(url)
    path = Path(parsed.database or "")
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") or parsed.query:
        return
    if not path.is_file() or path.stat().st_size == 0:
        return
    if not_sqlite(path):  # before the engine's first connection makes it owner-only (private.make_private)
        raise DatabaseError(
            f"{path} is not a SQLite database file; nothing was written to it. Point {named_by} at this service's "
            "database, or at a new file"
        )
    try:
        connection = sqlite3.connect(read_only_address(path), uri=True)
        try:
            query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            tables = [str(row[0]) for row in connection.execute(query)]
        finally:
            connection.close()
    except sqlite3.Error:
        return  # not a database at all, or unreadable: the engine's own error says so
    if tables and "alembic_version" not in tables:
        shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
        raise DatabaseError(
            f"{path} is not a digest database (it holds the tables {shown} and no schema revision of this "
            f"service); nothing was written to it. Point {named_by} at this service's database, or at a new file"
        )


def _refuse_other_encodings(engine: Engine, url: str) -> None:
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        refused = other_encoding(connection, url)
    if refused:
        raise DatabaseError(refused)


def open_database(
    url: str,
    *,
    migrate_schema: bool = True,
    upgrading: bool = True,
    named_by: str = "--data-dir or DIGEST_DATABASE_URL",
) -> Database:
    """The database at `url`, upgraded to this release's schema unless told not to (`upgrading` False: only a new one
    is made, see migrate); `named_by` is what chose it, for the refusal of another application's file."""
    unreadable = unreadable_file(url)
    if unreadable:
        raise DatabaseError(unreadable)
    unwritable = unwritable_file(url)
    if unwritable:  # SQLite would open it read-only without a word, and fail at the first write
        raise DatabaseError(unwritable)
    refuse_foreign_sqlite(url, named_by)
    engine = create_database_engine(url)
    try:
        _refuse_other_encodings(engine, url)
        if migrate_schema:
            migrate(engine, upgrading=upgrading)
    except (DatabaseError, OlderSchemaError):
        engine.dispose()
        raise
    except OperationalError as exc:
        engine.dispose()
        raise DatabaseError(cannot_open(url, exc)) from exc
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
