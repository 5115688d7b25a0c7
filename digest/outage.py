"""What a shell that keeps trying something (the database) says of an outage: the first failure once, a reminder at
most every REMINDER_INTERVAL while it lasts, and its end once with how long it lasted. Pure: state and time come in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

# A night of PostgreSQL maintenance lasts hours: the scheduler's retry every 30 s said so ~1,000 times and hid every
# other line. Four reminders an hour keep a long outage in sight of whoever reads the log's tail.
REMINDER_INTERVAL = timedelta(minutes=15)


class Say(StrEnum):
    """What the log says after an attempt."""

    BEGUN = "begun"  # the first failure: what failed, and that it keeps trying
    STILL = "still"  # the reminder: since when, how many attempts failed


@dataclass(frozen=True)
class Outage:
    since: datetime  # the first failed attempt
    failures: int  # attempts failed so far
    said_at: datetime  # when the log last said it (the first line or a reminder)


def failed(outage: Outage | None, now: datetime, interval: timedelta = REMINDER_INTERVAL) -> tuple[Outage, Say | None]:
    """The outage after one more failed attempt at `now`, and what to say of it (None: nothing, said recently)."""
    if outage is None:
        return Outage(since=now, failures=1, said_at=now), Say.BEGUN
    counted = replace(outage, failures=outage.failures + 1)
    if now - outage.said_at < interval:
        return counted, None
    return replace(counted, said_at=now), Say.STILL


def still_line(outage: Outage) -> str:
    """The reminder's words: "still down since 03:10 UTC, 31 attempts failed"."""
    return f"still down since {outage.since:%H:%M} UTC, {attempts(outage.failures)} failed"


def over_line(outage: Outage, now: datetime) -> str:
    """The recovery's words, said once when an attempt goes well again: "after 12 min down (since 03:10 UTC, 25
    attempts failed)"."""
    return (
        f"after {lasted(now - outage.since)} down (since {outage.since:%H:%M} UTC, {attempts(outage.failures)} failed)"
    )


def attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


def lasted(span: timedelta) -> str:
    """A duration as a reader of the log wants it: "40 s", "12 min", "3 h 5 min"."""
    seconds = max(0, round(span.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"
