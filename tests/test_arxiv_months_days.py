"""Watching arXiv over months: days it announces late or not at all (holidays the calendar does not know, a late
announcement, a late poll missed while the service was down) and feeds dated ahead (the loopback arXiv stand-in)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from digest.arxiv.announcements import ARXIV_ZONE
from digest.arxiv.poll_pass import run_poll
from digest.arxiv.poller import PollSummary
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.poller_feeds import RELEVANT, feed
from tests.poller_feeds import settings as settings  # the fixture


@pytest.mark.asyncio
@pytest.mark.parametrize("listed", [False, True])
async def test_a_holiday_the_calendar_does_not_know_is_quiet_at_the_retry_and_no_missed_day(
    tmp_path: Path, listed: bool
) -> None:
    """arXiv announced nothing on Friday 19 June 2026 (Juneteenth), a holiday the built-in calendar does not know:
    its feed was empty all day. The 00:30 poll and the 06:00 retry both called it broken (/healthz degraded all day),
    and Monday's poll said Friday was a missed announcement day and told the maintainer to run a backfill for it.
    Now the retry, long after the announcement was due, takes the empty weekday for a day without announcement
    (quiet, its line saying to list it in `[arxiv] holidays`), and Monday names no missed day; a day listed there is
    quiet at the first poll already."""
    holidays = "holidays = [2026-06-19]\n" if listed else ""
    settings = make_settings(tmp_path / "data", f'[arxiv]\ncontact = "maintainers@example.org"\n{holidays}')
    database = open_service_database(settings)
    thursday, friday, monday = date(2026, 6, 18), date(2026, 6, 19), date(2026, 6, 22)
    try:
        async with ArxivServer() as server:
            url = server.program("/rss/cs.CV", Reply(body=feed(RELEVANT[0], day=thursday)))

            async def poll_at(hour: int, day: date) -> str:
                clock = FakeClock(datetime(day.year, day.month, day.day, hour, 30, tzinfo=ARXIV_ZONE).astimezone(UTC))
                summary = await run_poll(settings, database, sources=[url], clock=clock)
                return summary.sources[0].line()

            await poll_at(0, thursday)
            server.program("/rss/cs.CV", Reply(body=feed(day=friday)))
            first, retry = await poll_at(0, friday), await poll_at(6, friday)
            server.program("/rss/cs.CV", Reply(body=feed(RELEVANT[1], day=monday)))
            after = await poll_at(0, monday)
    finally:
        database.dispose()
    if listed:
        assert "quiet" in first and "arXiv holiday 2026-06-19" in first, first
    else:
        assert "broken" in first and "an empty feed on a weekday" in first, first  # it may yet come: the retry asks
        assert "quiet" in retry and "no announcement on Friday 2026-06-19" in retry, retry
        assert "[arxiv] holidays" in retry
    assert "missed" not in after and "backfill" not in after, after


@pytest.mark.asyncio
@pytest.mark.parametrize("late_feed", ["still Friday's", "empty, dated Monday"])
async def test_an_announcement_later_than_the_retry_is_still_polled_that_day(tmp_path: Path, late_feed: str) -> None:
    """arXiv's Monday announcement came at 09:00 instead of 20:00 the evening before (its "announcements delayed"
    notices). The 00:30 poll and the 06:00 retry found it not come; an empty feed dated Monday was taken at the retry
    for a holiday the calendar does not know. Nothing polled again until Tuesday 00:30, which reads Tuesday's feed:
    Monday's papers were never read (silently, for the empty feed: Monday had been "read"). Now the last planned poll
    of a day whose announcement has not come schedules one more, at 14:00 in New York, before the feed gives way at
    20:00; it reads the late papers. One extra poll, and none while a retry is still to come that day."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.date import DateTrigger

    from digest import jobs
    from digest.service.poll_job import poll_again_when_late

    settings = make_settings(tmp_path / "data", '[arxiv]\ncontact = "maintainers@example.org"\n')
    database = open_service_database(settings)
    friday, monday, tuesday = date(2026, 4, 24), date(2026, 4, 27), date(2026, 4, 28)

    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour, 0), ARXIV_ZONE).astimezone(UTC)

    def late_job_after(summary: PollSummary, now: datetime, retry: datetime) -> datetime | None:
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(jobs.POLL_JOB, DateTrigger(at(tuesday, 0)), id="poll")
        scheduler.add_job(jobs.RETRY_JOB, DateTrigger(retry), id="poll-retry")
        scheduler.start(paused=True)
        try:
            poll_again_when_late(settings, scheduler, summary, now=now)
            return next(
                (job.next_run_time for job in scheduler.get_jobs() if job.id not in ("poll", "poll-retry")), None
            )
        finally:
            scheduler.shutdown(wait=False)

    unannounced = feed(RELEVANT[2], day=friday) if late_feed == "still Friday's" else feed(day=monday)
    try:
        async with ArxivServer() as server:
            url = server.program("/rss/cs.CV", Reply(body=feed(RELEVANT[2], day=friday)))

            async def poll(moment: datetime) -> PollSummary:
                return await run_poll(settings, database, sources=[url], clock=FakeClock(moment))

            await poll(at(friday, 0))
            server.program("/rss/cs.CV", Reply(body=unannounced), Reply(body=unannounced))
            first, retry = await poll(at(monday, 0) + timedelta(minutes=30)), await poll(at(monday, 6))
            after_first = late_job_after(first, at(monday, 0) + timedelta(minutes=30), at(monday, 6))
            after_retry = late_job_after(retry, at(monday, 6), at(tuesday, 6))
            server.program("/rss/cs.CV", Reply(body=feed(RELEVANT[0], day=monday)))
            late = await poll(at(monday, 14))
            server.program("/rss/cs.CV", Reply(body=feed(RELEVANT[1], day=tuesday)))
            next_day = await poll(at(tuesday, 0) + timedelta(minutes=30))
    finally:
        database.dispose()
    assert after_first is None  # the 06:00 retry is still to come
    assert after_retry == at(monday, 14), retry.sources[0].line()
    assert late.new_candidates == 1, late.sources[0].line()
    assert "missed" not in next_day.sources[0].line() and next_day.new_candidates == 1


