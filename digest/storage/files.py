"""Writing files whole or not at all: the list's Markdown, the weekly digests, exports."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from digest.resources import owned_as
from digest.sizes import counted
from digest.storage.private import open_lock

log = logging.getLogger(__name__)

# The temporary files of a write aside (_written_aside: `.list.md.` + mkstemp's eight characters + `.tmp`) and of the
# secrets file (`.secrets-XXXXXXXX.tmp`): names a person does not write, so a leftover is known to be ours.
_TEMPORARY_NAME = re.compile(r"\.(?:.+\.|secrets-)[a-z0-9_]{8}\.tmp")
# A write renames its temporary file within moments of its last byte; one untouched this long is a killed write's.
LEFTOVER_AGE_SECONDS = 120.0


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_atomic(path: Path, text: str) -> None:
    """`text` as UTF-8, whole or not at all; see write_atomic_bytes."""
    write_atomic_bytes(path, text.encode("utf-8"))


def keep_generations(
    path: Path, previous: bytes, generations: int, *, held_by: Path | None = None, staged: Staged | None = None
) -> Path:
    """Keeps `previous` (what `path`, or `held_by`, held) as `path.1`, moving older copies up to `path.<generations>`;
    the oldest goes. Returns `path.1`. The copy is on disk before any older one moves: a disk too full to hold it moves
    none (each decision failing there would otherwise push one more kept copy out). It has the permissions of the file
    that held it, and its owner and group: a list kept from other users is not copied where they read it. With
    `staged`, the copies move when it is finished (see Staged)."""
    held = _status_of(held_by or path)
    path = path.resolve()
    newest = path.with_name(f"{path.name}.1")
    temporary = _written_aside(newest, (previous,), held)

    def rotate() -> None:
        for number in range(generations - 1, 0, -1):
            older = path.with_name(f"{path.name}.{number}")
            if older.exists():
                older.replace(path.with_name(f"{path.name}.{number + 1}"))

    _put_in_place(temporary, newest, staged, before=rotate)
    return newest


class Staged:
    """Files written aside now, taking all the room they need while nothing else has changed, and put in place (each
    renamed over its target, which takes no room) only by `finish`: `digest list import` writes list.md so before it
    commits, so a disk that fills fails the import whole, not after the database took it. `discard` removes what was
    written aside and not put in place."""

    def __init__(self) -> None:
        self._steps: list[Callable[[], None]] = []
        self._aside: list[Path] = []

    def add(self, step: Callable[[], None], temporary: Path | None = None) -> None:
        self._steps.append(step)
        if temporary is not None:
            self._aside.append(temporary)

    def finish(self) -> None:
        """Runs each step in the order they were staged; a step that fails stops the rest (discard then)."""
        steps, self._steps = self._steps, []
        for step in steps:
            step()
        self._aside = []

    def discard(self) -> None:
        self._steps = []
        for temporary in self._aside:
            temporary.unlink(missing_ok=True)
        self._aside = []


def _put_in_place(temporary: Path, path: Path, staged: Staged | None, before: Callable[[], None] | None = None) -> None:
    """`temporary` renamed over `path` (after `before`), now or when `staged` is finished; removed if that fails."""

    def put() -> None:
        try:
            if before is not None:
                before()
            temporary.replace(path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    if staged is None:
        put()
    else:
        staged.add(put, temporary)


def write_atomic_bytes(path: Path, data: bytes, *more: bytes, staged: Staged | None = None) -> None:
    """`data` (and `more`, written after it) to a temporary file in the same folder, flushed to disk, then renamed
    over the target.

    A reader (or a crash) sees the old file or the new one, never half of one. The result keeps the permissions of
    the file it replaces (one kept private stays so), and its owner and group where this process may give them (see
    resources.owned_as), or gets those a new file would (mkstemp's are owner-only, which would hide the list from a web
    server). Being a new file, it is no longer one with a hard link to the old. With `staged`, the file is written aside
    now and renamed over the target when that is finished (see Staged).
    A symlink is followed (the file it names is replaced, the link stays); a device or pipe (`-o /dev/stdout`,
    `/dev/full`) is written in place, never renamed over: replacing /dev/full would be a disaster when run as root.
    """
    try:
        # Asked of the path as given: /dev/stdout names a pipe through /proc/self/fd, but resolved it is the pipe's
        # name ("pipe:[…]"), which is no file.
        replaced: os.stat_result | None = path.stat()
    except FileNotFoundError:
        replaced = None
    mode = replaced.st_mode if replaced else 0
    if mode and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "is a folder", str(path))
        with path.open("wb") as stream:
            for chunk in (data, *more):
                stream.write(chunk)
            stream.flush()
        return
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    _put_in_place(_written_aside(path, (data, *more), replaced), path, staged)


def _status_of(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


def _written_aside(path: Path, chunks: tuple[bytes, ...], replaced: os.stat_result | None = None) -> Path:
    """A temporary file beside `path` holding `chunks`, flushed to disk, with the owner and permissions of the file it
    will replace (`replaced`), else the permissions a new file gets (mkstemp's are owner-only, which would hide the
    list from a web server); nothing is left behind when it cannot be written."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())
        if replaced is not None:
            owned_as(temporary, replaced)  # before chmod: a change of owner clears a set-id bit
        temporary.chmod(0o666 & ~_umask() if replaced is None else stat.S_IMODE(replaced.st_mode))
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def remove_leftover_temporaries(*folders: Path) -> None:
    """Removes the temporary files that writes killed midway (kill -9, a power cut) left in `folders`: only names of
    our own pattern, only regular files older than any write in progress. One line says what was removed."""
    removed: list[Path] = []
    now = time.time()
    for folder in dict.fromkeys(folder.absolute() for folder in folders):
        try:
            found = [path for path in folder.iterdir() if _TEMPORARY_NAME.fullmatch(path.name)]
        except OSError:  # no such folder yet, or none to read: nothing to remove
            continue
        for path in found:
            try:
                status = path.lstat()
                if not stat.S_ISREG(status.st_mode) or now - status.st_mtime < LEFTOVER_AGE_SECONDS:
                    continue
                path.unlink()
            except OSError as exc:
                log.warning("cannot remove %s, left by an interrupted write (%s)", path, exc.strerror or exc)
                continue
            removed.append(path)
    if removed:
        log.info(
            "removed %s of writes interrupted midway: %s",
            counted(len(removed), "leftover temporary file"),
            ", ".join(str(path) for path in removed),
        )


@contextmanager
def held_for_writing(path: Path, on_wait: Callable[[], None] | None = None, *, wait: bool = True) -> Iterator[None]:
    """An exclusive lock, between processes, on writing `path` (a `.lock` file beside it): two processes that each
    render and write it then write in the order they rendered, so the last file holds the newest state. `on_wait` is
    called once when another process holds it (to say why this one waits); with `wait` False, BlockingIOError is
    raised then instead."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open_lock(path.with_name(f".{path.name}.lock"))
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing the descriptor releases the lock
