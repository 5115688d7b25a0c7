"""The turn to ask arXiv: one request at a time, the interval apart, in this process (`polite_turn`) and across every
process on one data folder (the service, and `digest poll`, `add` or a backfill beside it). The data folder's turn
file is locked (flock) while a request is in flight and holds when the last one ended, until when a host asked
to be left alone (Retry-After), so neither the next poll nor another command asks it before then, and until when a host
that answered 429 or 5xx is backed off from, which every process waits out (a back-off is the host's, not a process's).

When a request ended is the system's monotonic clock (one count for every process on the machine, unmoved by a clock
jump); a Retry-After is a moment (it may be an HTTP date). A file that cannot be read asks for no wait beyond the
interval itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import secrets
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from digest.arxiv.fetch_types import LONGEST_WAIT_SECONDS, FetchStoppedError
from digest.clock import Clock
from digest.storage.private import open_lock

log = logging.getLogger(__name__)

T = TypeVar("T")

# How often a process waiting for another's request in flight looks whether the turn is free.
LOCK_POLL_SECONDS = 0.05
# A wait further away than this is not arXiv's (a clock that jumped, a garbled file): forgotten.
LONGEST_LEFT_ALONE_SECONDS = LONGEST_WAIT_SECONDS
# All the time a stop gives a request in flight (Docker kills at 10 s): the service's and `digest poll`'s alike.
STOP_GRACE_SECONDS = 8.0


@dataclass
class Turn:
    """What the file says while this process holds the turn; `left_alone` (host -> POSIX time) is written back."""

    last_end_by_another: float | None = None  # monotonic, when another process's last request ended
    left_alone: dict[str, float] = field(default_factory=dict)
    backing_off: dict[str, float] = field(default_factory=dict)  # host -> POSIX time its back-off ends

    def busy_until(self, host: str | None, now: datetime) -> datetime | None:
        """Until when `host` asked to be left alone, when that is still ahead of `now`."""
        until = self.left_alone.get(host or "")
        if until is None or not 0 < until - now.timestamp() <= LONGEST_LEFT_ALONE_SECONDS:
            return None
        return datetime.fromtimestamp(until, UTC)

    def leave_alone(self, host: str | None, seconds: float, now: datetime) -> None:
        if host:
            self.left_alone[host] = max(self.left_alone.get(host, 0.0), now.timestamp() + seconds)

    def back_off(self, host: str | None, seconds: float, now: datetime) -> None:
        """Keeps that `host`, which refused a request (429, 5xx), is backed off from for `seconds` after `now`."""
        if host:
            self.backing_off[host] = max(self.backing_off.get(host, 0.0), now.timestamp() + seconds)

    def back_off_left(self, host: str | None, now: datetime) -> float:
        """How long the back-off from `host` still lasts (0 when none is under way)."""
        left = self.backing_off.get(host or "", 0.0) - now.timestamp()
        return left if 0 < left <= LONGEST_LEFT_ALONE_SECONDS else 0.0

    def forget_past(self, now: datetime) -> None:
        """Forgets the waits that are over, and those too far ahead to be kept (an endless one an older version wrote
        would outweigh each later Retry-After in `leave_alone`)."""
        self.left_alone, self.backing_off = (
            {host: until for host, until in waits.items() if 0 < until - now.timestamp() <= LONGEST_LEFT_ALONE_SECONDS}
            for waits in (self.left_alone, self.backing_off)
        )


def _open(path: Path) -> int | None:
    try:
        return open_lock(path)  # in a data folder shared with a group, one the other members' commands may open too
    except OSError as exc:  # a read-only data folder: this process keeps its own spacing
        log.debug("arxiv: cannot share the turn to ask arXiv through %s: %s", path, exc.strerror)
        return None


def _read(handle: int) -> Turn:
    """The file's turn; the last end is only another process's (the in-process spacing covers this one's)."""
    try:
        saved = json.loads(os.pread(handle, 1 << 16, 0) or b"{}")
        writer, ended = saved.get("process"), saved.get("ended")
        left_alone, backing_off = (
            {str(host): float(until) for host, until in dict(saved.get(key) or {}).items()}
            for key in ("left_alone", "backing_off")
        )
    except (OSError, ValueError, TypeError, AttributeError):
        return Turn()
    by_another = float(ended) if isinstance(ended, int | float) and writer != _this_process() else None
    return Turn(by_another, left_alone, backing_off)


def left_alone_until(path: Path | None, now: datetime) -> dict[str, datetime]:
    """Until when each host asked to be left alone (a Retry-After still ahead of `now`), as the turn file says."""
    handle = None if path is None else _open(path)
    if handle is None:
        return {}
    try:
        turn = _read(handle)
    finally:
        os.close(handle)
    found = {host: turn.busy_until(host, now) for host in turn.left_alone}
    return {host: until for host, until in found.items() if until is not None}


def _this_process() -> str:
    """What tells this process from the others on the data folder in the file. Not the pid alone: processes in
    containers of their own share the folder and are each pid 1 (or 7) of their namespace."""
    pid = os.getpid()
    if _process.get("pid") != pid:  # first use, or a forked child
        _process.update(pid=pid, name=f"{pid}-{secrets.token_hex(8)}")
    return str(_process["name"])


_process: dict[str, int | str] = {}


def _write(handle: int, turn: Turn) -> None:
    record = {
        "process": _this_process(),
        "ended": time.monotonic(),
        "left_alone": turn.left_alone,
        "backing_off": turn.backing_off,
    }
    with contextlib.suppress(OSError):  # a full disk: the next request simply waits the interval again
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps(record).encode("ascii"), 0)


