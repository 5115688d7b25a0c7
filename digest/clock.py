"""Time, a leaf: the one way to read the clock (`utc_now`, the default wherever a clock can be passed in; `steady_now`
for spans a wall clock step must not move), the clock
that also waits (`Clock`, for code that spaces requests or retries), and the one rule for a moment from outside (a
naive time means UTC; an aware one is converted)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


def utc_now() -> datetime:
    return datetime.now(UTC)


def steady_now() -> datetime:
    """The monotonic clock as a moment, for what times a span and must not be moved by setting the wall clock (the
    web's lock-outs): only the difference of two readings means anything, never the date."""
    return datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=time.monotonic())


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Clock:
    """Time for code that also waits (the arXiv fetcher and the poll): the same reading as `utc_now`, a monotonic
    count and a sleep; tests pass a clock whose `sleep` only moves time forward."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return utc_now()

    async def sleep(self, seconds: float) -> None:
        import asyncio  # already loaded by whoever awaits this; a leaf imported by every command need not load it

        await asyncio.sleep(seconds)


SYSTEM_CLOCK = Clock()


def zoned(moment: datetime) -> str:
    """A moment as a person reads a schedule: in the zone its setting is written in, named, and UTC beside it
    ("2026-12-07 00:30 America/New_York (05:30 UTC)"); a moment in UTC once ("2026-12-07 08:00 UTC")."""
    zone = getattr(moment.tzinfo, "key", None) or moment.tzname() or "UTC"
    utc = as_utc(moment)
    if zone in ("UTC", "Etc/UTC"):
        return f"{utc:%Y-%m-%d %H:%M} UTC"
    beside = f"{utc:%H:%M}" if utc.date() == moment.date() else f"{utc:%Y-%m-%d %H:%M}"
    return f"{moment:%Y-%m-%d %H:%M} {zone} ({beside} UTC)"
