"""Watching arXiv over months: backfills longer than the API gives one query, IDs arXiv has no paper for, a
Retry-After past the retry, holidays the calendar does not know (each test failing on the code it was written against).

Everything runs against the loopback arXiv stand-in (tests/arxiv_server.py) serving the real recorded files in
tests/data/arxiv, over a real SQLite file.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from digest.arxiv.announcements import ARXIV_ZONE, feed_replaced_at
from digest.arxiv.api import refresh_examples, unknown_ids
from digest.arxiv.backfill import backfill
from digest.arxiv.poll_pass import run_poll
from digest.arxiv.poller import PollSummary
from digest.awesome import store as liststore
from digest.config import Settings
from digest.service.process import Service
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.arxiv_answers import api_page, api_settings, without_entries
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.poller_feeds import RELEVANT, feed


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", '[arxiv]\ncontact = "maintainers@example.org"\n')


def dated_page(name: str, total: int, days: Sequence[str]) -> bytes:
    """A real API page whose papers were submitted on these days (one date per entry, in order), of `total` results."""
    page = api_page(name).replace(b">214881<", f">{total}<".encode())
    stamps = iter(days)
    return re.sub(
        rb"<published>[^<]*</published>", lambda _: f"<published>{next(stamps)}T12:00:00Z</published>".encode(), page
    )


def asked(server: ArxivServer) -> list[tuple[str, int]]:
    """Each API request's date window and start."""
    found = []
    for request in server.requests_to("/api/query"):
        query = parse_qs(request.query)
        window = re.search(r"submittedDate:\[(\d{8})\d{4} TO (\d{8})", query["search_query"][0])
        assert window is not None
        found.append((f"{window[1]}-{window[2]}", int(query["start"][0])))
    return found


@pytest.mark.asyncio
async def test_backfill_past_the_api_result_limit_goes_on_by_date_and_finishes(
    settings: Settings, database: Database
) -> None:
    """arXiv's API gives no result past the 30,000th of a query (start beyond is refused or answered empty), and
    `digest backfill --since DATE` asked one query from DATE to now: a backfill over a year of cs.* reached the
    limit, then stopped on the empty pages (or the refusal), and every run after resumed into the same wall, never
    done. Now the period is asked a month at a time; a month over the limit goes on a day at a time from the day it
    reached; no request passes the limit, the run is done, and says what it did. A second run asks only the month
    holding today, from where the first stopped."""
    march_start = [f"2026-03-0{day}" for day in range(1, 10)] + ["2026-03-10"]
    march_end = [f"2026-03-{day}" for day in range(20, 29)] + ["2026-03-29"]
    empty = without_entries(api_page("s0_m10_bc5a6c384fe9")).replace(b">214881<", b">0<")
    async with ArxivServer() as server:
        server.program(
            "/api/query",
            Reply(body=dated_page("s0_m10_bc5a6c384fe9", 25, march_start)),  # March: over the limit of 20
            Reply(body=dated_page("s10_m10_34e56e15aaac", 25, march_end)),  # reaches the limit on the 29th
            Reply(body=dated_page("s20_m10_348a237fecab", 10, ["2026-03-29"] * 10)),  # the 29th, whole
            Reply(body=empty),  # the 30th
            Reply(body=empty),  # the 31st
            Reply(body=dated_page("s30_m10_f2e39f0143dc", 10, ["2026-04-02"] * 10)),  # April, open-ended
            Reply(status=400, body=b"start past the limit"),
        )
        report = await backfill(api_settings(settings, server), database, date(2026, 3, 1), page_size=10,
                                clock=FakeClock(), result_limit=20)  # fmt: skip
        first = asked(server)
        server.program("/api/query", Reply(body=empty))  # nothing submitted since in April
        again = await backfill(api_settings(settings, server), database, date(2026, 3, 1), page_size=10,
                               clock=FakeClock(), result_limit=20)  # fmt: skip
    assert first == [
        ("20260301-20260331", 0),
        ("20260301-20260331", 10),
        ("20260329-20260329", 0),
        ("20260330-20260330", 0),
        ("20260331-20260331", 0),
        ("20260401-29991231", 0),
    ]
    assert report.done and report.stopped is None, report
    assert report.entries == 40 and report.by_day == ["2026-03-01 to 2026-03-31"]
    # March, read whole, is not asked again; April, the month holding today, only from where the first run stopped.
    assert again.done and again.windows == 1 and asked(server)[len(first) :] == [("20260401-29991231", 10)]


