"""How the configured database stands, found without changing it (`digest config check`): reachable or why not, new,
at this release's schema, behind it or ahead of it; and the list's sections it holds. Opened read-only, with a short
connect timeout."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from digest.storage.connections import postgresql_arguments, read_only_address
from digest.storage.db import MIGRATIONS_DIR, DatabaseError, refuse_foreign_sqlite
from digest.storage.failures import cannot_open, other_encoding, shown_database_url, sqlite_file
from digest.storage.models import Section
from digest.storage.revisions import newer_schema, read_revisions

# A host that does not answer must not hold the check for the commands' own ten seconds (storage/connections.py).
PROBE_TIMEOUT_SECONDS = 4


def first_start(run: str) -> str:
    """`run` is the service's own `digest ... run`, so that run as printed it starts on this database."""
    return f"`{run}` creates its schema at its first start (as any other command does)"


class Standing(StrEnum):
    NEW = "new"  # no schema yet: the first start creates it
    CURRENT = "current"  # at this release's schema
    BEHIND = "behind"  # an older release's schema: the first start upgrades it
    AHEAD = "ahead"  # a newer release's schema: this release refuses it
    REFUSED = "refused"  # cannot be opened, or is no database of this service's


@dataclass(frozen=True)
class DatabaseStanding:
    standing: Standing
    line: str  # what to say, one line; empty for a database at this release's schema


def database_standing(url: str, named_by: str, run: str) -> DatabaseStanding:
    """How the database at `url` stands; creates, migrates and writes nothing (a SQLite file that is not there is not
    made). `named_by` is what chose it, for the refusal of another application's file; `run` is the command that
    starts the service on it (`digest --config F --data-dir D run`), which its lines name."""
    if make_url(url).get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is None or make_url(url).query:
            return DatabaseStanding(Standing.CURRENT, "")  # in memory, or a URI SQLite reads itself: nothing to open
        try:
            early = _sqlite_file_standing(path, url, named_by, run)
        except OSError as exc:
            return DatabaseStanding(Standing.REFUSED, f"cannot read the database {path}: {exc.strerror or exc}")
        if early is not None:
            return early
    try:
        engine = _read_only_engine(url)
    except (ImportError, SQLAlchemyError, ValueError):
        return DatabaseStanding(Standing.CURRENT, "")  # an unusable URL: said on its own line by `config check`
    try:
        with engine.connect() as connection:
            return _standing(connection, url, run)
    except DBAPIError as exc:
        return DatabaseStanding(Standing.REFUSED, cannot_open(url, exc))
    finally:
        engine.dispose()


def stored_sections(url: str) -> list[tuple[str, str, int, str]]:
    """The list's sections as the database at `url` holds them, in the list's order, each (name, slug, level, kind):
    what the service's start, Discord's reactions and the review read. Empty when it holds none or they cannot be
    read; asked of a database `database_standing` found at this release's schema or an older one. Changes nothing."""
    if make_url(url).get_backend_name() == "sqlite" and (sqlite_file(url) is None or make_url(url).query):
        return []  # in memory, or a URI SQLite reads itself (database_standing opens neither)
    read = select(Section.name, Section.slug, Section.level, Section.kind).order_by(Section.position)
    try:
        engine = _read_only_engine(url)
    except (ImportError, SQLAlchemyError, ValueError):
        return []
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SET TRANSACTION READ ONLY"))
            return [(row.name, row.slug, row.level, row.kind) for row in connection.execute(read)]
    except SQLAlchemyError:  # a schema too old to read them so: the list's file is read instead
        return []
    finally:
        engine.dispose()


def _read_only_engine(url: str) -> Engine:
    """An engine for the database at `url` that changes nothing: a SQLite file opened read-only (no -wal or -shm file
    made), a server given the probe's short connect timeout."""
    engine_url, creator = url, None
    path = sqlite_file(url)
    if make_url(url).get_backend_name() == "sqlite" and path is not None:
        address = read_only_address(path)
        engine_url, creator = "sqlite://", lambda: sqlite3.connect(address, uri=True, timeout=PROBE_TIMEOUT_SECONDS)
    arguments: dict[str, object] = {}
    if make_url(url).get_backend_name() == "postgresql":
        arguments = {**postgresql_arguments(make_url(url).query), "connect_timeout": PROBE_TIMEOUT_SECONDS}
    return create_engine(engine_url, poolclass=NullPool, connect_args=arguments, **_creator(creator))


def _sqlite_file_standing(path: Path, url: str, named_by: str, run: str) -> DatabaseStanding | None:
    """What a SQLite file is known to be before it is opened (missing, a folder, empty, another kind of file)."""
    if not path.exists():
        return DatabaseStanding(Standing.NEW, f"the database {path} does not exist yet: {first_start(run)}")
    if path.is_dir():
        refused = f"the database {path} is a folder, not a SQLite file: move it away, or point {named_by} at a file"
        return DatabaseStanding(Standing.REFUSED, refused)
    if path.stat().st_size == 0:
        return DatabaseStanding(Standing.NEW, f"the database {path} is empty: {first_start(run)}")
    try:
        refuse_foreign_sqlite(url, named_by)
    except DatabaseError as exc:
        return DatabaseStanding(Standing.REFUSED, str(exc))
    return None


def _creator(creator: object) -> dict[str, object]:
    return {"creator": creator} if creator is not None else {}


def _standing(connection: Connection, url: str, run: str) -> DatabaseStanding:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET TRANSACTION READ ONLY"))
    refused = other_encoding(connection, url)
    if refused:
        return DatabaseStanding(Standing.REFUSED, refused)
    if not inspect(connection).has_table("alembic_version"):
        return DatabaseStanding(Standing.NEW, f"the database {shown_database_url(url)} is new: {first_start(run)}")
    stored = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    found = read_revisions(MIGRATIONS_DIR / "versions")
    if not stored:
        return DatabaseStanding(Standing.NEW, f"the database {shown_database_url(url)} is new: {first_start(run)}")
    if found is None or stored == found[1]:
        return DatabaseStanding(Standing.CURRENT, "")
    if not stored <= found[0]:
        return DatabaseStanding(Standing.AHEAD, newer_schema(stored, found[1]))
    return DatabaseStanding(
        Standing.BEHIND,
        f"the database is at schema revision {', '.join(sorted(stored))}, older than this release's "
        f"({', '.join(sorted(found[1]))}): `{run}` upgrades it when it starts (as does a command that changes "
        "anything; one that only reads leaves it as it is); back it up first, since the release it came from refuses "
        "it once upgraded",
    )
