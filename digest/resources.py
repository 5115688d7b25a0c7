"""Where the bundled files live: templates, feed rules, the seed list and its abstracts; reading the feeds files; and
the owner a file written to replace another keeps.

In a source checkout they are the top-level `templates/` and `feeds/`; in an installed wheel they are
copied into the package (see pyproject's force-include), so both layouts are looked up here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import stat
from pathlib import Path

from digest.sizes import shown_size

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
    """A file `read_small_file` refuses to read; its message is the line to show."""

    def __init__(self, path: Path, number: int, said: str) -> None:
        super().__init__(number, said, str(path))

    def __str__(self) -> str:
        return str(self.strerror)


class TooLargeError(UnfitFileError):
    """A file larger than MAX_SMALL_FILE_BYTES (`what` names the kind of file)."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(
            path,
            errno.EFBIG,
            f"{path} is larger than {shown_size(MAX_SMALL_FILE_BYTES)}, which no {what} is: is it the right file?",
        )


# How long a pipe is waited at for its writer (a secret manager serving a `.env` through one, `op inject` into a
# FIFO), and then between two of its writes: past that, the file is one nothing writes to.
PIPE_WAIT_SECONDS = 5


class SilentPipeError(UnfitFileError):
    """A pipe nothing wrote to (or whose writer stopped, before its end) for PIPE_WAIT_SECONDS."""

    def __init__(self, path: Path, what: str, begun: bool) -> None:
        said = (
            f"{path} is a pipe whose writer stopped for {PIPE_WAIT_SECONDS} seconds before the end of the {what}"
            if begun
            else f"{path} is a pipe nothing wrote to within {PIPE_WAIT_SECONDS} seconds: start the program that "
            f"writes the {what} into it, or make it a file"
        )
        super().__init__(path, errno.ETIMEDOUT, said)


def read_small_file(path: Path, what: str = "feeds file") -> bytes:
    """The file's bytes, read no further than MAX_SMALL_FILE_BYTES and a byte; TooLargeError past that, and
    UnfitFileError for a socket or a pipe nothing writes to. Opened without waiting: a `.env` or settings file made a
    pipe (mkfifo) with no writer held every command at its start, saying nothing; one a program writes is read."""
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(handle, "rb") as stream:
        mode = os.fstat(handle).st_mode
        if stat.S_ISSOCK(mode):
            raise UnfitFileError(path, errno.EINVAL, f"{path} is a socket, which no {what} is: is it the right file?")
        if stat.S_ISFIFO(mode):
            data = _read_pipe(handle, path, what)
        else:
            os.set_blocking(handle, True)  # a device is read as a file is, up to the cap
            data = stream.read(MAX_SMALL_FILE_BYTES + 1)
    if len(data) > MAX_SMALL_FILE_BYTES:
        raise TooLargeError(path, what)
    return data


def _read_pipe(handle: int, path: Path, what: str) -> bytes:
    """A pipe's bytes up to its writer's end (or the cap and a byte), each wait for more at most PIPE_WAIT_SECONDS.
    Read only once the pipe says it is ready: read before any writer came, it would end at once, as an empty file."""
    poller = select.poll()
    poller.register(handle, select.POLLIN)
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_SMALL_FILE_BYTES:
        if not poller.poll(PIPE_WAIT_SECONDS * 1000):
            raise SilentPipeError(path, what, begun=size > 0)
        try:
            chunk = os.read(handle, MAX_SMALL_FILE_BYTES + 1 - size)
        except BlockingIOError:
            continue  # ready, yet taken by another reader: wait again
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


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


def shared_with_group(folder: Path) -> bool:
    """Whether `folder` was made for a group to write in (2770, say: a team running `digest` as different users of
    one group): the data folder's private files are then its group's too, and no one else's."""
    try:
        return bool(folder.stat().st_mode & stat.S_IWGRP)
    except OSError:
        return False


def open_to_group(path: Path, mode: int) -> bool:
    """A file of this user's made before its folder was made a group's (without the group's share of `mode`) is given
    `mode`; whether it was. Another member's file, or one gone, is left as it is: theirs to change."""
    group = mode & 0o070
    try:
        info = path.stat()
        if info.st_mode & group == group or info.st_uid != os.geteuid():
            return False
        path.chmod(mode)
    except OSError:
        return False
    return True


def toml_text(data: bytes) -> str:
    """The text of a TOML file's bytes (UnicodeDecodeError when they are not UTF-8). A file saved by Windows Notepad
    starts with a byte order mark, which TOML does not allow and no one can see: refused as "Invalid statement (at
    line 1, column 1)", it looked like a broken first line. The mark is skipped, in every TOML file read."""
    return data.decode("utf-8").removeprefix("\ufeff")


class NoHomeError(ValueError):
    """A path starting with `~` for a user with no home folder to read it as; its message is one line."""


def home_path(path: Path | str) -> Path:
    """`path` with a leading `~` read as the home folder (Path.expanduser), or NoHomeError saying why there is none.
    A user the system does not know (a container run with --user 1000) with HOME unset, as cron and supervisors may
    leave it, made Python raise RuntimeError, a traceback out of every command."""
    path = Path(path)
    try:
        return path.expanduser()
    except RuntimeError:
        named = str(path).split("/", 1)[0]
        if named != "~":  # ~bob/...: HOME is no help
            raise NoHomeError(
                f"{str(path)!r} starts with {named}, the home folder of user {named[1:]!r}, which this system does not "
                "know: write the path in full"
            ) from None
        raise NoHomeError(
            f"{str(path)!r} starts with ~, the home folder, and this user has none (HOME is unset and user id "
            f"{os.getuid()} has no entry in the system's users): set HOME, or write the path in full"
        ) from None


def home_or_as_written(path: Path) -> Path:
    """`path` with `~` read as the home folder, or as written when there is none (for a line that names it)."""
    try:
        return home_path(path)
    except NoHomeError:
        return path
