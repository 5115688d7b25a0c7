"""What a database failure means to the operator: a full disk, a read-only folder, a write lock held too long, a
driver not installed; each said in words of what to fix, after the database's own reason."""

from __future__ import annotations

import os
import pwd
import resource
import shutil
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from digest.sizes import shown_size

BUSY_TIMEOUT_MS = 10_000  # how long SQLite waits for another process's write lock before "database is locked"
FULL_DISK_BYTES = 64 * 1024  # less than this free: the disk counts as full
# After SQLite's "database or disk is full", less than this free now: the disk was full before the write gave it back.
ROOMY_DISK_BYTES = 256 * 1024 * 1024


def shown_database_url(url: str) -> str:
    """The database URL as a log line, an error or `digest config show` may print it: the password hidden, whether it
    comes before the '@' or as a query parameter (libpq reads `?password=`, and `sslpassword=`, too)."""
    parsed = make_url(url)
    hidden = {key: "***" for key in parsed.query if "password" in key.casefold()}
    # SQLAlchemy writes a query's `***` as %2A%2A%2A, where every other hint writes `***`: one way of hiding it.
    return parsed.update_query_dict(hidden).render_as_string(hide_password=True).replace("=%2A%2A%2A", "=***")


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (as written: neither resolved nor checked); None for another database or memory."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def unreadable_file(url: str) -> str:
    """For a SQLite file that is there but this user may not read (mode 000 after a restore by hand, another user's
    0600 file): a line naming the file and why, where SQLite says only "unable to open database file" (and a read-only
    folder, blamed beside it, is not the reason). Empty when it can be read, or is no such file."""
    path = sqlite_file(url)  # a path only: the query, and any password SQLite ignores, is not shown
    if path is None:
        return ""
    try:
        path.open("rb").close()
    except PermissionError as exc:
        try:
            found = path.stat()
        except OSError:
            return f"cannot read the database {path}: {exc.strerror}; let the user digest runs as read and write it"
        return (
            f"cannot read the database {path}: {exc.strerror} ({mode_and_owner(found)}); let the user digest runs "
            "as read and write it"
        )
    except OSError:  # missing (created on open), a folder, a URI: SQLite's own error says so
        return ""
    return ""


_SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


def not_sqlite(path: Path) -> bool:
    """Whether the file is no SQLite database at all (a list.md, an export, a system file named by mistake), read
    from its first bytes: opened as a database it would be made owner-only and a lock put beside it first."""
    with path.open("rb") as stream:
        return stream.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER


def mode_and_owner(found: os.stat_result) -> str:
    return f"mode {stat.S_IMODE(found.st_mode):04o}, owned by {_user_name(found.st_uid)}"


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user {uid}"


def other_encoding(connection: Connection, url: str) -> str:
    """For a PostgreSQL database that cannot hold every character (LATIN1: no emoji, no other scripts; SQL_ASCII: no
    check at all, and column lengths counted in bytes): the line it is refused with, saying how to create one that
    can. Empty for one in UTF8, or another database."""
    if connection.dialect.name != "postgresql":
        return ""
    encoding = connection.execute(text("SHOW server_encoding")).scalar()
    if encoding == "UTF8":
        return ""
    return (
        f"the database {shown_database_url(url)} is in the encoding {encoding}, not UTF8: titles and "
        "names in other scripts or with emoji would be refused or garbled; nothing was written. Create it in UTF8: "
        "createdb -E UTF8 -T template0 -O USER NAME"
    )


def missing_driver(url: str, exc: ImportError) -> str:
    # To SQLAlchemy a bare postgresql:// means psycopg2; awesome-digest[postgres] installs psycopg (3) instead.
    if make_url(url).get_backend_name() == "postgresql":
        advice = "write postgresql+psycopg:// (the driver awesome-digest[postgres] installs)"
    else:
        advice = "install it, or use SQLite or PostgreSQL (postgresql+psycopg://)"
    return f"needs the driver {exc.name or exc}, which is not installed: {advice}"


def full_disk(url: str, reason: str = "") -> str:
    """For a SQLite file on a disk with no room left: said so (SQLite reports it as "disk I/O error" when it cannot
    even create its journal). After SQLite's own "database or disk is full" (`reason`) the disk is named whatever is
    free now: the write that failed gave its room back (a new database needs a few hundred kilobytes)."""
    path = sqlite_file(url)
    if path is None:
        return ""
    folder = path.resolve().parent
    free, full = _room_left(folder)
    if free is None or full:
        return full
    if "disk is full" not in reason or resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
        return ""
    if free < ROOMY_DISK_BYTES:
        room = shown_size(free)
        return f" (the disk holding {folder} has no room for what the database had to write: {room} free now)"
    # Gigabytes free and SQLite still full: a quota of the user's, or a size limit on the database itself.
    return (
        f" (the disk holding {folder} has {shown_size(free)} free, so what is full is likely a disk quota of this"
        " user's or the database's own size limit (PRAGMA max_page_count))"
    )


