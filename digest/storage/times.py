"""The column type every stored time uses: kept in UTC, always read back aware, and formatted once for many rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator

_UNSEEN = object()


class UTCDateTime(TypeDecorator[datetime]):
    """Times are stored in UTC and always come back aware, in UTC.

    SQLite keeps no offset and hands back naive datetimes while PostgreSQL hands back aware ones; without this,
    every reader would have to guess, and comparing the two kinds raises at run time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Any:
        """The dialect's form of a time, the last one kept: a poll stores thousands of rows seen at one time, and
        SQLite's formatting of that same datetime on every row was most of the cost of the insert. Kept by identity
        (a datetime never changes; the one kept cannot be freed, so no other object takes its id)."""
        process = super().bind_processor(dialect)
        if process is None:
            return None
        last: tuple[object, Any] = (_UNSEEN, None)

        def remembered(value: datetime | None) -> Any:
            nonlocal last
            held = last  # one read: another thread may replace it meanwhile, never half of it
            if value is held[0]:
                return held[1]
            result = process(value)
            last = (value, result)
            return result

        return remembered
