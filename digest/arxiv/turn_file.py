"""The data folder's turn file (arxiv.turn): what every process asking arXiv shares, and its lock. It holds when the
last request ended, until when a host asked to be left alone (Retry-After), and until when a host (or a host:port) is
backed off from after a refusal (429, 5xx) or a request lost on the way (timed out, dropped). It is locked (flock)
only to read it and claim a turn, and for the request made in that turn, never while a process waits; a reader that
only reads it (left_alone_until) takes a shared lock, so it never reads it half written.

When a request ended is the system's monotonic clock (one count for every process on the machine, unmoved by a clock
jump); a Retry-After and a back-off are moments (POSIX time). A file that cannot be read asks for no wait.
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from digest.arxiv.fetch_types import LONGEST_WAIT_SECONDS
from digest.storage.private import open_lock

log = logging.getLogger(__name__)

# How often a process waiting for another's request in flight looks whether the turn is free.
LOCK_POLL_SECONDS = 0.05
# A wait further away than this is not arXiv's (a clock that jumped, a garbled file): forgotten.
LONGEST_LEFT_ALONE_SECONDS = LONGEST_WAIT_SECONDS


class BackOffCause(StrEnum):
    """Why a place is backed off from, as the turn file keeps it (a file without one: a refusal, as all were)."""

    REFUSED = "refused"
    LOST = "lost"

    def words(self, place: str) -> str:
        if self is BackOffCause.REFUSED:
            return f"{place} refused a request (429 or 5xx)"
        return f"a request to {place} was lost (timed out or dropped)"


@dataclass
class Turn:
    """What the file says while this process holds the turn; the waits (place -> POSIX time) are written back."""

    last_end_by_another: float | None = None  # monotonic, when another process's last request ended
    left_alone: dict[str, float] = field(default_factory=dict)
    backing_off: dict[str, float] = field(default_factory=dict)  # host (or host:port) -> POSIX time its back-off ends
    back_off_causes: dict[str, BackOffCause] = field(default_factory=dict)

    def busy_until(self, host: str | None, now: datetime) -> datetime | None:
        """Until when `host` asked to be left alone, when that is still ahead of `now`."""
        until = self.left_alone.get(host or "")
        if until is None or not 0 < until - now.timestamp() <= LONGEST_LEFT_ALONE_SECONDS:
            return None
        return datetime.fromtimestamp(until, UTC)

    def leave_alone(self, host: str | None, seconds: float, now: datetime) -> None:
        if host:
            self.left_alone[host] = max(self.left_alone.get(host, 0.0), now.timestamp() + seconds)

    def back_off(
        self, place: str | None, seconds: float, now: datetime, cause: BackOffCause = BackOffCause.REFUSED
    ) -> None:
        """Keeps that `place` (the host that refused a request, the host:port a request to was lost on the way) is
        backed off from for `seconds` after `now`."""
        until = now.timestamp() + seconds
        if place and until > self.backing_off.get(place, 0.0):
            self.backing_off[place], self.back_off_causes[place] = until, cause

    def back_off_left(self, place: str | None, now: datetime) -> float:
        """How long the back-off from `place` still lasts (0 when none is under way)."""
        left = self.backing_off.get(place or "", 0.0) - now.timestamp()
        return left if 0 < left <= LONGEST_LEFT_ALONE_SECONDS else 0.0

    def back_off_cause(self, place: str) -> BackOffCause:
        return self.back_off_causes.get(place, BackOffCause.REFUSED)

    def forget_past(self, now: datetime) -> None:
        """Forgets the waits that are over, and those too far ahead to be kept (an endless one an older version wrote
        would outweigh each later Retry-After in `leave_alone`)."""
        self.left_alone, self.backing_off = (
            {host: until for host, until in waits.items() if 0 < until - now.timestamp() <= LONGEST_LEFT_ALONE_SECONDS}
            for waits in (self.left_alone, self.backing_off)
        )
        self.back_off_causes = {place: why for place, why in self.back_off_causes.items() if place in self.backing_off}


def open_turn_file(path: Path) -> int | None:
    try:
        return open_lock(path)  # in a data folder shared with a group, one the other members' commands may open too
    except OSError as exc:  # a read-only data folder: this process keeps its own spacing
        log.debug("arxiv: cannot share the turn to ask arXiv through %s: %s", path, exc.strerror)
        return None


def read_turn(handle: int) -> Turn:
    """The file's turn; the last end is only another process's (the in-process spacing covers this one's)."""
    try:
        saved = json.loads(os.pread(handle, 1 << 16, 0) or b"{}")
        writer, ended = saved.get("process"), saved.get("ended")
        left_alone, backing_off = (
            {str(host): float(until) for host, until in dict(saved.get(key) or {}).items()}
            for key in ("left_alone", "backing_off")
        )
        causes = {
            str(place): BackOffCause(why)
            for place, why in dict(saved.get("back_off_causes") or {}).items()
            if why in set(BackOffCause)  # a cause a later version added: the refusal all were before
        }
    except (OSError, ValueError, TypeError, AttributeError):
        return Turn()
    by_another = float(ended) if isinstance(ended, int | float) and writer != _this_process() else None
    return Turn(by_another, left_alone, backing_off, causes)


def write_turn(handle: int, turn: Turn) -> None:
    """Writes `turn` back, this process's request ending now."""
    record = {
        "process": _this_process(),
        "ended": time.monotonic(),
        "left_alone": turn.left_alone,
        "backing_off": turn.backing_off,
        "back_off_causes": {place: str(why) for place, why in turn.back_off_causes.items()},
    }
    with contextlib.suppress(OSError):  # a full disk: the next request simply waits the interval again
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps(record).encode("ascii"), 0)


