"""The SQLite database opened read-only and immutable, for commands that only read, when the normal way cannot open it:
a full disk (or a read-only folder) after a clean shutdown, where SQLite would have to create its `-shm` file first;
and a copy of it in a temporary file, for a dry run to change and throw away.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any, cast

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from digest.storage.db import Database, DatabaseError, schema_at_head

log = logging.getLogger("digest.storage")


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def open_read_only(url: str) -> Database | None:
    """The database as it stands, read-only, or None when that is not safe or not possible: not a SQLite file, a
    write-ahead log that holds changes (an immutable reader would not see them), or a schema this release would have
    to upgrade first."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") or parsed.query:
        return None
    path = Path(parsed.database or "").resolve()
    wal = path.with_name(f"{path.name}-wal")
    if not path.is_file() or (wal.exists() and wal.stat().st_size > 0):
        return None
    address = f"{path.as_uri()}?mode=ro&immutable=1"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(address, uri=True, check_same_thread=False))
    event.listen(engine, "connect", _on_connect)
    try:
        if not schema_at_head(engine):
            engine.dispose()
            return None
    except SQLAlchemyError as exc:
        log.debug("database: not readable read-only either: %s", exc)
        engine.dispose()
        return None
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


def scratch_copy(database: Database) -> Database:
    """A copy of a SQLite database (read-only, read-only on a full disk or in a read-only folder, as `open_read_only`
    opens it), for a dry run to make its changes in and show them: nothing of it reaches the file, and neither the disk
    nor the folder of the database is written. See `scratch_database`."""
    copy = scratch_database()
    source = database.engine.raw_connection()
    target = copy.engine.raw_connection()
    failure = None
    try:
        # Page by page, as it stands: the schema, its revision and every row (the candidates too: a paper the import
        # removes is unlinked from theirs as in the database itself).
        cast(sqlite3.Connection, source.driver_connection).backup(cast(sqlite3.Connection, target.driver_connection))
    except sqlite3.Error as exc:  # a full temp folder, above all
        failure = exc
    finally:
        target.close()
        source.close()
    if failure is not None:
        copy.dispose()
        raise DatabaseError(
            f"the dry run's copy of the database could not be made in the temp folder {temp_folder()}: {failure}; "
            "free space there, or set TMPDIR to another folder (nothing was changed)"
        )
    return copy


# Where SQLite looks for a temp folder after its variables; only named here, for a line to say where it wrote.
_SQLITE_TEMP_FOLDERS = ("/var/tmp", "/usr/tmp", "/tmp")  # noqa: S108


def temp_folder() -> str:
    """The folder SQLite makes its temporary files in: as its os_unix.c picks it, the first of SQLITE_TMPDIR, TMPDIR,
    /var/tmp, /usr/tmp and /tmp that is a folder this user may write (asked as SQLite asks), else the working folder."""
    named = (os.environ.get("SQLITE_TMPDIR"), os.environ.get("TMPDIR"))
    for folder in (*named, *_SQLITE_TEMP_FOLDERS):
        if folder and Path(folder).is_dir() and os.access(folder, os.W_OK | os.X_OK):
            return folder
    return "."


def scratch_database() -> Database:
    """A new, empty SQLite database of this process's own, for a dry run: SQLite's private temporary database (an empty
    file name), in a file of the system's temp folder (TMPDIR, else /var/tmp or /tmp) that SQLite removes as it opens
    it, so nothing is left behind even by a command killed meanwhile. Only a few megabytes of it are held in memory
    (its page cache): a copy of a database of 100,000 candidates need not fit in memory. Disposing of it closes the
    file, which gives its space back."""
    connection = sqlite3.connect("", check_same_thread=False)
    connection.execute("PRAGMA foreign_keys=ON")  # as storage/connections.py opens every connection to the file
    engine = create_engine("sqlite://", creator=lambda: connection, poolclass=StaticPool)
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