@pytest.mark.asyncio
async def test_a_backfill_stopped_at_the_limit_resumes_a_day_at_a_time_in_the_next_month(
    settings: Settings, database: Database
) -> None:
    """A backfill run in March reached the API's limit in March and stopped there (Ctrl-C, or its pages ran out);
    run again in April, March is a closed window whose place comes from March's own run: it goes on a day at a time
    from the day reached, asks no start past the limit (a request for no results), and finishes."""
    march_start = [f"2026-03-0{day}" for day in range(1, 10)] + ["2026-03-10"]
    march_end = [f"2026-03-{day}" for day in range(20, 29)] + ["2026-03-29"]
    empty = without_entries(api_page("s0_m10_bc5a6c384fe9")).replace(b">214881<", b">0<")
    async with ArxivServer() as server:
        server.program(
            "/api/query",
            Reply(body=dated_page("s0_m10_bc5a6c384fe9", 25, march_start)),
            Reply(body=dated_page("s10_m10_34e56e15aaac", 25, march_end)),
        )
        in_march = FakeClock(datetime(2026, 3, 30, 12, 0, tzinfo=UTC))
        first = await backfill(api_settings(settings, server), database, date(2026, 3, 1), page_size=10,
                               clock=in_march, max_pages=2, result_limit=20)  # fmt: skip
        server.program(
            "/api/query",
            Reply(body=dated_page("s20_m10_348a237fecab", 10, ["2026-03-29"] * 10)),
            Reply(body=empty),
            Reply(body=empty),
            Reply(body=dated_page("s30_m10_f2e39f0143dc", 10, ["2026-04-02"] * 10)),
            Reply(status=400, body=b"start past the limit"),
        )
        second = await backfill(api_settings(settings, server), database, date(2026, 3, 1), page_size=10,
                                clock=FakeClock(), result_limit=20)  # fmt: skip
    assert not first.done
    assert asked(server)[2:] == [
        ("20260329-20260329", 0),
        ("20260330-20260330", 0),
        ("20260331-20260331", 0),
        ("20260401-29991231", 0),
    ]
    assert second.done and second.stopped is None, second


@pytest.mark.asyncio
async def test_a_backfill_run_again_later_in_the_month_reads_what_was_submitted_since(
    settings: Settings, database: Database
) -> None:
    """The month holding today is open-ended: a backfill that read it to its end on the 2nd took it for a month read
    whole, so the same command (or the `--since` a poll names after the service was down) run on the 20th asked
    nothing and read none of the papers submitted in between: 'done', with the missed days never read. Now the month
    holding today goes on from where it stopped, as one run did before the date windows."""
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=dated_page("s0_m10_bc5a6c384fe9", 10, ["2026-04-02"] * 10)))
        on_the_2nd = FakeClock(datetime(2026, 4, 2, 12, 0, tzinfo=UTC))
        first = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                               clock=on_the_2nd)  # fmt: skip
        server.program("/api/query", Reply(body=dated_page("s10_m10_34e56e15aaac", 20, ["2026-04-15"] * 10)))
        on_the_20th = FakeClock(datetime(2026, 4, 20, 12, 0, tzinfo=UTC))
        second = await backfill(api_settings(settings, server), database, date(2026, 4, 1), page_size=10,
                                clock=on_the_20th)  # fmt: skip
    assert first.done and first.entries == 10
    assert asked(server) == [("20260401-29991231", 0), ("20260401-29991231", 10)]
    assert second.done and second.entries == 10, second


