"""A SQLite backup read without changing it (`database copy --from`): copied page by page, through a read-only
connection, into a temporary file of the new data folder, which the copy may upgrade and then removes.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digest.storage.connections import read_only_address
from digest.storage.db import DatabaseError
from digest.storage.failures import failure_hint

# What SQLite makes beside a database file it writes: removed with the temporary copy.
_BESIDE = ("-wal", "-shm", "-journal")


@contextmanager
def read_backup(backup: Path, folder: Path, shown: str) -> Iterator[Path]:
    """A temporary copy of the SQLite file `backup` (`shown` as the command named it) in `folder`, removed afterwards
    whatever happened. The backup keeps its bytes, mode and time: an older release's file is upgraded in the copy, not
    in the backup kept to go back to that release. DatabaseError (one line) when it cannot be read or copied."""
    handle, name = tempfile.mkstemp(prefix=".copying-", suffix=".sqlite3", dir=folder)  # owner-only, as a database
    os.close(handle)
    copy = Path(name)
    try:
        _copy_pages(backup, copy, shown)
        yield copy
    finally:
        for path in (copy, *(copy.with_name(copy.name + suffix) for suffix in _BESIDE)):
            path.unlink(missing_ok=True)


def _copy_pages(backup: Path, copy: Path, shown: str) -> None:
    """SQLite's online backup: the pages as they stand, with what a write-ahead log beside the backup holds."""
    try:
        source = sqlite3.connect(read_only_address(backup), uri=True)
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
