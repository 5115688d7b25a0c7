"""arXiv's own calendar: it announces Sunday to Thursday evenings, US Eastern time, with a few holidays. Pure.

Whatever zone an operator writes the poll's schedule in (`[arxiv] poll_timezone`), the day an answer belongs to is
arXiv's: a feed dated Monday 00:00 in New York is Monday's, even where it is still Sunday evening.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

ARXIV_ZONE = ZoneInfo("America/New_York")


def is_arxiv_holiday(day: date) -> bool:
    """Days arXiv announces nothing besides weekends (approximate: New Year, Thanksgiving, Christmas week)."""
    if (day.month, day.day) in {(1, 1), (12, 25), (12, 26)}:
        return True
    return day.month == 11 and day.weekday() == 3 and 22 <= day.day <= 28  # US Thanksgiving
