"""The service after a machine slept over its poll and the poll's retry: one catch-up poll, not a burst."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.base import BaseScheduler

from digest.arxiv import poll_runs as run_records
from digest.service import schedule
from digest.service.process import Service
from digest.service.wiring import open_service_database
from tests.arxiv_server import ArxivServer, Reply
from tests.conftest import make_settings
from tests.feedbuild import build_rss, load_records
from tests.kept_model import with_kept_model
from tests.service_runs import one_wake_up, poll_runs, wait_settled


def jobs_ended(scheduler: BaseScheduler) -> set[str]:
    """The ids of the jobs whose run the scheduler has said is over from now on: run (well or not) or missed."""
    ended: set[str] = set()
    scheduler.add_listener(
        lambda event: ended.add(event.job_id), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
    )
    return ended


@pytest.mark.asyncio
async def test_a_resume_after_sleeping_over_the_poll_and_its_retry_polls_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A laptop or VM suspended over both the poll (00:30) and its retry (06:00) found both due when it woke; the poll
    failed (the network not back yet) and the retry, run right after it, asked arXiv again at once. One catch-up poll
    runs now; the retry waits for its next time. The log says when the retry was due as the schedule's other lines
    do (the time in the zone with UTC beside it, not `2026-12-07 05:30:00.123+00:00`)."""
    caplog.set_level(logging.INFO, logger="digest.service")
    body = build_rss("cs.CL", load_records()[:3], datetime.now(ZoneInfo("America/New_York")).date())
    async with ArxivServer() as arxiv:
        feed = arxiv.program("/rss/cs.CL", Reply(body=body))
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\nmax_retries = 0\n'
            'api_url = "http://127.0.0.1:9/api/query"\n',
        )
        service = Service(settings)
        await service.start(serve_web=False)
        try:
            await wait_settled(service)  # the first-start poll went well
            assert poll_runs(settings) == 1
            arxiv.program("/rss/cs.CL", *[Reply(status=503)] * 5)  # the network is not back yet
            scheduler = service.scheduler
            assert scheduler is not None
            scheduler.pause()  # asleep: both came due meanwhile
            ended = jobs_ended(scheduler)
            now = datetime.now(UTC)
            scheduler.modify_job("poll", next_run_time=now - timedelta(hours=6))
            retry_due = now - timedelta(minutes=30)
            scheduler.modify_job("poll-retry", next_run_time=retry_due)
            scheduler.resume()  # awake
            deadline = time.monotonic() + 60
            while poll_runs(settings) < 2:
                assert time.monotonic() < deadline, "no catch-up poll"
                await asyncio.sleep(0.1)
            # Until the scheduler says how both ended: the poll run, the retry run (asking arXiv) or missed.
            while not {"poll", "poll-retry"} <= ended:
                assert time.monotonic() < deadline, f"the scheduler told the end of only {sorted(ended)}"
                await asyncio.sleep(0.1)
            assert len(arxiv.requests_to("/rss/cs.CL")) == 2, "the retry polled again at once"
            assert poll_runs(settings) == 2
            retry = scheduler.get_job("poll-retry")
            assert retry is not None and retry.next_run_time > datetime.now(UTC)  # it comes again, at its time
            said = [record.getMessage() for record in caplog.records if " was due at " in record.getMessage()]
            assert len(said) == 1 and said[0].startswith("schedule: poll-retry was due at "), said
            assert f"{retry_due:%H:%M} UTC" in said[0] and not re.search(r"\d:\d\d[.\d]*[+-]\d\d:\d\d", said[0]), said
        finally:
            await service.stop()