async def _lock(handle: int, path: Path, sleep: Callable[[float], Awaitable[None]]) -> bool:
    """Waits for the file's lock; False where the filesystem has no locks (ENOLCK on some network mounts): this
    process then keeps its own spacing, as with a read-only folder."""
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            await sleep(LOCK_POLL_SECONDS)
        except OSError as exc:
            if path not in _unlockable:
                _unlockable.add(path)
                log.warning("arxiv: cannot lock %s (%s): processes on this data folder keep their own 3 s spacing, "
                            "not a shared one", path, exc.strerror)  # fmt: skip
            return False


_unlockable: set[Path] = set()  # turn files already said to take no lock


@asynccontextmanager
async def shared_turn(
    path: Path | None, interval: float, sleep: Callable[[float], Awaitable[None]]
) -> AsyncIterator[Turn]:
    """One request at a time across the processes sharing `path`, at least `interval` seconds after the previous
    one ended; yields what the file says (a Turn of its own without a file). `sleep` waits (and raises when the service
    stops meanwhile)."""
    handle = _open(path) if path is not None else None
    if path is None or handle is None:
        yield Turn()
        return
    try:
        if not await _lock(handle, path, sleep):
            yield Turn()
            return
        turn = _read(handle)
        if turn.last_end_by_another is not None:
            wait = min(interval, turn.last_end_by_another + interval - time.monotonic())
            if wait > 0:
                await sleep(wait)
        try:
            yield turn
        finally:
            _write(handle, turn)
    finally:
        os.close(handle)  # closing the descriptor releases the lock


class _Spacing:
    """When the last request to arXiv ended, per clock, so every fetcher in the process keeps its distance."""

    def __init__(self) -> None:
        self.last_end: float | None = None
        self.locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


_spacings: weakref.WeakKeyDictionary[Clock, _Spacing] = weakref.WeakKeyDictionary()


async def pause(clock: Clock, seconds: float, stop: asyncio.Event | None) -> None:
    """Sleeps `seconds` on `clock`; raises FetchStoppedError at once when `stop` is (or gets) set."""
    if stop is None:
        await clock.sleep(seconds)
        return
    if stop.is_set():
        raise FetchStoppedError("the service is stopping")
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, stopper):
            task.cancel()
        await asyncio.gather(sleeper, stopper, return_exceptions=True)
    if stop.is_set():
        raise FetchStoppedError("the service is stopping")


async def within_grace(asking: Awaitable[T], stop: asyncio.Event | None, what: str) -> T:
    """What `asking` (a request in flight) gives, unless `stop` was set STOP_GRACE_SECONDS before: then the request
    is given up (FetchStoppedError). Without this only the running service, which cancels its poll after the grace,
    ended a hung request; `digest poll` waited out the whole HTTP time-out."""
    if stop is None:
        return await asking
    request = asyncio.ensure_future(asking)
    grace = asyncio.ensure_future(_grace_after(stop))
    try:
        await asyncio.wait({request, grace}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # the caller was cancelled: no request is left behind
        request.cancel()
        grace.cancel()
        raise
    grace.cancel()
    if not request.done():
        request.cancel()
        await asyncio.gather(request, grace, return_exceptions=True)
        grace_words = f"{STOP_GRACE_SECONDS:.0f} s"
        raise FetchStoppedError(f"{what}: no answer within the stop's grace ({grace_words}); read again next time")
    await asyncio.gather(grace, return_exceptions=True)
    return request.result()


async def _grace_after(stop: asyncio.Event) -> None:
    await stop.wait()
    await asyncio.sleep(STOP_GRACE_SECONDS)  # real time, as the service's own grace


@asynccontextmanager
async def polite_turn(
    clock: Clock, interval: float, stop: asyncio.Event | None = None, shared: Path | None = None
) -> AsyncIterator[Turn]:
    """One request at a time, starting at least `interval` seconds after the previous one ended: in this process,
    and in every process sharing the turn file `shared` (the data folder's)."""
    spacing = _spacings.setdefault(clock, _Spacing())
    lock = spacing.locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock:
        if spacing.last_end is not None:
            wait = spacing.last_end + interval - clock.monotonic()
            if wait > 0:
                await pause(clock, wait, stop)
        try:
            async with shared_turn(shared, interval, lambda seconds: pause(clock, seconds, stop)) as turn:
                yield turn
        finally:
            spacing.last_end = clock.monotonic()
