"""One poll at a time over a data folder: the service's scheduled poll and `digest poll` by hand take the data folder's
poll lock (a flock, let go by a killed holder too), which names its holder so a second poll refuses in one line."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from digest.storage.private import open_lock, take_lock

POLL_LOCK_NAME = "poll.lock"


class PollRunningError(Exception):
    """Another poll holds the data folder's poll lock (one line naming it), or the lock cannot be opened."""


class PollBusyError(PollRunningError):
    """Another poll holds the data folder's poll lock: its own outcome is the day's poll."""


@contextlib.contextmanager
def holding_alone(
    data_dir: Path, name: str, note: str, unopenable: Callable[[str], Exception], busy: Callable[[], Exception]
) -> Iterator[None]:
    """Holds the lock file `name` of `data_dir` (a flock naming its holder with `note`) while the body runs. Raises
    `unopenable(reason)` when the lock cannot be opened (a data folder made read-only since the database was opened),
    `busy()` when another process holds it (lock_holder names it)."""
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle = open_lock(data_dir / name)
    except OSError as exc:
        raise unopenable(exc.strerror or str(exc)) from None
    if not take_lock(handle, note):
        raise busy()
    try:
        yield
    finally:
        os.close(handle)  # closing the descriptor releases the flock


@contextlib.contextmanager
def polling_alone(data_dir: Path, who: str, now: datetime) -> Iterator[None]:
    """Holds the poll lock of `data_dir` while the body polls, or raises PollRunningError naming the poll that does.
    `who` ("digest poll", "the service") and `now` are written into the lock for the next one to read."""
    path = data_dir / POLL_LOCK_NAME
    with holding_alone(
        data_dir,
        POLL_LOCK_NAME,
        f"{who} (pid {os.getpid()}), started at {now:%Y-%m-%d %H:%M:%S} UTC\n",
        lambda reason: PollRunningError(
            f"cannot open the poll lock {path} ({reason}): make the data folder writable for this user; "
            "nothing was polled"
        ),
        lambda: PollBusyError(
            f"{lock_holder(path, 'another poll')} is polling this data folder; nothing was polled (one poll at a time "
            "keeps arXiv's requests 3 s apart): wait for it to end"
        ),
    ):
        yield


def poll_lock_free(data_dir: Path) -> bool:
    """Whether no process holds the poll lock of `data_dir` (so no poll of it runs); taken and let go at once, its
    holder's note left as it was. False when it cannot be opened (nothing can be said then)."""
    try:
        handle = open_lock(data_dir / POLL_LOCK_NAME)
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(handle)
    return True


def lock_holder(path: Path, unnamed: str) -> str:
    """The holder a lock file's note names (its first line), or `unnamed` when it names none readable."""
    try:
        line = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[0]
    except (OSError, IndexError):
        line = ""
    return line[:200] if line.isprintable() and line else unnamed