def list_links(database: Database, *arxiv_ids: str) -> None:
    """The maintainer added these arXiv links to the list by hand (no abstract known)."""
    with database.transaction() as session:
        for n, arxiv_id in enumerate(arxiv_ids):
            liststore.add_paper_entry(
                session, section_name="Representation", title=f"A hand-added paper {n}", arxiv_id=arxiv_id,
                url=f"https://arxiv.org/abs/{arxiv_id}", code_url=None, published=None, authors=[], abstract=None,
                now=datetime(2026, 4, 1, tzinfo=UTC),
            )  # fmt: skip


@pytest.mark.asyncio
async def test_a_linked_id_arxiv_has_no_paper_for_is_not_asked_at_every_poll(
    settings: Settings, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The list links an ID arXiv has no paper for (a typo that is still a well-formed ID). Every poll asked the API
    for its abstract again, got no entry, stored nothing, and asked again at the next poll, forever. Now the answer
    is remembered: the polls of the next days ask nothing, a poll a week later asks once more (a paper arXiv had not
    announced yet is found then), and `digest list lint` names the link meanwhile."""
    from digest.cli import main

    list_links(database, "2401.99999")
    clock = FakeClock()
    async with ArxivServer() as server:
        server.serve_file("/api/query", "api/api_new_arxiv.py_id_0000.0000_s0_m100_8b51d9633a68_http200.xml")
        polls = [await refresh_examples(api_settings(settings, server), database, clock=clock) for _ in range(3)]
        asked_at_first = len(server.requests)
        clock.elapsed += timedelta(days=8).total_seconds()
        await refresh_examples(api_settings(settings, server), database, clock=clock)
    assert polls == [0, 0, 0]
    assert asked_at_first == 1 and len(server.requests) == 2
    assert [r.query for r in server.requests] == ["id_list=2401.99999&max_results=1"] * 2
    main(["--data-dir", str(settings.data_dir), "list", "lint"])  # the bundled list has findings of its own
    out = capsys.readouterr().out
    assert "warning: arXiv has no paper 2401.99999 (asked 2026-05-05; asked again after 2026-05-12)" in out
    assert "[arxiv-unknown]" in out


@pytest.mark.asyncio
async def test_a_linked_paper_arxiv_answers_without_an_abstract_is_not_asked_at_every_poll(
    settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The list links a paper arXiv answers with an empty abstract (<summary></summary>, as for some withdrawn
    papers). Nothing was stored and nothing remembered, so every poll asked the API for it again, forever. Now the
    answer is remembered as asked: the polls of the next days ask nothing, a poll a week later asks once more and
    keeps the abstract arXiv has by then; the link is not called one arXiv has no paper for."""
    answer = Path(__file__).parent / "data/arxiv/api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml"
    full = answer.read_bytes()
    empty = re.sub(rb"<summary>[^<]*</summary>", b"<summary></summary>", full)
    list_links(database, "1707.08567")
    clock = FakeClock()
    async with ArxivServer() as server:
        server.program("/api/query", Reply(body=empty), Reply(body=full))
        with caplog.at_level(logging.INFO, logger="digest.arxiv"):
            polls = [await refresh_examples(api_settings(settings, server), database, clock=clock) for _ in range(3)]
        asked_at_first = len(server.requests)
        clock.elapsed += timedelta(days=8).total_seconds()
        later = await refresh_examples(api_settings(settings, server), database, clock=clock)
        after = await refresh_examples(api_settings(settings, server), database, clock=clock)
    assert (polls, asked_at_first) == ([0, 0, 0], 1)
    assert (later, after, len(server.requests)) == (1, 0, 2)
    said = " ".join(record.getMessage() for record in caplog.records)
    assert "1707.08567" in said and "no abstract" in said and "has no paper" not in said, said
    with database.reading() as session:
        assert unknown_ids(session) == {}


@pytest.mark.asyncio
async def test_an_id_the_api_refuses_does_not_hold_back_the_others(settings: Settings, database: Database) -> None:
    """The API answers a batch holding one ID it refuses with its error entry for the whole batch: the abstracts of
    every other list paper in that batch were never fetched, and the same batch was asked at every poll. Now the
    batch is asked an ID at a time, the good abstract is stored, and the refused ID is not asked at the next poll."""
    refused = Path(__file__).parent / "data/arxiv/api/api_new_arxiv.py_id_abc_s0_m100_b79c8dcf6bc3_http400.xml"
    good = Path(__file__).parent / "data/arxiv/api/api_new_arxiv.py_id_1707.08567_s0_m100_6a1afebfc6a3_http200.xml"
    list_links(database, "1707.08567", "2401.99999")
    async with ArxivServer() as server:
        server.program(
            "/api/query",
            Reply(status=400, body=refused.read_bytes()),
            Reply(body=good.read_bytes()),
            Reply(status=400, body=refused.read_bytes()),
        )
        stored = await refresh_examples(api_settings(settings, server), database, clock=FakeClock())
        again = await refresh_examples(api_settings(settings, server), database, clock=FakeClock())
    assert (stored, again) == (1, 0)
    assert len(server.requests) == 3


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("polled_at", "retry_after_hours", "retried"),
    [
        (time(0, 30), 3, True),  # left alone until 03:30: the extra poll at 03:31, long before 20:00
        (time(0, 30), 14, False),  # until 14:30: the next poll (12:30 here) comes first
        (time(18, 0), 1, True),  # until 19:00: still before the day's feed gives way at 20:00
        (time(18, 0), 3, False),  # until 21:00: the feed is the next day's by then, the next poll names the day
    ],
)
async def test_a_retry_after_past_the_retry_is_polled_once_it_has_passed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, polled_at: time, retry_after_hours: int, retried: bool
) -> None:
    """arXiv answered the 00:30 poll "503, Retry-After" for a time past the 06:00 retry: the retry found the host
    still to be left alone and gave up, and the day's feed was never read (the next day's feed no longer holds it;
    only its poll named the day missed). Now the poll is tried once more a minute after the Retry-After, when that
    comes before the next poll and before the day's feed gives way to the next announcement (20:00 in New York);
    a later one is the next poll's, which names the day missed. Both sides of 20:00 are pinned here: the test ran
    whichever the wall clock of the machine gave (between 17:00 and 20:00 in New York it checked the other one)."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.date import DateTrigger

    from digest import jobs
    from digest.service.poll_job import retry_when_left_alone
    from digest.service.schedule import POLL_RETRY_AFTER_ID

    now = datetime.combine(date(2026, 4, 27), polled_at, ARXIV_ZONE).astimezone(UTC)  # a Monday
    async with ArxivServer() as arxiv:
        feed = arxiv.program("/rss/cs.CL", Reply(status=503, retry_after=str(retry_after_hours * 3600)))
        settings = make_settings(
            tmp_path / "data", f'[arxiv]\nsources = ["{feed}"]\napi_url = "http://127.0.0.1:9/api/query"\n'
        )
        database = open_service_database(settings)
        try:
            summary = await run_poll(settings, database, sources=[feed], clock=FakeClock(now))
        finally:
            database.dispose()
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(jobs.POLL_JOB, DateTrigger(now + timedelta(hours=12)), id="poll")
    scheduler.add_job(jobs.RETRY_JOB, DateTrigger(now + timedelta(hours=1)), id="poll-retry")
    scheduler.start(paused=True)
    try:
        with caplog.at_level(logging.INFO, logger="digest.service"):
            retry_when_left_alone(settings, scheduler, summary, now=now)
        extra = scheduler.get_job(POLL_RETRY_AFTER_ID)
    finally:
        scheduler.shutdown(wait=False)
    said = " ".join(record.getMessage() for record in caplog.records)
    expected = now + timedelta(hours=retry_after_hours, minutes=1)
    if not retried:
        assert extra is None, extra
        gives_way = expected >= feed_replaced_at(now)
        assert ("the next poll names the day missed" in said) == gives_way, said
        return
    assert extra is not None and extra.next_run_time == expected, said
    assert f"tried again at {expected:%Y-%m-%d %H:%M} UTC" in said, said


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


@pytest.mark.parametrize(
    ("setting", "clamped"),
    [
        ('poll_cron = "*/5 * * * *"', True),  # the default feeds, on rss.arxiv.org
        ('retry_cron = "0 * * * mon-fri"', True),
        ('poll_cron = "30 0,6,12 * * mon-fri"', False),  # a few a day is an operator's choice
        ('poll_cron = "*/5 * * * *"\nsources = ["http://127.0.0.1:9/rss/cs.CL"]', False),  # a mirror's own affair
    ],
)
def test_a_schedule_polling_arxiv_org_more_than_the_announcement_needs_is_clamped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, setting: str, clamped: bool
) -> None:
    """arXiv announces once a day and its feeds change once a day, but `poll_cron = "*/5 * * * *"` (an operator
    wanting papers "as soon as they appear") was accepted with the default feeds on rss.arxiv.org: 288 polls a day of
    every feed. Then a release refused such a schedule, and a data folder that had run with it for months no longer
    started after the upgrade (nor did any command). Now `digest config check` passes with one warning naming the key
    and saying what is polled instead (the announcement's own schedule), while the sources are on arxiv.org; a mirror
    may be polled as it likes."""
    from digest.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    config = tmp_path / "digest.toml"
    config.write_text(f'[arxiv]\ncontact = "maintainers@example.org"\n{setting}\n', encoding="utf-8")
    status = main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check"])
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if "times a day" in line]
    assert status == 0, out
    if not clamped:
        assert not lines, out
        return
    key = setting.split(" ")[0]
    assert len(lines) == 1 and lines[0].startswith("warning: "), out
    assert f"arxiv.{key}" in lines[0] and "rss.arxiv.org" in lines[0] and "arXiv announces once a day" in lines[0]
    assert "'30 0 * * mon-fri' and '0 6 * * mon-fri' (America/New_York) instead" in lines[0], lines[0]


@pytest.mark.asyncio
async def test_a_service_upgraded_with_a_schedule_polling_arxiv_org_too_often_starts_and_polls_as_announced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A data folder that ran for months with `poll_cron = "*/10 * * * *"` on arxiv.org would not start after the
    upgrade that refused such a schedule: no poll, no review, no weekly digest. Now it starts, says once in the log
    what it polls instead, and keeps the poll and its retry at the announcement's own times."""
    from tests.service_runs import one_feed_config, stored_jobs, wait_settled

    async with ArxivServer() as arxiv:
        settings = make_settings(tmp_path / "data", one_feed_config(arxiv))
        first = Service(settings)  # months of polls before the upgrade (here: one, of the loopback feed)
        await first.start(serve_web=False)
        await wait_settled(first)
        await first.stop()
    upgraded = make_settings(
        tmp_path / "data",
        '[arxiv]\ncontact = "maintainers@example.org"\nsources = ["https://rss.arxiv.org/rss/cs.CL"]\n'
        'poll_cron = "*/10 * * * *"\npoll_timezone = "UTC"\n',
    )
    service = Service(upgraded)
    with caplog.at_level(logging.INFO, logger="digest.service"):
        await service.start(serve_web=False)
        try:
            await wait_settled(service)
        finally:
            await service.stop()
    said = [record.getMessage() for record in caplog.records if "times a day" in record.getMessage()]
    assert len(said) == 1 and "arxiv.poll_cron '*/10 * * * *' polls 144 times a day" in said[0], said
    jobs = {job: when.astimezone(ARXIV_ZONE) for job, when in stored_jobs(upgraded).items()}
    assert f"{jobs['poll']:%H:%M}" == "00:30" and jobs["poll"].weekday() < 5, jobs
    assert f"{jobs['poll-retry']:%H:%M}" == "06:00" and jobs["poll-retry"].weekday() < 5, jobs


def test_the_unknown_id_warning_names_the_line_of_that_id_not_of_a_longer_one() -> None:
    """2401.1234 (a typo arXiv has no paper for) is not the link to 2401.12345 two lines earlier."""
    from digest.awesome.unknown_links import unknown_id_findings

    markdown = (
        "# List\n\n* [A](https://arxiv.org/abs/2401.12345)\n* [B](https://arxiv.org/abs/2401.1234)\n"
        "* [C](https://arxiv.org/abs/2402.00001v2)\n"
    )
    asked = datetime(2026, 5, 1, tzinfo=UTC)
    found = unknown_id_findings(markdown, {"2401.1234": asked, "2402.00001": asked, "2403.99999": asked}, 7)
    assert [(f.line, f.code) for f in found] == [(4, "arxiv-unknown"), (5, "arxiv-unknown")]
    assert "asked again after 2026-05-08" in found[0].message


@pytest.mark.asyncio
async def test_a_retry_after_answered_to_the_retry_itself_is_polled_before_the_feed_gives_way() -> None:
    """The 00:30 poll failed (arXiv late), and the 06:00 retry was answered '503, Retry-After: 2 h'. The extra poll
    after the Retry-After was not scheduled, because a retry 'already came after it': tomorrow's 06:00 retry, which
    reads tomorrow's feed. Today's was never read. Now only a retry or poll before the day's feed gives way counts."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.date import DateTrigger

    from digest import jobs
    from digest.service.schedule import POLL_RETRY_AFTER_ID, schedule_poll_after_busy

    now = datetime.now(UTC)  # 06:00 in New York, as far as the jobs below are concerned
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(jobs.POLL_JOB, DateTrigger(now + timedelta(hours=18, minutes=30)), id="poll")  # tomorrow 00:30
    scheduler.add_job(jobs.RETRY_JOB, DateTrigger(now + timedelta(hours=24)), id="poll-retry")  # tomorrow 06:00
    scheduler.start(paused=True)
    try:
        busy_until, replaced = now + timedelta(hours=2), now + timedelta(hours=14)  # the feed gives way at 20:00
        at = schedule_poll_after_busy(scheduler, busy_until, replaced)
        extra = scheduler.get_job(POLL_RETRY_AFTER_ID)
    finally:
        scheduler.shutdown(wait=False)
    assert at == busy_until + timedelta(minutes=1)
    assert extra is not None and extra.next_run_time == at


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


@pytest.mark.asyncio
async def test_a_backfill_reads_the_categories_the_list_watches(tmp_path: Path) -> None:
    """README ("Rules for a list of your own"): point feeds_dir at your own folder. A list watching cs.IR polled
    cs.IR, but `digest backfill` (the command a missed day's warning names) asked the API for cs.CV, cs.CL, cs.LG and
    cs.AI whatever the feeds were, so the missed papers never came. It now asks the categories the feeds name."""
    import shutil

    from digest import resources

    feeds = tmp_path / "feeds"
    shutil.copytree(resources.feeds_dir(), feeds)
    (feeds / "sources.toml").write_text(
        'feeds = ["https://rss.arxiv.org/rss/cs.IR", "https://rss.arxiv.org/rss/cs.CL+cs.DL"]\n', encoding="utf-8"
    )
    empty = without_entries(api_page("s0_m10_bc5a6c384fe9")).replace(b">214881<", b">0<")
    async with ArxivServer() as server:
        settings = make_settings(
            tmp_path / "data",
            f'feeds_dir = "{feeds}"\n[arxiv]\ncontact = "maintainers@example.org"\n'
            f'api_url = "{server.url("/api/query")}"\n',
        )
        database = open_service_database(settings)
        try:
            server.program("/api/query", Reply(body=empty))
            report = await backfill(settings, database, date(2026, 4, 1), page_size=10, clock=FakeClock())
        finally:
            database.dispose()
        queries = [parse_qs(request.query)["search_query"][0] for request in server.requests_to("/api/query")]
    assert report.done, report
    assert queries and all(query.startswith("(cat:cs.IR OR cat:cs.CL OR cat:cs.DL) AND ") for query in queries)
