"""What each new database connection is opened with: SQLite's pragmas and its file opened without being made anew,
PostgreSQL's encoding, time zone and connect timeout."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from digest.storage import failures


def on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={failures.BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# SQLite keeps 2 MB of a connection's pages in memory (its default cache_size) and, past that, writes changed pages to
# the write-ahead log before the commit ("spills" them), again each time the transaction changes them once more: a
# list import of 6,000 entries into a new data folder (6 MB of changes) made 89,324 writes for a 6 MB file. Such a
# transaction keeps up to this much of its changes (KiB, taken as they come) in memory instead; pages only read are
# still held to the 2 MB, and the commit still writes the log and syncs it as every other does.
BULK_CHANGES_KIB = 64 * 1024


def hold_changes_in_memory(session: Session) -> None:
    """Lets the rest of this SQLite transaction keep up to BULK_CHANGES_KIB of changed pages in memory until its commit;
    its connection goes back to its own threshold when it is returned to the pool (restore_cache_spill)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    connection.info.setdefault("cache_spill", connection.exec_driver_sql("PRAGMA cache_spill").scalar())
    connection.exec_driver_sql(f"PRAGMA cache_spill=-{BULK_CHANGES_KIB}")


def restore_cache_spill(dbapi_connection: Any, record: Any) -> None:
    """A connection returned to the pool after hold_changes_in_memory: spilling again at its own threshold (pages)."""
    pages = record.info.pop("cache_spill", None)
    if pages is not None and dbapi_connection is not None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA cache_spill={int(pages)}")
        cursor.close()


def listen_as_sqlite(engine: Engine) -> None:
    """Each connection of a SQLite engine opened with the pragmas above, and returned with its own spill threshold."""
    event.listen(engine, "connect", on_sqlite_connect)
    event.listen(engine, "checkin", restore_cache_spill)


def on_postgresql_connect(dbapi_connection: Any, _record: Any) -> None:
    # PostgreSQL hands timestamps back in the session's zone (the server's default, often local time); the code
    # takes .date() and formats times as UTC, as SQLite's naive-UTC values give them, so every session is UTC.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.close()
    dbapi_connection.commit()  # a SET inside a transaction that later rolls back would be undone


def open_without_creating(engine: Engine, path: Path) -> None:
    """Once the database file exists (before this engine, or made by its first connection), each connection opens it
    read-write without creating it (`mode=rw`): a file moved away or deleted while the service runs is then an error
    saying it cannot be opened, where SQLite would make a new, empty database (and its -wal and -shm) in its place,
    which the next pages and decisions would be served from and written to."""
    address = f"{path.absolute().as_uri()}?mode=rw"
    exists = {"file": path.exists()}

    def rewrite(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
        if exists["file"]:
            cargs[:] = [address]
            cparams["uri"] = True

    def opened(_dbapi_connection: Any, _record: Any) -> None:
        exists["file"] = True

    event.listen(engine, "do_connect", rewrite)
    event.listen(engine, "connect", opened)


def read_only_address(path: Path) -> str:
    """A SQLite file's address for reading it without changing anything: immutable (no -wal or -shm file is made
    beside it, as a read-only connection to a database in WAL mode would, and leave) unless a write-ahead log holds
    changes that must be read too."""
    wal = path.with_name(f"{path.name}-wal")
    holds_changes = wal.exists() and wal.stat().st_size > 0
    return f"{path.resolve().as_uri()}?mode=ro{'' if holds_changes else '&immutable=1'}"


# A server that takes the connection and then says nothing (hung, or behind a firewall that drops what follows the
# handshake) held each command and page view for psycopg's default of 130 seconds; a reachable server answers in
# well under a second, so ten is ample and a page or command fails in time to say why.
CONNECT_TIMEOUT_SECONDS = 10


def postgresql_arguments(query: Mapping[str, object]) -> dict[str, object]:
    """The driver's arguments for a PostgreSQL URL with this query string: UTF-8 text, and the connect timeout unless
    the user set one (in the URL, or PGCONNECT_TIMEOUT in the environment, as libpq reads it)."""
    arguments: dict[str, object] = {"client_encoding": "utf8"}
    if "connect_timeout" not in query and "PGCONNECT_TIMEOUT" not in os.environ:
        arguments["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return arguments
