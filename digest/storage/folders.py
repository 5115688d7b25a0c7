"""Whether this user may enter and write a folder (the data folder, above all), found by trying without leaving
anything in it, and why not in words of what to fix: a mode or an owner, or a read-only file system."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from digest.storage.failures import mode_and_owner

LET_IN = "let the user digest runs as read and write it"
# The reasons a folder is refused for writing: its mode or owner, or its file system. Any other failure (a full disk)
# is said by the database's own line, which names the disk and its free space.
REFUSALS = (errno.EACCES, errno.EPERM, errno.EROFS)


def unenterable_folder(path: Path, name: str = "data folder") -> str:
    """For a folder that is there but this user may not enter (mode 000 or 0600 after a restore by hand, another
    user's folder): a line naming it and why, where each command would stop on whichever file inside it came first.
    Empty when it can be entered, or is no such folder."""
    why = entry_refused(path)
    return f"cannot enter the {name} {path}: {why}; {LET_IN}" if why else ""


def entry_refused(path: Path) -> str:
    """Why this user may not enter a folder that is there, 'Permission denied (mode 0000, owned by nobody)'; empty
    when it can be entered, or is no such folder. Tried, not asked (os.access answers for the real user)."""
    try:
        # "folder/." needs search permission on the folder itself; pathlib would drop the "."
        os.stat(os.path.join(path, "."))  # noqa: PTH116, PTH118
    except PermissionError as exc:
        try:
            found = path.stat()
        except OSError:
            return str(exc.strerror)
        return f"{exc.strerror} ({mode_and_owner(found)})"
    except OSError:  # missing (created on first use), a file: said elsewhere
        return ""
    return ""


def write_failure(folder: Path) -> OSError | None:
    """Why a file cannot be made in `folder`, or None when it can. Tried, not asked (os.access answers for the real
    user, not the one the command runs as): a file without a name (Linux's O_TMPFILE, which tempfile uses first) is
    opened in it and closed, so no entry shows in the folder even for a moment, another process has none to trip
    over, and a command killed meanwhile leaves nothing behind. Only on a file system without such files is a named
    one made and removed at once."""
    try:
        tempfile.TemporaryFile(prefix=".digest-check-", dir=folder).close()
    except OSError as exc:
        return exc
    return None


def write_refused(folder: Path) -> OSError | None:
    """write_failure when it is the folder's mode or owner, or a read-only file system, that refuses the write; None
    when it can be written, or is no such folder, or fails for another reason."""
    failure = write_failure(folder)
    return failure if failure is not None and failure.errno in REFUSALS else None


def write_refusal(folder: Path, error: OSError, named: str = "it") -> str:
    """Why a folder `error` (write_refused's) says cannot be written, and what to fix, for a line about it: "it is on a
    read-only file system; remount it read-write" (no mode would help there), or "this user cannot write it:
    Permission denied (mode 0555, owned by root); let the user digest runs as read and write it". `named` is how the
    line names the folder ("it", or its path when the line is about a folder to be made in it)."""
    if error.errno == errno.EROFS:
        return f"{named} is on a read-only file system; remount it read-write"
    why = error.strerror or str(error)
    with contextlib.suppress(OSError):  # gone meanwhile: the reason alone
        why = f"{why} ({mode_and_owner(folder.stat())})"
    return f"this user cannot write {named}: {why}; {LET_IN}"


# What a data folder that cannot be written leaves to do besides mending it.
ELSEWHERE = "give --data-dir (or DIGEST_DATA_DIR) another folder; commands that only read still work"


def unwritable_data_folder(data_dir: Path, error: OSError) -> str:
    """The one line a command that writes stops on (a settings problem, exit 2) for a data folder `error` says it
    cannot write: on a read-only file system (where no mode would help), or for its mode and owner."""
    return f"the data folder {data_dir} cannot be used: {write_refusal(data_dir, error)}, or {ELSEWHERE}"