async def left_alone_until(path: Path | None, now: datetime) -> dict[str, datetime]:
    """Until when each host asked to be left alone (a Retry-After still ahead of `now`), as the turn file says. Read
    under a shared lock: unlocked, it could read the file a writer had just emptied to write it again, and conclude
    nobody asked to be left alone. It waits out another process's request in flight (whose answer may add a wait)."""
    handle = None if path is None else open_turn_file(path)
    if path is None or handle is None:
        return {}
    try:
        await lock_turn_file(handle, path, asyncio.sleep, shared=True)  # no locks on this filesystem: read as it is
        turn = read_turn(handle)
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


async def lock_turn_file(
    handle: int, path: Path, sleep: Callable[[float], Awaitable[None]], *, shared: bool = False
) -> bool:
    """Waits for the file's lock (held by another process only to read it or for its request in flight), `shared`
    only to read it; False where the filesystem has no locks (ENOLCK on some network mounts): this process then keeps
    its own spacing, as with a read-only folder."""
    while True:
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
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


class TurnFile:
    """The turn file's lock held from `claim` to `close`, and what the file said; a Turn of this process's own (and
    no lock) without a file, or where it cannot be opened or locked."""

    def __init__(self, handle: int | None, turn: Turn) -> None:
        self.handle = handle
        self.turn = turn

    @classmethod
    async def claim(cls, path: Path | None, sleep: Callable[[float], Awaitable[None]]) -> TurnFile:
        handle = None if path is None else open_turn_file(path)
        if path is None or handle is None:
            return cls(None, Turn())
        try:
            locked = await lock_turn_file(handle, path, sleep)
        except BaseException:  # stopped while another process's request was in flight
            os.close(handle)
            raise
        if not locked:
            os.close(handle)
            return cls(None, Turn())
        return cls(handle, read_turn(handle))

    def close(self, *, asked: bool) -> None:
        """Lets the lock go; `asked`: a request was made in the turn, and the file is written back first."""
        if self.handle is None:
            return
        try:
            if asked:
                write_turn(self.handle, self.turn)
        finally:
            os.close(self.handle)  # closing the descriptor releases the lock
            self.handle = None
