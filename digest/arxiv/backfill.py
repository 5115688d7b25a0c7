"""Backfills over a date range through the arXiv API: paged oldest first, each page judged and stored with the saved
place in one transaction, so a stopped run resumes where it was. Goes through the one polite Fetcher."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from digest.arxiv.api import fetch_answer, query_url
from digest.arxiv.backfill_pages import EMPTY_BEFORE_END, BackfillReport, save_report_place, take_page
from digest.arxiv.backfill_places import mark_done, save_place, saved_place
from digest.arxiv.fetch_types import minute_after
from digest.arxiv.fetcher import Fetcher, FetchError, FetchStoppedError, pause
from digest.arxiv.parse import ParsedFeed
from digest.arxiv.windows import API_RESULT_LIMIT, DEFAULT_CATEGORIES, Window, month_windows, watched_categories
from digest.clock import SYSTEM_CLOCK, Clock
from digest.config import Settings, read_feed_sources
from digest.progress import ProgressBar
from digest.relevance.scoring import RelevanceModel
from digest.relevance.stream import ensure_thresholds
from digest.storage.db import Database
from digest.vocab import BACKFILL_SOURCE

log = logging.getLogger("digest.arxiv.api")  # the name its log lines have always carried

# An empty or cut-off page is asked for again this many times in a row before the backfill stops (resumable): the
# page is asked PAGE_RETRIES + 1 times in all, and the log and the stop count those tries ('try 2 of 4', '4 times').
PAGE_RETRIES = 3
_STALLED_END = "backfill: %s: the page at %d is still empty, as when the last run stopped there; taken as the end"


async def backfill(
    settings: Settings,
    database: Database,
    since: date,
    *,
    page_size: int = 100,
    clock: Clock = SYSTEM_CLOCK,
    progress: TextIO | None = None,
    max_pages: int | None = None,
    result_limit: int = API_RESULT_LIMIT,
) -> BackfillReport:
    """Reads from `since` a calendar month at a time (arXiv's API gives at most 30,000 results a query), each month
    paged oldest first, each page one transaction with its window's saved place; a month past the limit goes on a
    day at a time from the day it reached. A window already done is not asked again.

    A page that comes back empty before totalResults is reached, or cut off inside an entry, is asked for again (from
    its first entry not read whole), after the fetcher's back-off, up to PAGE_RETRIES times: after PAGE_RETRIES + 1
    such answers in a row the run stops, resumable. `max_pages` bounds the requests made, those asked again included;
    `result_limit` is the API's (a mirror's may be lower)."""
    report = BackfillReport(query="")
    model = await asyncio.to_thread(ensure_thresholds, database, settings)
    today = clock.now().date()
    bar = ProgressBar("backfill", progress)
    async with Fetcher(settings.arxiv, clock=clock, turn_file=settings.arxiv_turn_file) as fetcher:
        run = _Run(settings, database, model, fetcher, report, clock, bar, page_size, max_pages, today, result_limit)
        run.categories = watched_categories(settings.arxiv.sources or read_feed_sources(settings.feeds_dir).feeds)
        for window in month_windows(since, today):
            if not await run.read(window):
                break
        else:
            report.done = True
    bar.close()  # a stop is the caller's to say, once: report.stopped
    return report


@dataclass
class _Run:
    settings: Settings
    database: Database
    model: RelevanceModel
    fetcher: Fetcher
    report: BackfillReport
    clock: Clock
    bar: ProgressBar
    page_size: int
    max_pages: int | None
    today: date
    limit: int
    requests: int = 0
    categories: tuple[str, ...] = DEFAULT_CATEGORIES  # those the polled feeds read

    async def read(self, window: Window) -> bool:
        """Reads one window to its end from its saved place; False when the run stopped (or ran out of pages)."""
        report = self.report
        query = window.query(self.categories)
        fallback = window.opened().query(self.categories) if window.last else None
        report.query, report.window = query, window.label()
        report.next_start, report.total, done = await asyncio.to_thread(saved_place, self.database, query, fallback)
        # The window holding today (open-ended) is never read whole: what was submitted since goes on from its place.
        report.done = done and window.last is not None
        if report.done:
            return True
        # The last run stopped on empty pages here (_give_up): found empty again, the page is the end.
        stalled_at = report.next_start if not done and report.total == report.next_start else None
        report.windows += 1
        if report.next_start >= self.limit:  # an earlier run (maybe in the window's own month) reached the limit in it
            return await self._past_limit(window, None)
        source, failures = f"{BACKFILL_SOURCE}{query}", 0
        while self.max_pages is None or self.requests < self.max_pages:
            size = min(self.page_size, self.limit - report.next_start)
            url = query_url(self.settings.arxiv.api_url, query, report.next_start, size, order="ascending")
            self.requests += 1
            try:
                parsed = await fetch_answer(self.fetcher, url)
            except FetchError as exc:
                report.stopped = _without(url, str(exc))
                log.debug("backfill: %s: %s", url, report.stopped)  # the query in full, for whoever debugs it
                if exc.retry_at is not None:  # a Retry-After longer than the fetcher waits: when to run it again
                    now = self.clock.now()
                    report.resume_after = minute_after(now, (exc.retry_at - now).total_seconds())
                return False
            short = await take_page(
                self.database, self.model, report, parsed, source, self.clock, self.bar, size, self.settings
            )
            if not parsed.items_read and report.next_start == stalled_at:  # asked again as often as by the run
                short = EMPTY_BEFORE_END if failures < PAGE_RETRIES else None  # that stopped there, then the end
            if short is None:
                failures = 0
                # The end: nothing more to read (or the API gives no more, and its total said so), and no page says so.
                if not parsed.items_read or (report.next_start >= self.limit and not _over_limit(report, self.limit)):
                    if not parsed.items_read and report.next_start == stalled_at:
                        log.warning(_STALLED_END, window.label(), stalled_at)
                    report.done = True
                    await asyncio.to_thread(save_report_place, self.database, report, self.clock.now())
                if report.done:
                    return True
                if _over_limit(report, self.limit):
                    return await self._past_limit(window, parsed)
                continue
            failures += 1
            if not await self._ask_again(short, failures):
                return False
        return False

    async def _ask_again(self, short: str, failures: int) -> bool:
        """Waits the back-off before a page that came back short is asked again; False when the run stops instead."""
        report = self.report
        if failures > PAGE_RETRIES:
            return await self._give_up(short, failures)
        wait = self.fetcher.backoff_base * 2 ** (failures - 1)
        log.info("backfill: %s at %d; asking again in %.0f s (try %d of %d)",
                 short, report.next_start, wait, failures + 1, PAGE_RETRIES + 1)  # fmt: skip
        try:
            await pause(self.clock, wait, self.fetcher.stop)
        except FetchStoppedError as exc:
            report.stopped = str(exc)
            return False
        return True

    async def _give_up(self, short: str, failures: int) -> bool:
        """Stops the run on a page that kept coming back short. On empty pages before the total the place is kept with
        the total cut to it: no number of tries tells arXiv's empty-page glitch from a totalResults above what it
        gives, and a rerun stopping at the same page for ever would never read the months after it. A rerun that
        finds the page empty again takes it for the end; one that finds entries there takes their total."""
        report = self.report
        report.stopped = f"{short} at {report.next_start} of {report.total}, {failures} times in a row"
        if short == EMPTY_BEFORE_END:
            report.stopped += f"; a run that finds it empty again takes {report.next_start} for the end"
            place = (report.query, report.next_start, report.next_start, False, self.clock.now())
            await asyncio.to_thread(save_place, self.database, *place)
        return False

    async def _past_limit(self, window: Window, parsed: ParsedFeed | None) -> bool:
        """The window holds more than the API gives: a single day is kept as read in part (said in the log); a
        longer one goes on a day at a time from the day of the last paper read (of `parsed`; without it, every day
        not done yet)."""
        if window.last == window.first:
            log.warning("backfill: %s holds %s papers, more than arXiv's API gives (%d); the rest is not read",
                        window.label(), self.report.total, self.limit)  # fmt: skip
            self.report.done = True
            await asyncio.to_thread(save_report_place, self.database, self.report, self.clock.now())
            return True
        if parsed is None:
            return await self._by_day(window, None)
        reached = max((p.published.date() for p in parsed.papers if p.published), default=window.first)
        reached = min(max(reached, window.first), window.last or self.today)  # a date outside it: its nearest day
        return await self._by_day(window, reached)

    async def _by_day(self, window: Window, reached: date | None) -> bool:
        """The window a day at a time; the days before `reached` were read whole by the window's own query."""
        label = window.label()
        self.report.by_day.append(label)
        log.info("backfill: %s holds %s papers, more than arXiv's API gives a query (%d): read a day at a time",
                 label, self.report.total, self.limit)  # fmt: skip
        days = window.days(self.today)
        if reached is not None:
            read = [day.query(self.categories) for day in days if day.first < reached]
            await asyncio.to_thread(mark_done, self.database, read, self.clock.now())
        for day in days:
            if not await self.read(day):
                return False
        self.report.query, self.report.window, self.report.done = window.query(self.categories), label, True
        await asyncio.to_thread(save_report_place, self.database, self.report, self.clock.now())
        return True


def _without(url: str, message: str) -> str:
    """A fetch's one line without the query's URL it starts with: some 250 percent-encoded characters the stop's
    place (its window and result) says in words."""
    return message.removeprefix(f"{url}: ")


def _over_limit(report: BackfillReport, limit: int) -> bool:
    return report.next_start >= limit and (report.total or 0) > limit
