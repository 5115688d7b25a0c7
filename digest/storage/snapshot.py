"""The SQLite database opened read-only and immutable, for commands that only read, when the normal way cannot open it:
a full disk (or a read-only folder) after a clean shutdown, where SQLite would have to create its `-shm` file first.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

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
