"""Files that hold the readers' data (their addresses, in the database and the weekly mail log) are their owner's
alone: made so when new, and made so at start when a copy restored or made by hand left them readable by others. A
data folder its group may write (a team running `digest` as different users of one group) shares them with that group
and no one else."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import stat
from pathlib import Path

from digest.resources import open_to_group, shared_with_group

log = logging.getLogger("digest.storage.db")


def make_private(path: Path) -> None:
    """A new SQLite file is made owner-only before SQLite opens it (its -wal and -shm then take its mode), in a new
    folder only its owner can enter; an existing one (and its -wal, -shm) another user could read is made owner-only
    (its owner's own bits kept: a file made read-only stays read-only), and the log says so in one line. In a folder
    its group may write, read "owner and group" for "owner" (0660)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    shared = shared_with_group(path.parent)
    wanted, outsiders = (0o660, 0o007) if shared else (0o600, 0o077)
    # There already (FileExistsError), or a folder this user cannot write: SQLite's own error then says why, as before.
    with contextlib.suppress(OSError):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, wanted)
        try:
            os.fchmod(handle, wanted)  # the umask (022) would leave a shared folder's group read-only
        finally:
            os.close(handle)
    fixed: list[str] = []
    opened: list[str] = []
    for found in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        try:
            mode = stat.S_IMODE(found.stat().st_mode)
        except OSError:
            continue
        if mode & outsiders:
            # Outsiders lose their access; the owner's own bits stay (a file kept read-only stays so), shared with
            # the group in a group's folder.
            kept = mode & ~outsiders | ((mode & 0o600) >> 3 if shared else 0)
            with contextlib.suppress(OSError):  # another user's file: not ours to change
                found.chmod(kept)
                fixed.append(f"{found.name} (mode {mode:04o}, now {kept:04o})")
        elif shared and open_to_group(found, wanted):  # made before the folder was the group's
            opened.append(f"{found.name} (mode {mode:04o})")
    if shared:
        opened += _open_locks_to_group(path.parent)
    if opened:
        log.info("%s is shared with its group: %s opened to it (0660, locks 0664)", path.parent, ", ".join(opened))
    if fixed:
        who = "users outside its group; owner and group only" if shared else "other users; owner-only"
        log.warning("%s: %s readable by %s now", path.parent, ", ".join(fixed), who)


def close_to_others(folder: Path) -> None:
    """A data folder every user may write (`chmod 777` to get past a permission error) lets any of them replace
    secrets.json (the key that signs approval links) or the database: their write access is taken away (the owner's
    and the group's bits kept), and the log says so. Another user's folder is theirs to mend (not said at each command).
    """
    try:
        mode = stat.S_IMODE(folder.stat().st_mode)
    except OSError:  # not there yet: made 0700
        return
    if not mode & stat.S_IWOTH:
        return
    kept = mode & ~stat.S_IWOTH
    try:
        folder.chmod(kept)
    except OSError as exc:
        log.debug("%s may be written by every user (mode %04o): not changed (%s)", folder, mode, exc.strerror)
        return
    log.warning("%s could be written by every user of this machine (mode %04o, now %04o): any of them could replace "
                "its database or secrets.json (the key that signs approval links)", folder, mode, kept)  # fmt: skip


def warn_open_to_others(folder: Path) -> None:
    """For a command that only reads, which changes nothing in the data folder: a folder every user may write is said
    to be unsafe in one line, and left as it is (a command that writes closes it, close_to_others). Another user's
    folder is theirs to mend, as there."""
    try:
        found = folder.stat()
    except OSError:  # not there: nothing to say
        return
    mode = stat.S_IMODE(found.st_mode)
    if mode & stat.S_IWOTH and found.st_uid == os.geteuid():
        log.warning("%s can be written by every user of this machine (mode %04o): any of them could replace its "
                    "database or secrets.json (the key that signs approval links); a command that only reads leaves "
                    "it so: run `chmod o-w` on it, or any command that writes", folder, mode)  # fmt: skip


def _open_locks_to_group(folder: Path) -> list[str]:
    """Lock files and arxiv.turn made (0644) before the folder was the group's are opened to it (0664) by their owner:
    another member's process cannot open them for writing otherwise, and without arxiv.turn keeps its own spacing of
    requests to arXiv, so a service and a command of different users could ask arXiv within 3 seconds."""
    opened = []
    for found in sorted((*folder.glob("*.lock"), folder / "arxiv.turn")):
        with contextlib.suppress(OSError):  # gone
            mode = stat.S_IMODE(found.stat().st_mode)
            if open_to_group(found, 0o664):
                opened.append(f"{found.name} (mode {mode:04o})")
    return opened


def open_lock(path: Path) -> int:
    """A lock file opened for flock (created when missing, mode 0644); in a folder shared with a group, one its group
    may open too (0664), or the next member's command could not take the lock."""
    handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    if shared_with_group(path.parent):
        with contextlib.suppress(OSError):  # another member's file: they made it so
            os.fchmod(handle, 0o664)
    return handle


def take_lock(handle: int, note: str) -> bool:
    """Takes the flock on an open lock file (open_lock) without waiting, and writes `note` into it to name the holder
    to the next process; False, with the handle closed, when another process holds it. Closing the handle (or the
    process ending, killed or not) lets it go. A disk too full for the note leaves the lock held all the same."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return False
    with contextlib.suppress(OSError):
        os.ftruncate(handle, 0)
        os.write(handle, note.encode("utf-8"))
    return True
