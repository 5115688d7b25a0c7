"""One backfill at a time over a data folder: `digest backfill` takes the data folder's backfill lock (a flock, let
go by a killed holder too), which names its holder, so a second one (another terminal, a cron job) refuses in one line
instead of asking arXiv for the same pages again behind the first."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from digest.arxiv.poll_lock import holding_alone, lock_holder

BACKFILL_LOCK_NAME = "backfill.lock"


class BackfillRunningError(Exception):
    """Another backfill holds the data folder's backfill lock (one line naming it), or the lock cannot be opened."""


@contextlib.contextmanager
def backfilling_alone(data_dir: Path, now: datetime) -> Iterator[None]:
    """Holds the backfill lock of `data_dir` while the body reads, or raises BackfillRunningError naming the backfill
    that does."""
    path = data_dir / BACKFILL_LOCK_NAME
    with holding_alone(
        data_dir,
        BACKFILL_LOCK_NAME,
        f"digest backfill (pid {os.getpid()}), started at {now:%Y-%m-%d %H:%M:%S} UTC\n",
        lambda reason: BackfillRunningError(
            f"cannot open the backfill lock {path} ({reason}): make the data folder writable for this user; "
            "nothing was asked"
        ),
        lambda: BackfillRunningError(
            f"{lock_holder(path, 'another backfill')} is reading arXiv for this data folder (a second backfill would "
            "ask arXiv for its pages again); nothing was asked: wait for it to end, or stop it and run this again to "
            "go on"
        ),
    ):
        yield
