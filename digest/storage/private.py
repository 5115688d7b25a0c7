"""Files that hold the readers' data (their addresses, in the database and the weekly mail log) are their owner's
alone: made so when new, and made so at start when a copy restored or made by hand left them readable by others."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from digest.config.secretstore import readable_by_others

log = logging.getLogger("digest.storage.db")


def make_private(path: Path) -> None:
    """A new SQLite file is made owner-only before SQLite opens it (its -wal and -shm then take its mode), in a new
    folder only its owner can enter; an existing one (and its -wal, -shm) another user could read is made owner-only,
    and the log says so in one line."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # There already (FileExistsError), or a folder this user cannot write: SQLite's own error then says why, as before.
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    fixed = []
    for found in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        mode = readable_by_others(found)
        if mode is not None:
            with contextlib.suppress(OSError):  # another user's file: not ours to change
                found.chmod(0o600)
                fixed.append(f"{found.name} (mode {mode})")
    if fixed:
        log.warning("%s: %s readable by other users; owner-only (0600) now", path.parent, ", ".join(fixed))
