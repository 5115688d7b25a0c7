"""A SQLite backup read without changing it (`database copy --from`): the file and its write-ahead log copied into a
temporary folder of the new data folder, read there into a temporary file, which the copy may upgrade and then removes.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digest.storage.db import DatabaseError
from digest.storage.failures import failure_hint

# What SQLite makes beside a database file it writes: removed with the temporary copy.
_BESIDE = ("-wal", "-shm", "-journal")


@contextmanager
def read_backup(backup: Path, folder: Path, shown: str) -> Iterator[Path]:
    """A temporary copy of the SQLite file `backup` (`shown` as the command named it) in `folder`, removed afterwards
    whatever happened. The backup keeps its bytes, mode and time, and nothing is made beside it (SQLite reading a
    database in WAL mode makes a -shm file even read-only): an older release's file is upgraded in the copy, not in
    the backup kept to go back to that release. DatabaseError (one line) when it cannot be read or copied."""
    handle, name = tempfile.mkstemp(prefix=".copying-", suffix=".sqlite3", dir=folder)  # owner-only, as a database
    os.close(handle)
    copy = Path(name)
    staged = Path(tempfile.mkdtemp(prefix=".reading-", dir=folder))
    try:
        _copy_pages(_stage(backup, staged, shown), copy, shown)
        yield copy
    finally:
        shutil.rmtree(staged, ignore_errors=True)
        for path in (copy, *(copy.with_name(copy.name + suffix) for suffix in _BESIDE)):
            path.unlink(missing_ok=True)


def _stage(backup: Path, staged: Path, shown: str) -> Path:
    """The backup's file and its write-ahead log (its last writes, when it was taken from a running service) copied
    byte for byte into `staged`, where SQLite may make what it needs to read them."""
    inside = staged / "backup.sqlite3"
    try:
        shutil.copyfile(backup, inside)
        wal = backup.with_name(f"{backup.name}-wal")
        if wal.is_file() and wal.stat().st_size > 0:
            shutil.copyfile(wal, inside.with_name(f"{inside.name}-wal"))
    except OSError as exc:
        hint = failure_hint(exc.strerror or str(exc), f"sqlite:///{inside}")
        raise DatabaseError(
            f"{shown} could not be copied into {staged.parent}: {exc.strerror or exc}{hint}; nothing was copied"
        ) from None
    return inside


def _copy_pages(source_file: Path, copy: Path, shown: str) -> None:
    """SQLite's online backup: the pages as they stand, with what the write-ahead log beside them holds."""
    try:
        source = sqlite3.connect(source_file)
        try:
            target = sqlite3.connect(copy)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        reason = " ".join(str(exc).split())
        hint = failure_hint(reason, f"sqlite:///{copy}")
        if hint:  # the new data folder's disk, not the backup: said as such
            raise DatabaseError(
                f"{shown} could not be copied into {copy.parent}: {reason}{hint}; nothing was copied"
            ) from None
        raise DatabaseError(f"{shown} cannot be read as a database ({reason}); nothing was copied") from None
