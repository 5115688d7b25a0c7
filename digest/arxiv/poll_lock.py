"""One poll at a time over a data folder: the service's scheduled poll and `digest poll` by hand take the data folder's
poll lock (a flock, let go by a killed holder too), which names its holder so a second poll refuses in one line."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True)
class PollLockHeld:
    """Proof that this process holds a data folder's poll lock (given by polling_alone only): no other poll of it
    runs, so its runs' rows still "running" are of polls that are gone."""

    folder: str  # the data folder, resolved, as a run's row names it


@contextlib.contextmanager
def polling_alone(data_dir: Path, who: str, now: datetime) -> Iterator[PollLockHeld]:
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
        yield PollLockHeld(str(data_dir.resolve()))


def lock_holder(path: Path, unnamed: str) -> str:
    """The holder a lock file's note names (its first line), or `unnamed` when it names none readable."""
    try:
        line = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[0]
    except (OSError, IndexError):
        line = ""
    return line[:200] if line.isprintable() and line else unnamed
