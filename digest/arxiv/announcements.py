"""arXiv's own calendar: it announces Sunday to Thursday evenings, US Eastern time, with a few holidays. Pure.

Whatever zone an operator writes the poll's schedule in (`[arxiv] poll_timezone`), the day an answer belongs to is
arXiv's: a feed dated Monday 00:00 in New York is Monday's, even where it is still Sunday evening.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from digest.titles import arxiv_id_month

ARXIV_ZONE = ZoneInfo("America/New_York")
# arXiv announces at 20:00 the evening before the day its feed is dated: a weekday whose feed still holds nothing of
# its own by this hour had no announcement (a holiday the calendar here does not know), not a late one.
NO_ANNOUNCEMENT_BY = time(4, 0)
ANNOUNCED_AT = time(20, 0)
# A day whose announcement had not come by the last planned poll (arXiv hours late) is polled once more at this hour:
# late announcements come in the morning, and the day's feed holds until ANNOUNCED_AT.
LATE_POLL_AT = time(14, 0)


def is_arxiv_holiday(day: date, extra: Collection[date] = ()) -> bool:
    """Days arXiv announces nothing besides weekends (approximate: New Year, Thanksgiving, Christmas week), and the
    `extra` ones the maintainers listed from arXiv's schedule (`[arxiv] holidays`)."""
    if day in extra or (day.month, day.day) in {(1, 1), (12, 25), (12, 26)}:
        return True
    return day.month == 11 and day.weekday() == 3 and 22 <= day.day <= 28  # US Thanksgiving


def is_announcement_day(day: date, extra: Collection[date] = ()) -> bool:
    """Whether a feed dated `day` (in arXiv's zone) carries announcements."""
    return day.weekday() < 5 and not is_arxiv_holiday(day, extra)


def announcement_given_up(day: date, now: datetime) -> bool:
    """Whether `now` is so long after the announcement of `day` was due that none is coming (a holiday)."""
    return now.astimezone(ARXIV_ZONE) >= datetime.combine(day, NO_ANNOUNCEMENT_BY, ARXIV_ZONE)


def announcement_awaited(feed: datetime | None, has_papers: bool, now: datetime, extra: Collection[date] = ()) -> bool:
    """Whether a feed read at `now` on an announcement day lacks that day's announcement: still an earlier day's
    (arXiv late), or that day's and empty (late, or a holiday the calendar does not know)."""
    today = now.astimezone(ARXIV_ZONE).date()
    if feed is None or not is_announcement_day(today, extra):
        return False
    dated = feed.astimezone(ARXIV_ZONE).date()
    return dated < today or (dated == today and not has_papers)


def late_poll_at(now: datetime) -> datetime | None:
    """When a day whose announcement has not come by `now` is polled once more (LATE_POLL_AT in New York); None when
    that hour has passed."""
    local = now.astimezone(ARXIV_ZONE)
    at = datetime.combine(local.date(), LATE_POLL_AT, ARXIV_ZONE)
    return at if local < at else None


def feed_replaced_at(now: datetime) -> datetime:
    """When the feed read at `now` gives way to the next announcement (20:00 in New York): a poll after that reads
    another day's feed."""
    local = now.astimezone(ARXIV_ZONE)
    replaced = datetime.combine(local.date(), ANNOUNCED_AT, ARXIV_ZONE)
    return (
        replaced if local < replaced else datetime.combine(local.date() + timedelta(days=1), ANNOUNCED_AT, ARXIV_ZONE)
    )


def served_feed_day(moment: datetime) -> date:
    """The day of the feed arXiv serves at `moment`: from ANNOUNCED_AT in New York, the next day's."""
    local = moment.astimezone(ARXIV_ZONE)
    return local.date() + timedelta(days=1) if local.time() >= ANNOUNCED_AT else local.date()


def missed_announcement_days(last_read: date, now_read: date, extra: Collection[date] = ()) -> list[date]:
    """The announcement days strictly between the feed read last time and the one read now: their feeds were never
    read (the service was down, or its schedule skipped them), and arXiv's feeds show one day only."""
    days = (last_read + timedelta(days=offset) for offset in range(1, (now_read - last_read).days))
    return [day for day in days if is_announcement_day(day, extra)]


def submitted_since(last_read: date) -> date:
    """From when the papers of the announcements after the feed of `last_read` were submitted: the weekday before it
    (each announcement holds the submissions of the working day before it, a Monday's those since Friday)."""
    day = last_read - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def missed_days_clause(last_feed: datetime | None, this_feed: datetime | None, extra: Collection[date] = ()) -> str:
    """ "; no feed was read for ..." when announcement days passed between the feed read last time and this one (the
    service was down, or its schedule skipped a day), with the backfill that reads their papers; else ""."""
    if last_feed is None or this_feed is None:
        return ""
    last = last_feed.astimezone(ARXIV_ZONE).date()
    missed = missed_announcement_days(last, this_feed.astimezone(ARXIV_ZONE).date(), extra)
    if not missed:
        return ""
    shown = ", ".join(f"{day:%a %Y-%m-%d}" for day in missed[:5])
    more = f" and {len(missed) - 5} more" if len(missed) > 5 else ""
    plural = "s" if len(missed) > 1 else ""
    return (
        f"; no feed was read for {len(missed)} announcement day{plural} since the last one ({shown}{more}): their "
        f"papers were not seen; 'digest backfill --since {submitted_since(last):%Y-%m-%d}' reads them from the API"
    )


def not_yet_announced(feed: datetime | None, now: datetime, extra: Collection[date] = ()) -> str:
    """Why a feed read on an announcement day is not that day's yet (arXiv is late: it is dated an earlier day), in
    one line; "" when it is that day's, or the day announces nothing."""
    if feed is None:
        return ""
    today, dated = now.astimezone(ARXIV_ZONE).date(), feed.astimezone(ARXIV_ZONE).date()
    if dated >= today or not is_announcement_day(today, extra):
        return ""
    return f"the feed is still {dated:%A %Y-%m-%d}'s: {today:%A}'s announcement has not come yet (arXiv is late)"


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def found_as(announce_type: str | None, arxiv_id: str) -> str | None:
    """What a maintainer is told of a candidate first found as a new version (`replace`, `replace-cross`) of a paper
    the service never saw: it may be new to them, but it is not new on arXiv. None for a paper found as announced."""
    if announce_type not in ("replace", "replace-cross"):
        return None
    issued = arxiv_id_month(arxiv_id)
    since = f" from {_MONTHS[issued[1] - 1]} {issued[0]}" if issued else ""
    return f"Found as a new version of an older paper{since}: not new on arXiv."
