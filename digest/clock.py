"""Time, a leaf: the one way to read the clock (`utc_now`, the default wherever a clock can be passed in) and the one
rule for a moment from outside (a naive time means UTC; an aware one is converted)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