@pytest.mark.asyncio
async def test_a_failed_catch_up_poll_is_retried_the_same_day(
    tmp_path: Path, kept_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retry moved aside for the one catch-up poll waited for its next time (the next weekday's 06:00), by when
    the day's feed had given way: a catch-up poll that failed was never retried that day. It now gets a retry of its
    own, an hour later (here a second), before the feed gives way."""
    monkeypatch.setattr(schedule, "CATCH_UP_RETRY_DELAY", timedelta(seconds=1))
    with_kept_model(tmp_path / "data", kept_model)  # the first poll builds no model: not what this is about
    body = build_rss("cs.CL", load_records()[:3], datetime.now(ZoneInfo("America/New_York")).date())
    async with ArxivServer() as arxiv:
        feed = arxiv.program("/rss/cs.CL", Reply(body=body))
        settings = make_settings(
            tmp_path / "data",
            # A retry whose next time comes after the day's feed gave way, whatever hour the test runs at.
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\nmax_retries = 0\nretry_cron = "0 6 1 1 *"\n'
            'api_url = "http://127.0.0.1:9/api/query"\n',
        )
        service = Service(settings)
        await service.start(serve_web=False)
        try:
            await wait_settled(service)
            arxiv.program("/rss/cs.CL", Reply(status=503), Reply(body=body))  # back by the retry
            scheduler = service.scheduler
            assert scheduler is not None
            scheduler.pause()
            now = datetime.now(UTC)
            scheduler.modify_job("poll", next_run_time=now - timedelta(hours=6))
            scheduler.modify_job("poll-retry", next_run_time=now - timedelta(minutes=30))
            scheduler.resume()
            deadline = time.monotonic() + 90
            # The retry's request, not its run's row: a row is there before its request goes out.
            while len(arxiv.requests_to("/rss/cs.CL")) < 3:
                assert time.monotonic() < deadline, "the failed catch-up poll was not retried that day"
                await asyncio.sleep(0.1)
            assert poll_runs(settings) == 3
        finally:
            await service.stop()


@pytest.mark.asyncio
async def test_a_clock_set_back_an_hour_after_the_poll_and_the_weekly_digest_ran_runs_neither_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """NTP stepping the clock back an hour (or a few minutes) just after the 00:30 poll ran: the scheduler took the
    poll's next run (tomorrow 00:30) for one set by a clock that was ahead, moved it back to today's 00:30 and polled
    the same announcement again an hour later, with a warning that the clock had been ahead; the weekly digest's job
    likewise ran the week again. A job waiting for the time after the one it just ran keeps waiting (here the step
    back is from each job's next time to now)."""
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        service = Service(settings)
        await service.start(serve_web=False)
        try:
            await wait_settled(service)
            scheduler = service.scheduler
            assert scheduler is not None
            after_run = {}
            for job_id in ("poll", "weekly"):
                job = scheduler.get_job(job_id)
                assert job is not None
                ran_at = job.next_run_time  # as if it had run at its time, and the clock had then gone back to now
                after_run[job_id] = job.trigger.get_next_fire_time(ran_at, ran_at)
                scheduler.modify_job(job_id, next_run_time=after_run[job_id])
            with caplog.at_level(logging.INFO, logger="digest.service"):
                await one_wake_up(scheduler)  # it has looked at both jobs since
                await one_wake_up(scheduler)  # and again, a moment later
            for job_id in ("poll", "weekly"):
                job = scheduler.get_job(job_id)
                assert job is not None and job.next_run_time == after_run[job_id], (job_id, job.next_run_time)
            assert "the clock was ahead" not in caplog.text
        finally:
            await service.stop()


@pytest.mark.asyncio
async def test_a_poll_that_failed_while_the_clock_was_ahead_does_not_make_the_retry_poll_a_fine_day_again(
    tmp_path: Path,
) -> None:
    """A machine that booted with its clock a day ahead polled and failed (its network not up yet); NTP then set the
    clock right and the day's poll went fine. The retry asked for the latest poll by its start time, found the failed
    one dated tomorrow, and asked arXiv for the same announcement again; the latest poll is the last one made."""
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        database = open_service_database(settings)
        try:
            ahead = datetime.now(UTC) + timedelta(days=1)
            summary = {"outcome": "failed", "sources": [{"source": feed, "failed": True}]}
            run = run_records.start_run(database, ahead)  # as the clock a day ahead dated it
            run_records.finish_run(database, run, ahead + timedelta(seconds=5), "failed", summary)
        finally:
            database.dispose()
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        try:
            assert await service.poll("the day's poll, the clock set right") == "ok"
            asked = len(arxiv.requests_to("/rss/cs.CL"))
            await service.retry_poll_if_broken()
            assert len(arxiv.requests_to("/rss/cs.CL")) == asked, "the retry polled again after a fine poll"
        finally:
            await service.stop()
