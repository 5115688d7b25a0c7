"""One backfill at a time over a data folder: `digest backfill` takes the data folder's backfill lock (a flock, let
go by a killed holder too), which names its holder, so a second one (another terminal, a cron job) refuses in one line
instead of asking arXiv for the same pages again behind the first."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from digest.arxiv.poll_lock import lock_holder
from digest.storage.private import open_lock, take_lock

BACKFILL_LOCK_NAME = "backfill.lock"


class BackfillRunningError(Exception):
    """Another backfill holds the data folder's backfill lock (one line naming it), or the lock cannot be opened."""


@contextlib.contextmanager
def backfilling_alone(data_dir: Path, now: datetime) -> Iterator[None]:
    """Holds the backfill lock of `data_dir` while the body reads, or raises BackfillRunningError naming the backfill
    that does."""
    path = data_dir / BACKFILL_LOCK_NAME
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle = open_lock(path)
    except OSError as exc:  # a data folder made read-only since the database was opened
        raise BackfillRunningError(
            f"cannot open the backfill lock {path} ({exc.strerror}): make the data folder writable for this user; "
            "nothing was asked"
        ) from None
    if not take_lock(handle, f"digest backfill (pid {os.getpid()}), started at {now:%Y-%m-%d %H:%M:%S} UTC\n"):
        raise BackfillRunningError(
            f"{lock_holder(path, 'another backfill')} is reading arXiv for this data folder (a second backfill would "
            "ask arXiv for its pages again); nothing was asked: wait for it to end, or stop it and run this again to "
            "go on"
        )
    try:
        yield
    finally:
        os.close(handle)  # closing the descriptor releases the flock
