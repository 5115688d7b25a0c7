"""The turn to ask arXiv: one request at a time, the interval apart, in this process (`polite_turn`) and across every
process on one data folder (the service, and `digest poll`, `add` or a backfill beside it) through its turn file
(digest.arxiv.turn_file). A back-off from the host (or host:port) asked, which every process waits out, and the spacing
after another process's request are waited for holding no lock: a process waiting does not hold up another one's
request to elsewhere, nor its reading of the file.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from digest.arxiv.fetch_types import FetchError, FetchStoppedError, minute_after
from digest.arxiv.turn_file import Turn, TurnFile
from digest.clock import Clock

log = logging.getLogger(__name__)

T = TypeVar("T")

# All the time a stop gives a request in flight (Docker kills at 10 s): the service's and `digest poll`'s alike.
STOP_GRACE_SECONDS = 8.0
# What a poll whose request was given up at the grace's end has left to end itself (its run recorded as interrupted):
# the service waits that much longer for it before cancelling it, still within Docker's 10 s.
WIND_DOWN_SECONDS = 1.0
# The longest back-off a request waits for before it is made (the fetcher's longest back-off between its tries).
LONGEST_BACK_OFF_SECONDS = 600.0


class _Spacing:
    """When the last request to arXiv ended, per clock, so every fetcher in the process keeps its distance."""

    def __init__(self) -> None:
        self.last_end: float | None = None
        self.locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


_spacings: weakref.WeakKeyDictionary[Clock, _Spacing] = weakref.WeakKeyDictionary()


class Stopping(asyncio.Event):
    """The service's stop: set, it fixes the one deadline (the loop's time) that ends the grace of every request in
    flight and the stop's own wait for them, so neither ends a loop turn after the other."""

    def __init__(self) -> None:
        super().__init__()
        self.grace_ends: float | None = None

    def set(self) -> None:
        if self.grace_ends is None:
            self.grace_ends = asyncio.get_running_loop().time() + STOP_GRACE_SECONDS
        super().set()


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
    loop = asyncio.get_running_loop()
    ends = stop.grace_ends if isinstance(stop, Stopping) else None
    await asyncio.sleep(STOP_GRACE_SECONDS if ends is None else max(0.0, ends - loop.time()))  # real time


@dataclass
class _Waited:
    """What a process already waited out before its request: after the wait it goes ahead unless the file says something
    new (another process asked meanwhile, a place was backed off from again), so clocks a little apart never loop."""

    last_end: float | None = None
    back_offs: dict[str, float] = field(default_factory=dict)

    def waits(self, turn: Turn, interval: float, places: tuple[str, ...], now: datetime) -> tuple[float, str | None]:
        """How long to wait before asking (0: ask now), and the place whose back-off that is, if any."""
        spacing = 0.0
        if turn.last_end_by_another is not None and turn.last_end_by_another != self.last_end:
            spacing = min(interval, turn.last_end_by_another + interval - time.monotonic())
        self.last_end = turn.last_end_by_another
        back_off, backed_off = 0.0, None
        for place in places:
            if turn.busy_until(place, now) is not None:
                continue  # a host left alone is not asked at all (FetchError at once), its back-off not waited for
            until = turn.backing_off.get(place, 0.0)
            left = min(turn.back_off_left(place, now), LONGEST_BACK_OFF_SECONDS)
            if until > self.back_offs.get(place, 0.0) and left >= 0.01 and left > back_off:
                back_off, backed_off = left, place  # less is the clocks' rounding (this process's own, waited)
            self.back_offs[place] = max(until, self.back_offs.get(place, 0.0))
        return max(spacing, back_off, 0.0), backed_off


@asynccontextmanager
async def polite_turn(
    clock: Clock,
    interval: float,
    stop: asyncio.Event | None = None,
    shared: Path | None = None,
    back_off_from: tuple[str, ...] = (),
    what: str = "",
    patience: float | None = None,
) -> AsyncIterator[Turn]:
    """One request at a time, starting at least `interval` seconds after the previous one ended: in this process,
    and in every process sharing the turn file `shared` (the data folder's). The back-off from each place in
    `back_off_from` (the host, its host:port) is waited out first, said in one line naming `what` is asked; one longer
    than `patience` (a person waits for this request) is FetchError at once, the request not made."""
    spacing = _spacings.setdefault(clock, _Spacing())
    lock = spacing.locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    waited = _Waited()
    while True:
        async with lock:
            if spacing.last_end is not None:
                wait = spacing.last_end + interval - clock.monotonic()
                if wait > 0:
                    await pause(clock, wait, stop)
            claimed = await TurnFile.claim(shared, lambda seconds: pause(clock, seconds, stop))
            wait, backed_off = waited.waits(claimed.turn, interval, back_off_from, clock.now())
            if wait <= 0:
                try:
                    yield claimed.turn
                finally:
                    claimed.close(asked=True)
                    spacing.last_end = clock.monotonic()
                return
            claimed.close(asked=False)  # the wait holds no lock: another process may read the file and ask elsewhere
        if backed_off is not None:
            # A warning: up to 10 minutes of silence would look like a hang to a maintainer running `digest add`.
            cause = claimed.turn.back_off_cause(backed_off).words(backed_off)
            if patience is not None and wait > patience:
                until = minute_after(clock.now(), wait)
                # Said to the person waiting, as a Retry-After is (fetch_types.left_alone_words): no API query in it.
                raise FetchError(f"not asked before {until} UTC, the back-off after {cause}; try again then")
            log.warning("fetch %s: waiting %.0f s first, the back-off after %s", what, wait, cause)
        await pause(clock, wait, stop)
