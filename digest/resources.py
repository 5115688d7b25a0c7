"""Where the bundled files live: templates, feed rules, the seed list and its abstracts; reading the feeds files; and
the owner a file written to replace another keeps.

In a source checkout they are the top-level `templates/` and `feeds/`; in an installed wheel they are
copied into the package (see pyproject's force-include), so both layouts are looked up here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_SOURCE_ROOT = PACKAGE_DIR.parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0]


def templates_dir() -> Path:
    return _first_existing(_SOURCE_ROOT / "templates", PACKAGE_DIR / "_templates")


def feeds_dir() -> Path:
    return _first_existing(_SOURCE_ROOT / "feeds", PACKAGE_DIR / "_feeds")


def seed_list_path() -> Path:
    return PACKAGE_DIR / "data" / "awesome-lmms-mech-interp.md"


def curated_papers_path() -> Path:
    return PACKAGE_DIR / "data" / "curated_papers.jsonl"


# A settings file, a feeds file or a `.env` is a few kilobytes: one past this is not one (a log saved over it, a link to
# a device: /dev/zero has no end), and was read whole into memory, ending in a MemoryError traceback.
MAX_SMALL_FILE_BYTES = 1024 * 1024


class UnfitFileError(OSError):
    """A file `read_small_file` refuses to read; its message is the line to show (`what` names the kind of file)."""

    def __init__(self, path: Path, what: str, number: int, kind: str) -> None:
        super().__init__(number, f"{path} is {kind}, which no {what} is: is it the right file?", str(path))

    def __str__(self) -> str:
        return str(self.strerror)


class TooLargeError(UnfitFileError):
    """A file larger than MAX_SMALL_FILE_BYTES."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(path, what, errno.EFBIG, "larger than 1 MB")


def _kind_not_read(mode: int) -> str | None:
    """What a path names that is read as no file: a pipe waits for a writer (for ever, when none comes), a socket
    cannot be read. A device is read up to the cap (`/dev/null` is an empty file); a folder fails to read, as before
    (a virtualenv named `.env` is no `.env` file, and not one to complain of)."""
    kinds = ((stat.S_ISFIFO, "a pipe"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), None)


def read_small_file(path: Path, what: str = "feeds file") -> bytes:
    """The file's bytes, read no further than MAX_SMALL_FILE_BYTES and a byte; TooLargeError past that, and
    UnfitFileError for a pipe or a socket. Opened without waiting: a `.env` or settings file made a pipe
    (mkfifo) with no writer held every command at its start, saying nothing."""
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(handle, "rb") as stream:
        kind = _kind_not_read(os.fstat(handle).st_mode)
        if kind is not None:
            raise UnfitFileError(path, what, errno.EINVAL, kind)
        os.set_blocking(handle, True)  # a device is read as a file is, up to the cap
        data = stream.read(MAX_SMALL_FILE_BYTES + 1)
    if len(data) > MAX_SMALL_FILE_BYTES:
        raise TooLargeError(path, what)
    return data


def owned_as(temporary: Path, replaced: os.stat_result) -> None:
    """The new file owned as the one it replaces: written by root (`sudo digest list export -o`, a root cron job), a
    user's file became root's, one kept owner-only then unreadable by its user's service. Where this process may not
    give it (a user replacing another's file, in a folder of their own), it is the writer's, as any new file is."""
    if (replaced.st_uid, replaced.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.chown(temporary, replaced.st_uid, replaced.st_gid)
    except PermissionError:
        with contextlib.suppress(PermissionError):  # a group the writer belongs to is theirs to give
            os.chown(temporary, -1, replaced.st_gid)
