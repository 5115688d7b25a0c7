"""What one answer of arXiv says for the poll: fetched, quiet (a day without announcement) or broken (asked again at the
retry), with the reason in plain words. Pure: the parsed answer, its status, the feed seen last and the time."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from digest.arxiv.announcements import NO_ANNOUNCEMENT_BY, announcement_given_up, is_arxiv_holiday, not_yet_announced
from digest.arxiv.parse import ParsedFeed

FETCHED, NOT_MODIFIED, QUIET, BROKEN, ERROR = "fetched", "not-modified", "quiet", "broken", "error"
FAILED_OUTCOMES = (BROKEN, ERROR)
# arXiv dates a day's feed 00:00 of that day in New York and serves it from 20:00 the evening before: a date this far
# ahead of this machine's clock is a wrong one (a mirror's, a garbled year), never kept as the last feed seen.
FEED_DATE_AHEAD = timedelta(days=30)


def sane_feed_date(feed_date: datetime | None, now: datetime) -> datetime | None:
    """The date of a feed, unless it lies too far ahead of `now` to be a real one: taken as the last feed seen, every
    real feed after it would be "older than the last one seen", at every poll until that date."""
    return feed_date if feed_date is None or feed_date <= now + FEED_DATE_AHEAD else None


def classify(
    parsed: ParsedFeed,
    *,
    status: int,
    last_feed_date: datetime | None,
    now: datetime,
    tz: ZoneInfo,
    live: bool = True,
    holidays: Collection[date] = (),
    source: str = "",
) -> tuple[str, str]:
    """fetched | quiet | broken, with the reason in plain words. Pure. `live`: read from arXiv now (not a file kept
    from another day), so a feed dated before the announcement day it is read on is not that day's yet. `holidays`:
    the days without announcement the maintainers listed besides the calendar's. `source`: the feed the problems name.
    """
    if status >= 400:
        return BROKEN, f"HTTP {status}" + (f": {parsed.error}" if parsed.error else "")
    if parsed.error:
        return BROKEN, parsed.error
    if parsed.kind == "api":
        if not parsed.items_read and parsed.total_results:
            # The API's known glitch (see backfill): an answer that drops its entries; the retry asks again.
            return BROKEN, f"an API answer with no entries although totalResults says {parsed.total_results}"
        return FETCHED, ""
    last = sane_feed_date(last_feed_date, now)
    if last is not None and parsed.feed_date is not None and parsed.feed_date < last:
        return (
            BROKEN,
            f"the feed is dated {parsed.feed_date:%Y-%m-%d %H:%M}, older than the last one seen ({last:%Y-%m-%d})",
        )
    # A feed read before (not a first poll, nor a file kept from another day) that is not the day's yet: arXiv is late.
    late = not_yet_announced(parsed.feed_date, now, holidays) if live and last is not None else ""
    if late:
        return BROKEN, late
    if parsed.papers:
        return FETCHED, ""
    if parsed.problems:
        return BROKEN, _no_usable_item(parsed.problems, source)
    local = (parsed.feed_date or now).astimezone(tz)
    weekday = local.strftime("%A")
    if local.weekday() >= 5:
        return QUIET, f"no announcements on {weekday} {local:%Y-%m-%d}"
    if weekday in parsed.skip_days:
        return QUIET, f"the feed skips {weekday}s"
    if is_arxiv_holiday(local.date(), holidays):
        return QUIET, f"arXiv holiday {local:%Y-%m-%d}"
    if announcement_given_up(local.date(), now):  # the retry finds it still empty: a holiday, not a late feed
        return QUIET, (
            f"no announcement on {weekday} {local:%Y-%m-%d} by {NO_ANNOUNCEMENT_BY:%H:%M} in New York: an arXiv "
            "holiday? (list it in [arxiv] holidays)"
        )
    return BROKEN, f"an empty feed on a weekday ({weekday} {local:%Y-%m-%d})"


# A problem longer than this is left to the log's line for it: the report's line stays one a terminal shows whole.
_PROBLEM_SHOWN = 160


def _no_usable_item(problems: list[str], source: str) -> str:
    """Why a feed gave no paper: the first problem said (without the feed, which the line names) when it is short, and
    how many there were."""
    first = problems[0].removeprefix(f"{source}: ") if source else problems[0]
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    if len(first) > _PROBLEM_SHOWN:
        return f"no usable item ({count})"
    return f"no usable item: {first}" if len(problems) == 1 else f"no usable item ({count}; the first: {first})"


def results_left(parsed: ParsedFeed, source: str) -> int:
    """How many results an API answer's query holds past the page read (its totalResults, less the page's start and
    its items); 0 for a feed, or when arXiv did not say."""
    if parsed.kind != "api" or parsed.total_results is None:
        return 0
    start = parse_qs(urlsplit(source).query).get("start", ["0"])[0]
    first = int(start) if start.isascii() and start.isdigit() and len(start) < 10 else 0
    return max(0, parsed.total_results - first - parsed.items_read)
