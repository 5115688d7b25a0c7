"""One service per data folder: an exclusive lock on `<data>/service.lock` (and on the database: with SQLite one on
`.<file>.service.lock` beside it, with PostgreSQL an advisory lock) held while `digest run` runs. The one-shot commands
take no lock and work beside it.

The lock is the kernel's (flock), so a killed service leaves nothing to clean up; the file holds the pid for the
message a second service prints.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from digest.storage.db import Database
from digest.storage.private import open_lock, take_lock

LOCK_NAME = "service.lock"
# pg_try_advisory_lock takes a bigint; this one stands for "awesome-digest service" in any database it shares.
ADVISORY_KEY = 0x4157_4453_4552_5643


class DataLockError(Exception):
    """Another service holds the data folder or the database, or the folder cannot be written; one line."""


@dataclass
class DataLock:
    path: Path
    handle: int
    connection: Any = None  # the PostgreSQL connection holding the advisory lock
    file_handle: int = -1  # SQLite: the lock beside the database's file, which another data folder may name too
    shares_database: bool = False  # PostgreSQL: the advisory lock is held too (and kept: recheck_database_lock)

    def release(self) -> None:
        if self.connection is not None:
            # Let go of the advisory lock first: closing only asks the server to end the session, which drops the lock
            # a moment later, and a service restarted at once was refused by the one it replaced. A server that went
            # away took the lock along.
            with contextlib.suppress(SQLAlchemyError):
                self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            with contextlib.suppress(SQLAlchemyError):
                # Invalidated, not returned to the pool: a pooled session would keep holding the lock.
                self.connection.invalidate()
                self.connection.close()
            self.connection = None
        if self.file_handle >= 0:
            os.close(self.file_handle)
            self.file_handle = -1
        if self.handle >= 0:
            os.close(self.handle)  # closing the descriptor releases the flock
            self.handle = -1


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "another process"


def lock_data_folder(data_dir: Path) -> DataLock:
    """The exclusive lock on the data folder, or DataLockError naming the holder's pid."""
    path = data_dir / LOCK_NAME
    while True:
        try:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new one: the readers' data is its owner's
            handle = open_lock(path)
        except OSError as exc:  # a read-only mount, a folder of another user: the service could store nothing there
            raise DataLockError(
                f"cannot write the data folder {data_dir} ({exc.strerror}): the service keeps its database, list and "
                "lock there; make it writable for this user, or choose another with --data-dir or DIGEST_DATA_DIR"
            ) from None
        _hold(handle, path, f"on the data folder {data_dir}")
        if _still_named(handle, path):
            return DataLock(path, handle)
        os.close(handle)  # a copy that made the file took it away before letting go: the name is a new file now


def _still_named(handle: int, path: Path) -> bool:
    """Whether the locked file is still the one `path` names (not unlinked by its holder before letting go)."""
    try:
        named = path.stat()
    except OSError:
        return False
    held = os.fstat(handle)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _hold(handle: int, path: Path, where: str) -> None:
    """The flock on the open lock file, with this process's pid written into it; or DataLockError naming the pid of
    the service that holds it, `where` (the data folder, the database) saying what they would share. A disk too full
    for the pid (ENOSPC, where the bare error named nothing) is said by the database's own line, which names the folder
    and its free space."""
    if not take_lock(handle, f"{os.getpid()}\n"):
        raise DataLockError(
            f"another digest service ({_holder(path)}) is running {where}; stop it first (the one-shot commands work "
            "beside it)"
        )


def lock_database(lock: DataLock, database: Database) -> None:
    """Also the database's own lock: two data folders may share one database (a `database_url` in a config file two
    data folders are run with), and two services on it would poll, post to Discord and push twice. With SQLite a flock
    on a file beside the database's; with PostgreSQL the advisory lock."""
    url = make_url(str(database.engine.url))
    if url.get_backend_name() == "sqlite":
        _lock_sqlite_file(lock, url.database or "")
        return
    if url.get_backend_name() != "postgresql":
        return
    connection = database.engine.connect()
    try:
        if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar():
            # pg_locks lists every database of the server: only the holder of this database's own lock may be named
            # (a bigint key is held as classid, its high 32 bits, and objid, its low 32, with objsubid 1).
            holder = connection.execute(
                text(
                    "SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'digest run pid %' "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND l.classid::bigint = :high AND l.objid::bigint = :low AND l.objsubid = 1 LIMIT 1"
                ),
                {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFF_FFFF},
            ).first()
            raise DataLockError(_held_by(holder))
        # The server notices a session whose machine went away (a crash, a power cut) within a minute or two, and the
        # lock goes with it; by default it would wait for the system's TCP keepalive, two hours and more.
        for name, value in (("tcp_keepalives_idle", 30), ("tcp_keepalives_interval", 10), ("tcp_keepalives_count", 6)):
            connection.execute(text(f"SET {name} = {value}"))
        connection.execute(text(f"SET application_name = '{_application_name()}'"))
        connection.commit()
    except BaseException:
        connection.close()  # the lock, if taken, goes with its session rather than with the garbage collector
        raise
    lock.connection = connection
    lock.shares_database = True


def _lock_sqlite_file(lock: DataLock, database: str) -> None:
    """The flock on `.<name>.service.lock` beside the SQLite file (its own file: a descriptor of the database's closed
    would drop SQLite's locks on it), or DataLockError naming the holder's pid."""
    path = urlsplit(database).path if database.startswith("file:") else database  # a URI filename: its path
    if not path or path == ":memory:":
        return
    database_file = Path(path).resolve()
    lock_path = database_file.with_name(f".{database_file.name}.service.lock")
    try:
        handle = open_lock(lock_path)
    except OSError as exc:
        raise DataLockError(f"cannot write the folder of the database {database_file} ({exc.strerror})") from None
    _hold(handle, lock_path, f"on the database {database_file} from another data folder")
    lock.file_handle = handle


def _application_name() -> str:
    """What names the service's session in pg_stat_activity: its pid and machine (at most 63 characters)."""
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c in ".-_")
    return f"digest run pid {os.getpid()} on {host}"[:63]


def _held_by(holder: Any) -> str:
    """The refusal, naming the service that holds the lock and, since it may be gone without its session having
    ended (its machine crashed), how to end that session."""
    if holder is None:
        return "another digest service (another process) is running on this PostgreSQL database; stop it first"
    backend, name = holder
    found = re.fullmatch(r"digest run pid (\d+)(?: on (.+))?", str(name))
    who = f"pid {found.group(1)}" if found else "another process"
    where = f", from {found.group(2)}" if found and found.group(2) else ""
    return (
        f"another digest service ({who}) is running on this PostgreSQL database{where}; stop it first (the "
        f"one-shot commands work beside it). If it is gone (its machine stopped), end its session: "
        f"SELECT pg_terminate_backend({int(backend)})"
    )


def recheck_database_lock(lock: DataLock, database: Database) -> bool | None:
    """Whether this service still holds the database's advisory lock. A session that ended under it (a server
    restart, a failover, an idle-session killer) took the lock along: it is taken again unless another service took
    it meanwhile (False). None while the server cannot be reached (nobody else can run then either)."""
    if not lock.shares_database:
        return True
    if lock.connection is not None:
        try:
            lock.connection.execute(text("SELECT 1"))
            lock.connection.rollback()
            return True
        except SQLAlchemyError:
            with contextlib.suppress(SQLAlchemyError):
                lock.connection.invalidate()
                lock.connection.close()
            lock.connection = None
    try:
        lock_database(lock, database)
    except DataLockError:
        return False
    except SQLAlchemyError:
        return None
    return True
