"""The turn to ask arXiv, shared by every process on one data folder: the service, and `digest poll`, `digest add`
or a backfill run beside it. A file in the data folder is locked (flock) while a request is in flight and holds when
the last one ended, so a request starts at least the interval after any other process's request ended.

Times are the system's monotonic clock (one count for every process on the machine, unmoved by a clock jump); a time
from another boot or a file that cannot be read asks for no wait beyond the interval itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

log = logging.getLogger(__name__)

# How often a process waiting for another's request in flight looks whether the turn is free.
LOCK_POLL_SECONDS = 0.05


def _open(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:  # a read-only data folder: this process keeps its own spacing
        log.debug("arxiv: cannot share the turn to ask arXiv through %s: %s", path, exc.strerror)
        return None


def _last_end_by_another(handle: int) -> float | None:
    """When another process's last request ended (monotonic), or None when the last one was this process's own
    (the in-process spacing covers it) or the file says nothing usable."""
    try:
        pid, ended = os.pread(handle, 64, 0).decode("ascii").split()
        return None if int(pid) == os.getpid() else float(ended)
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _record_end(handle: int) -> None:
    with contextlib.suppress(OSError):  # a full disk: the next request simply waits the interval again
        text = f"{os.getpid()} {time.monotonic():.6f}\n".encode("ascii")
        os.ftruncate(handle, 0)
        os.pwrite(handle, text, 0)


@asynccontextmanager
async def shared_turn(
    path: Path | None, interval: float, sleep: Callable[[float], Awaitable[None]]
) -> AsyncIterator[None]:
    """One request at a time across the processes sharing `path`, at least `interval` seconds after the previous
    one ended. `sleep` waits (and raises when the service stops meanwhile)."""
    handle = _open(path) if path is not None else None
    if handle is None:
        yield
        return
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await sleep(LOCK_POLL_SECONDS)
        ended = _last_end_by_another(handle)
        if ended is not None:
            wait = min(interval, ended + interval - time.monotonic())
            if wait > 0:
                await sleep(wait)
        try:
            yield
        finally:
            _record_end(handle)
    finally:
        os.close(handle)  # closing the descriptor releases the lock
