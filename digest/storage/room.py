"""Whether the disks the service writes to have room left, for /healthz: a full disk fails every poll, decision and
weekly digest, and each failure says so only as it happens, while the health check a monitor asks said "ok"."""

from __future__ import annotations

import shutil

from digest.config import Settings
from digest.sizes import shown_size
from digest.storage.failures import sqlite_file

# Less than this free: said before it runs out. A model build alone writes about 9 MB into the data folder's cache,
# a poll's papers and a decision need a few hundred kilobytes of the database's.
LOW_ROOM_BYTES = 32 * 1024 * 1024


def low_room(settings: Settings) -> list[str]:
    """A line per disk, holding the data folder, the database or the weekly folder, with less than LOW_ROOM_BYTES
    free (each disk once, named by the first of those it holds); a folder that cannot be asked is left out."""
    folders = [settings.data_dir]
    database = sqlite_file(settings.database_url)
    if database is not None:
        folders.append(database.parent)
    folders.append(settings.weekly_dir)
    said: set[int] = set()
    lines = []
    for folder in folders:
        try:
            device = folder.stat().st_dev
            free = shutil.disk_usage(folder).free
        except OSError:
            continue
        if device in said:
            continue
        said.add(device)
        if free < LOW_ROOM_BYTES:
            lines.append(
                f"disk: the disk holding {folder} has {shown_size(free)} free (less than {shown_size(LOW_ROOM_BYTES)}):"
                " polls, decisions and the weekly digest cannot be stored once it is full; free some room there"
            )
    return lines