def no_room(folder: Path) -> str:
    """For a file in `folder` that could not be written for want of room (ENOSPC): the disk holding it, as full_disk
    names a database's (a failed write gives its room back, so "full" is said only of a disk that still is)."""
    free, full = _room_left(folder)
    if free is None or full:
        return full
    return f" (the disk holding {folder} has no room for what had to be written: {shown_size(free)} free now)"


def _room_left(folder: Path) -> tuple[int | None, str]:
    """What is free on the disk holding `folder` (None: it cannot be told), and the words for a disk that is full now
    ("" otherwise): a failed write gives its room back, so "full" is said only of a disk that still is."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None, ""
    return free, f" (the disk holding {folder} is full: {shown_size(free)} free)" if free < FULL_DISK_BYTES else ""


def read_only_folder(url: str) -> str:
    """For a SQLite file whose folder cannot be written: why that stops even a read (its journal lives beside it)."""
    path = sqlite_file(url)
    if path is None:
        return ""
    folder = path.resolve().parent
    if not folder.is_dir() or os.access(folder, os.W_OK):
        return ""
    return f" (the folder {folder} is read-only, and SQLite writes its journal beside the database even to read it)"


def read_only_file(url: str) -> str:
    """For a SQLite file this user may read but not write (0444 after a copy or a restore by hand), in a folder it may
    write: SQLite opens it read-only without a word and fails at the first write. Empty when it can be written, or is
    no such file. Tried, not asked (os.access answers for the real user)."""
    path = sqlite_file(url)
    if path is None:
        return ""
    try:
        path.open("r+b").close()  # opens for writing, writes nothing
    except PermissionError:
        try:
            found = path.stat()
        except OSError:
            return ""
        return f" (its file {path} is read-only for this user: {mode_and_owner(found)})"
    except OSError:
        return ""
    return ""


def unwritable_file(url: str) -> str:
    """read_only_file as the line a command that writes (and the service) stops on, and `config check` lists."""
    read_only = read_only_file(url)
    return f"cannot write the database{read_only}; let the user digest runs as read and write it" if read_only else ""


def held_lock(reason: str) -> str:
    """For SQLite's "database is locked": what holds it (the busy timeout has passed) and what to do."""
    if "database is locked" not in reason:
        return ""
    return (
        f" (another process has held its write lock for over {BUSY_TIMEOUT_MS // 1000} s: a command or service that "
        "hangs or was paused, or a sqlite3 shell inside a transaction; `fuser` on the database file names it. Try "
        "again once it has ended)"
    )


def failure_line(exc: Exception, url: str) -> str:
    """A database error in one line, without its SQL and values, saying so when the disk is full, the folder
    read-only or the database held by another process (what the operator has to fix)."""
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    return f"{reason}{failure_hint(reason, url)}"


def failure_hint(reason: str, url: str | None) -> str:
    """What the operator has to fix after a database's `reason` for failing: a read-only folder or file, a full disk
    (of `url`'s SQLite file, when known), this process's file size limit, or the write lock another process holds."""
    hint = (read_only_folder(url) or read_only_file(url) or full_disk(url, reason)) if url else ""
    return hint or file_size_limit(reason) or held_lock(reason)


def file_size_limit(reason: str) -> str:
    """For a write refused by this process's file size limit (RLIMIT_FSIZE: `ulimit -f`, systemd's LimitFSIZE), which
    SQLite reports as "disk I/O error" on a disk with room to spare: the limit, and what to do."""
    if "disk i/o error" not in reason.casefold() and "disk is full" not in reason.casefold():
        return ""
    soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft == resource.RLIM_INFINITY:
        return ""
    return (
        f" (this process may write files of at most {shown_size(soft)} (ulimit -f) and a database file outgrew that: "
        "raise the limit)"
    )


def cannot_open(url: str, exc: Exception) -> str:
    """The driver's refusal to open the database (an OperationalError) in one line, with what to fix."""
    # One line: the driver puts its hint ("Is the server running on that host ...?") on a line of its own.
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    hint = read_only_folder(url) or full_disk(url, reason) or file_size_limit(reason)
    return f"cannot open the database {shown_database_url(url)}: {reason}{hint}"


def failed_step(config: Any, applied: list[str], stored: list[str], reason: str) -> str:
    """A failed schema upgrade in one line: the migration step that failed (the one after the last revision applied
    or stored, read from Alembic's `config`) and the revision the database stays at (the upgrade is one transaction).
    It was said as "cannot open the database ...", naming neither the step nor that the upgrade changed nothing."""
    from alembic.script import ScriptDirectory

    done = applied[-1] if applied else (stored[0] if stored else None)
    step = f"after {done or 'none'}"
    for script in ScriptDirectory.from_config(config).walk_revisions():
        parents = script.down_revision
        if done in (parents if isinstance(parents, tuple) else (parents,)):
            step = Path(script.path).stem
    at = ", ".join(stored) if stored else "none (a new database: nothing was created)"
    return f"the schema upgrade failed at migration step {step}: {reason}; the database stays at schema revision {at}"
