"""Watching arXiv over months: a Retry-After past the retry or answered to the retry itself, and a schedule polling
arxiv.org more often than its once-a-day announcement needs (clamped in `config check` and in the service)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from digest.arxiv.announcements import ARXIV_ZONE, feed_replaced_at
from digest.arxiv.poll_pass import run_poll
from digest.service.process import Service
from digest.service.wiring import open_service_database
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings


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
            await retry_when_left_alone(settings, scheduler, summary, now=now)
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
