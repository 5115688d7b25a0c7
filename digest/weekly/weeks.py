"""ISO weeks in the list's time zone (pure: the caller passes `now`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

_WEEK_PATTERN = re.compile(r"^\s*([0-9]{4})-?W([0-9]{1,2})\s*$", re.IGNORECASE)  # not \d: '２０２６' is no year
MIN_YEAR, MAX_YEAR = 1970, 9998


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """'2026-W48' (or '2026W48'); raises ValueError with one line saying what is expected."""
        match = _WEEK_PATTERN.match(text)
        if not match:
            shown = repr(text) if len(text) <= 40 else repr(text[:40]) + "…"
            digits = " in the digits 0-9" if any(char.isdigit() and not char.isascii() for char in text) else ""
            raise ValueError(f"{shown} is not an ISO week: use YYYY-Www{digits}, e.g. 2026-W48")
        year, week = int(match.group(1)), int(match.group(2))
        if not MIN_YEAR <= year <= MAX_YEAR:  # a week's bounds in any time zone must stay within the calendar
            raise ValueError(f"{text!r}: the year must be between {MIN_YEAR} and {MAX_YEAR}")
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{year} has no ISO week {week}") from None
        return cls(year, week)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[Monday 00:00, next Monday 00:00) in the zone; built per day so a DST change keeps midnights."""
        start = datetime.combine(self.monday, time(), tz)
        end = datetime.combine(self.monday + timedelta(days=7), time(), tz)
        return start, end

    def previous(self) -> IsoWeek:
        return week_of_day(self.monday - timedelta(days=7))

    def next(self) -> IsoWeek:
        return week_of_day(self.monday + timedelta(days=7))


def long_date(day: date) -> str:
    """'Monday 23 November 2026', without the platform-specific strftime flags for unpadded days."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def week_of_day(day: date) -> IsoWeek:
    year, week, _ = day.isocalendar()
    return IsoWeek(year, week)


def week_of(moment: datetime, tz: tzinfo) -> IsoWeek:
    return week_of_day(moment.astimezone(tz).date())


def last_complete_week(now: datetime, tz: tzinfo) -> IsoWeek:
    """The week before the one `now` falls in, in the list's time zone."""
    return week_of(now, tz).previous()
