"""The SQLite database opened read-only and immutable, for commands that only read, when the normal way cannot open it:
a full disk (or a read-only folder) after a clean shutdown, where SQLite would have to create its `-shm` file first;
and a copy of it in memory, for a dry run to change and throw away.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any, cast

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from digest.storage.db import Database, schema_at_head

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
    """A copy in memory of a SQLite database (read-only, read-only on a full disk or in a read-only folder, as
    `open_read_only` opens it), for a dry run to make its changes in and show them: nothing of it reaches the file,
    and neither the disk nor the folder is written. Disposing of it frees the memory."""
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    source = database.engine.raw_connection()
    try:
        # Page by page, as it stands: the schema, its revision and every row.
        cast(sqlite3.Connection, source.driver_connection).backup(copy)
    finally:
        source.close()
    copy.execute("PRAGMA foreign_keys=ON")  # as storage/connections.py opens every connection to the file
    engine = create_engine("sqlite://", creator=lambda: copy, poolclass=StaticPool)
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