@pytest.mark.asyncio
async def test_a_feed_dated_in_the_future_does_not_stop_the_source_for_good(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A mirror (or arXiv, once) served Monday's feed dated a year ahead (2027-04-27). The poll kept that date as the
    last feed seen, and from then on every real feed was "dated ... older than the last one seen": the source was
    broken at every poll, for a year, with nothing the maintainer could do short of editing the database. Now a date
    that far after this machine's clock is not kept (the log says so), and Tuesday's real feed is read."""
    monday, tuesday = date(2026, 4, 27), date(2026, 4, 28)
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(RELEVANT[0], day=monday.replace(year=2027))))
        with caplog.at_level(logging.WARNING, logger="digest.arxiv"):
            await run_poll(settings, database, sources=[url], clock=FakeClock())
        server.program("/rss/cs.CV", Reply(body=feed(RELEVANT[0], RELEVANT[1], day=tuesday)))
        tuesday_poll = FakeClock(datetime(2026, 4, 28, 4, 30, tzinfo=UTC))
        second = await run_poll(settings, database, sources=[url], clock=tuesday_poll)
    assert any("dated 2027-04-27" in record.getMessage() for record in caplog.records)
    assert second.sources[0].outcome == "fetched", second.sources[0].line()
    assert second.sources[0].new_candidates == 1


@pytest.mark.asyncio
async def test_a_feed_dated_in_the_future_names_no_missed_days_up_to_its_date(
    settings: Settings, database: Database
) -> None:
    """After Monday's real feed, a mirror served a feed dated a year ahead. Its date was rightly not kept, but the same
    poll said every announcement day from Tuesday to that date (about 260) had been missed, in a warning, with a
    backfill to run for them: days that have not come yet. Now a date not kept names no missed day either."""
    monday = date(2026, 4, 27)
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(RELEVANT[0], day=monday)))
        await run_poll(settings, database, sources=[url], clock=FakeClock())
        server.program("/rss/cs.CV", Reply(body=feed(RELEVANT[1], day=monday.replace(year=2027))))
        later = FakeClock(datetime(2026, 4, 27, 10, 30, tzinfo=UTC))
        line = (await run_poll(settings, database, sources=[url], clock=later)).sources[0].line()
    assert "missed" not in line and "backfill" not in line, line


@pytest.mark.asyncio
@pytest.mark.parametrize("back_at", ["16:00, before the feed gives way", "22:00, after it"])
async def test_a_late_poll_missed_while_the_service_was_down_runs_only_while_the_day_s_feed_holds(back_at: str) -> None:
    """The extra 14:00 poll of a late day was kept with the poll's 20-hour grace: a service down over 14:00 and back
    after 20:00 ran it at start, polling arXiv for a day whose feed had already given way to the next (the next
    scheduled poll reads that one; the day missed is named and backfilled there), a request the announcement did not
    need. Now it runs late only while the day's feed still holds."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from digest import jobs
    from digest.service.schedule import schedule_late_poll

    polled: list[str] = []

    class Running:
        async def poll_now(self, reason: str) -> None:
            polled.append(reason)

        async def retry_poll_if_broken(self) -> None:
            polled.append("retry")

        async def weekly_now(self) -> None:
            pass

    now = datetime.now(UTC)  # the scheduler's own clock decides what is missed
    late_at, replaced = now - timedelta(hours=2), now + timedelta(hours=4)
    if back_at.startswith("22"):
        late_at, replaced = now - timedelta(hours=8), now - timedelta(hours=2)
    scheduler = AsyncIOScheduler(timezone=UTC)
    jobs.attach(Running())
    try:
        scheduler.start(paused=True)
        assert schedule_late_poll(scheduler, late_at, replaced)
        scheduler.resume()  # the service back
        for _ in range(50):
            await asyncio.sleep(0.02)
            if polled or not scheduler.get_jobs():
                break
        await asyncio.sleep(0.1)
    finally:
        scheduler.shutdown(wait=False)
        jobs.attach(None)
    assert polled == (["schedule"] if back_at.startswith("16") else []), polled


@pytest.mark.asyncio
async def test_an_empty_feed_read_after_4_by_a_poll_whose_retry_comes_later_is_still_polled_again_that_day(
    tmp_path: Path,
) -> None:
    """A schedule of its own: the poll at 05:00 in New York, the retry at 07:00. Monday's feed was empty at 05:00
    (arXiv late): past 04:00 that is taken for a holiday, a quiet poll that went fine. The extra 14:00 poll was left
    to the 07:00 retry, but a retry polls only after a poll that failed: it said "today's poll was fine; nothing to
    retry", and Monday's papers, announced at 09:00, were never read. Now a retry that will not poll does not stand
    in for the extra poll."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.date import DateTrigger

    from digest import jobs
    from digest.service.poll_job import poll_again_when_late

    settings = make_settings(tmp_path / "data", '[arxiv]\ncontact = "maintainers@example.org"\n')
    database = open_service_database(settings)
    friday, monday, tuesday = date(2026, 4, 24), date(2026, 4, 27), date(2026, 4, 28)

    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour, 0), ARXIV_ZONE).astimezone(UTC)

    try:
        async with ArxivServer() as server:
            url = server.program("/rss/cs.CV", Reply(body=feed(RELEVANT[2], day=friday)))
            await run_poll(settings, database, sources=[url], clock=FakeClock(at(friday, 5)))
            server.program("/rss/cs.CV", Reply(body=feed(day=monday)))
            quiet = await run_poll(settings, database, sources=[url], clock=FakeClock(at(monday, 5)))
    finally:
        database.dispose()
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(jobs.POLL_JOB, DateTrigger(at(tuesday, 5)), id="poll")
    scheduler.add_job(jobs.RETRY_JOB, DateTrigger(at(monday, 7)), id="poll-retry")
    scheduler.start(paused=True)
    try:
        poll_again_when_late(settings, scheduler, quiet, now=at(monday, 5))
        late = [job.next_run_time for job in scheduler.get_jobs() if job.id not in ("poll", "poll-retry")]
    finally:
        scheduler.shutdown(wait=False)
    assert quiet.outcome == "ok", quiet.sources[0].line()
    assert late == [at(monday, 14)], quiet.sources[0].line()
