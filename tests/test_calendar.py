"""The calendar as an operator running the service for years meets it: crontab weekdays, arXiv's own days whatever zone
the schedule is written in, and "new this week" across a heading rename.

Real SQLite files in tmp_path, the product's own scheduler wiring, poller, reviewer and list store; time is passed in
explicitly (the `now=` / clock parameters the product already takes), nothing of the product is mocked.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger

from digest import jobs
from digest.config import Settings
from digest.config.crontab import scheduler_crontab
from digest.service.schedule import POLL_MISFIRE_GRACE, keep_jobs, make_scheduler
from digest.service.wiring import open_service_database
from tests.conftest import make_settings

SUNDAY_NOON = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)  # Sunday 6 December 2026, 12:00 in New York


def fire_days(settings: Settings, job_id: str, count: int = 10) -> list[str]:
    """The weekdays the service's stored job fires on, from Sunday 6 December 2026 on, as the scheduler computes
    them (the job built by keep_jobs, in a real SQLite job store)."""
    scheduler = make_scheduler(settings)
    keep_jobs(scheduler, settings)
    job = scheduler.get_job(job_id)
    assert job is not None
    previous, now, days = None, SUNDAY_NOON, []
    for _ in range(count):
        fire = job.trigger.get_next_fire_time(previous, now)
        days.append(f"{fire:%a}")
        previous = now = fire
    return days


# --- 1. Numeric crontab weekdays are shifted by one day -------------------------------------------------------------


def test_a_crontab_weekday_range_1_5_polls_monday_to_friday(tmp_path: Path) -> None:
    """config.example.toml: poll_cron is "crontab: minute hour day month weekday". In every crontab 1-5 is Monday to
    Friday (0 and 7 are Sunday). APScheduler 3's from_crontab counts 0 as Monday: the service polls Tuesday to
    Saturday, never on Monday (Sunday evening's announcement is never read) and on Saturday, when nothing was
    announced."""
    settings = make_settings(tmp_path / "data", '[arxiv]\npoll_cron = "30 0 * * 1-5"\nretry_cron = "0 6 * * 1-5"\n')
    assert set(fire_days(settings, "poll")) == {"Mon", "Tue", "Wed", "Thu", "Fri"}
    assert set(fire_days(settings, "poll-retry")) == {"Mon", "Tue", "Wed", "Thu", "Fri"}


def test_a_weekly_crontab_on_weekday_1_sends_on_monday(tmp_path: Path) -> None:
    """`[weekly] cron = "0 8 * * 1"` is Monday 08:00 in any crontab; the service sends on Tuesday."""
    settings = make_settings(tmp_path / "data", '[weekly]\ncron = "0 8 * * 1"\n')
    assert set(fire_days(settings, "weekly", 4)) == {"Mon"}


def test_a_crontab_weekday_0_is_sunday(tmp_path: Path) -> None:
    """Sunday is 0 in crontab: "0 20 * * 0" (Sunday 20:00) fires on Monday."""
    settings = make_settings(tmp_path / "data", '[weekly]\ncron = "0 20 * * 0"\n')
    assert set(fire_days(settings, "weekly", 4)) == {"Sun"}


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        ("sun-thu", {"Sun", "Mon", "Tue", "Wed", "Thu"}),  # arXiv's announcement evenings, a range across Sunday
        ("5-7", {"Fri", "Sat", "Sun"}),
        ("*/2", {"Sun", "Tue", "Thu", "Sat"}),
        ("SAT,sun", {"Sat", "Sun"}),
        ("mon-fri", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
    ],
)
def test_crontab_weekday_ranges_lists_and_steps_mean_what_they_mean_in_crontab(
    tmp_path: Path, weekdays: str, expected: set[str]
) -> None:
    settings = make_settings(tmp_path / "data", f'[arxiv]\npoll_cron = "30 0 * * {weekdays}"\n')
    assert set(fire_days(settings, "poll", 14)) == expected


def test_a_weekday_crontab_does_not_know_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from digest.cli import main

    (tmp_path / "config.toml").write_text('[weekly]\ncron = "0 8 * * monday"\n', encoding="utf-8")
    code = main(["--config", str(tmp_path / "config.toml"), "--data-dir", str(tmp_path / "data"), "config", "check"])
    problems = [line for line in capsys.readouterr().out.splitlines() if line.startswith("problem:")]
    assert (
        code != 0 and len(problems) == 1 and "weekly.cron" in problems[0] and "'monday' is not a weekday" in problems[0]
    )


def test_a_crontab_sunday_written_7_is_accepted(tmp_path: Path) -> None:
    """Sunday is also 7 in crontab (cron, cronie, systemd); the setting is refused as "not a valid crontab
    expression ... higher than the maximum value (6)"."""
    settings = make_settings(tmp_path / "data", '[weekly]\ncron = "0 20 * * 7"\n')
    assert set(fire_days(settings, "weekly", 4)) == {"Sun"}


# --- 2. poll_timezone is taken for arXiv's own calendar -------------------------------------------------------------


@pytest.mark.asyncio
async def test_an_empty_monday_feed_is_broken_whatever_zone_the_polls_are_written_in(tmp_path: Path) -> None:
    """README/config: poll_timezone is the zone poll_cron and retry_cron are written in. An operator on the US west
    coast writes the default schedule in their own zone (21:30 Sunday to Thursday = 00:30 Monday to Friday in New
    York). The poller then reads the feed's date, Monday 00:00 in New York, in poll_timezone: Sunday 21:00, "no
    announcements on Sunday". An empty answer on an announcement day is accepted as a quiet day: stored with its
    ETag, not retried, /healthz stays green, and Sunday evening's papers are never read."""
    from digest.arxiv.poll_pass import run_poll
    from tests.arxiv_server import ArxivServer, FakeClock, Reply
    from tests.feedbuild import build_rss

    config = (
        '[arxiv]\ncontact = "maintainers@example.org"\npoll_timezone = "America/Los_Angeles"\n'
        'poll_cron = "30 21 * * sun,mon,tue,wed,thu"\nretry_cron = "0 3 * * mon-fri"\n'
    )
    settings = make_settings(tmp_path / "data", config)
    database = open_service_database(settings)
    monday = date(2026, 4, 27)
    try:
        async with ArxivServer() as server:
            url = server.program("/rss/cs.CV", Reply(body=build_rss("cs.CV", [], monday), etag='"empty"'))
            # 00:30 Monday in New York = 21:30 Sunday in Los Angeles, when the west-coast schedule polls.
            clock = FakeClock(datetime(2026, 4, 27, 4, 30, tzinfo=UTC))
            summary = await run_poll(settings, database, sources=[url], clock=clock)
    finally:
        database.dispose()
    report = summary.sources[0]
    assert (report.outcome, report.message) == ("broken", "an empty feed on a weekday (Monday 2026-04-27)")


@pytest.mark.asyncio
async def test_the_retry_does_not_poll_again_after_a_good_poll_in_a_west_coast_schedule(tmp_path: Path) -> None:
    """The same west-coast schedule: the poll at 21:30 Sunday (Los Angeles) goes well; the retry at 03:00 Monday
    (06:00 in New York, the default retry time) asks whether "today's" poll went well, with "today" taken in
    poll_timezone: Sunday's poll is not Monday's, so every announcement day is polled twice."""
    from digest.arxiv import poll_runs
    from digest.arxiv.poll_pass import run_poll
    from tests.arxiv_server import ArxivServer, FakeClock, Reply
    from tests.feedbuild import build_rss, load_records

    config = (
        '[arxiv]\ncontact = "maintainers@example.org"\npoll_timezone = "America/Los_Angeles"\n'
        'poll_cron = "30 21 * * sun,mon,tue,wed,thu"\nretry_cron = "0 3 * * mon-fri"\n'
    )
    settings = make_settings(tmp_path / "data", config)
    database = open_service_database(settings)
    monday = date(2026, 4, 27)
    polled_at = datetime(2026, 4, 27, 4, 30, tzinfo=UTC)  # 21:30 Sunday in Los Angeles, 00:30 Monday in New York
    try:
        async with ArxivServer() as server:
            url = server.program("/rss/cs.CV", Reply(body=build_rss("cs.CV", load_records()[:3], monday)))
            summary = await run_poll(settings, database, sources=[url], clock=FakeClock(polled_at))
        assert summary.outcome == "ok"
        retry_at = datetime(2026, 4, 27, 10, 0, tzinfo=UTC)  # 03:00 Monday in Los Angeles
        fine = poll_runs.polled_fine_today(database, retry_at)
    finally:
        database.dispose()
    assert fine, "the retry job would poll arXiv again after a good poll of the same announcement"


# --- 3. "new this week" comes back when a heading is renamed ------------------------------------------------------


def test_renaming_a_heading_does_not_mark_a_month_old_approval_new_this_week(tmp_path: Path) -> None:
    """web/pages.load_list: "an entry moved with a renamed heading is no news". An import of the Markdown with a
    heading renamed (a maintainer's edit on GitHub, brought back by publishing) makes new entries for the section;
    a paper approved a month earlier then shows "new this week" on the list page again (and counts in "N new this
    week"). tests/test_feed_dates.py checks this only for the seed list's papers, which are never marked new."""
    from digest.awesome import store as liststore
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor
    from digest.web.pages import load_list
    from tests.weekly_data import Clock, insert_candidate

    settings = make_settings(tmp_path / "data")
    database = open_service_database(settings)
    approved_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    try:
        candidate = insert_candidate(database, "2505.14071", seen=approved_at, section="Steering")
        Reviewer(database, settings, Clock(approved_at)).decide(candidate, "approve", Actor("ann", None, "cli"))
        with database.reading() as session:
            markdown = liststore.render_markdown(session, settings.templates_dir)
        heading = next(
            line for line in markdown.splitlines(keepends=True) if line.startswith("### ") and "Steering" in line
        )
        renamed = markdown.replace(heading, heading.rstrip("\n") + " Vectors\n")
        a_month_later = approved_at + timedelta(days=30)
        with database.transaction() as session:
            report = liststore.import_markdown(session, renamed.encode(), source="edited.md", now=a_month_later)
        assert report.renamed and not report.moved and not report.added  # one rename, its entries no news
        with database.reading() as session:
            view = load_list(session, a_month_later)
    finally:
        database.dispose()
    new = [entry.title for section in view.sections for entry in section.entries if entry.new]
    assert new == [] and view.new_papers == 0


def test_the_crontab_weekday_range_7_7_is_sunday_only() -> None:
    """'7-7' is Sunday to Sunday: Sunday (it was read as the whole week)."""
    assert scheduler_crontab("0 8 * * 7-7") == "0 8 * * sun"


@pytest.mark.asyncio
async def test_an_upgrade_keeps_a_missed_poll_whose_weekdays_mean_the_same(tmp_path: Path) -> None:
    """poll_cron = "30 0 * * mon,tue,wed,thu,fri" means the same to APScheduler 3 and to crontab, so the release
    before b6fb70b stored the trigger as written. The new release rewrites the field as 'mon-fri'; ensure_job compares
    the triggers' text, finds them different, and reschedule_job moves the job's next run to the next future slot: a
    poll missed while the service was down (stored next run in the past, which the paused start is there to fire
    once) is silently dropped by the upgrade alone. (It was: the next run moved into the future.)"""
    settings = make_settings(tmp_path / "data", '[arxiv]\npoll_cron = "30 0 * * mon,tue,wed,thu,fri"\n')
    open_service_database(settings).dispose()
    missed = datetime.now(UTC) - timedelta(hours=3)

    old = make_scheduler(settings)  # what the previous release stored: the crontab line as written
    old.start(paused=True)
    trigger = CronTrigger.from_crontab(settings.arxiv.poll_cron, settings.arxiv.poll_timezone)
    old.add_job(jobs.POLL_JOB, trigger, id="poll", name="poll", misfire_grace_time=POLL_MISFIRE_GRACE)
    old.modify_job("poll", next_run_time=missed)  # the machine was off when it was due
    old.shutdown(wait=False)
    await asyncio.sleep(0)

    new = make_scheduler(settings)
    new.start(paused=True)
    try:
        keep_jobs(new, settings)
        job = new.get_job("poll")
        assert job is not None
        next_run = job.next_run_time
    finally:
        new.shutdown(wait=False)
    assert next_run <= datetime.now(UTC), f"the missed poll was moved to {next_run}"


def test_a_day_of_the_month_with_a_weekday_is_the_day_that_is_both(tmp_path: Path) -> None:
    """ "0 8 1-7 * mon" is the first Monday of each month, as earlier releases ran it (crontab would run on the 1st to
    the 7th and on every Monday): documented in config.example.toml."""
    settings = make_settings(tmp_path / "data", '[weekly]\ncron = "0 8 1-7 * mon"\n')
    scheduler = make_scheduler(settings)
    keep_jobs(scheduler, settings)
    job = scheduler.get_job("weekly")
    assert job is not None
    previous, now, fires = None, SUNDAY_NOON, []
    for _ in range(4):
        fire = job.trigger.get_next_fire_time(previous, now)
        fires.append(f"{fire:%a %d}")
        previous = now = fire
    assert fires == ["Mon 07", "Mon 04", "Mon 01", "Mon 01"]  # December 2026, then January to March 2027


@pytest.mark.asyncio
async def test_a_run_missed_during_an_upgrade_that_moves_the_weekday_still_runs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The release before read "0 8 * * 1" as Tuesday and stored that job; the service was down when it came due.
    This release reads Monday, so the job moves: the overdue digest still goes out once at start, and the log says
    so (it was moved to next Monday without a word)."""
    settings = make_settings(tmp_path / "data", 'timezone = "UTC"\n[weekly]\ncron = "0 8 * * 1"\n')
    open_service_database(settings).dispose()
    old = make_scheduler(settings)
    old.start(paused=True)
    trigger = CronTrigger.from_crontab(settings.weekly.cron, "UTC")  # how the release before built it
    old.add_job(jobs.WEEKLY_JOB, trigger, id="weekly", name="weekly", misfire_grace_time=3600)
    missed = datetime.now(UTC) - timedelta(hours=2)
    old.modify_job("weekly", next_run_time=missed)
    old.shutdown(wait=False)
    await asyncio.sleep(0)

    new = make_scheduler(settings)
    new.start(paused=True)
    try:
        with caplog.at_level("INFO", logger="digest.service"):
            keep_jobs(new, settings)
        job = new.get_job("weekly")
        assert job is not None and job.next_run_time <= datetime.now(UTC)
        assert set(fire_days(settings, "weekly", 3)) == {"Mon"}  # and Mondays from then on
    finally:
        new.shutdown(wait=False)
    said = f"schedule: weekly missed its run at {missed:%Y-%m-%d %H:%M} UTC while the service was down: it runs now"
    lines = [record.getMessage() for record in caplog.records]
    assert said in lines  # the schedule's form, not 09:00:00.123+00:00
    # The crontab as written, not APScheduler's "cron[month='*', day='*', day_of_week='mon', hour='8', minute='0']".
    assert "schedule: weekly changed to '0 8 * * 1' in UTC" in lines, lines


@pytest.mark.asyncio
async def test_a_feed_not_yet_rebuilt_on_an_announcement_day_is_asked_again(tmp_path: Path) -> None:
    """arXiv's announcement came late (it posts "announcements delayed" notices a few times a year): at Tuesday's
    00:30 poll the feed was still Monday's, answered 304 to Monday's ETag, and on Monday the feed was still Sunday's
    empty one. Both were taken for fine days ("not-modified", "no announcements on Sunday"), the 06:00 retry saw a
    good poll and did nothing, and the day's feed, gone by the next night, was never read. Now a feed older than the
    announcement day the poll runs on fails its source, and the retry reads the day's feed."""
    from digest.arxiv.poll_pass import run_poll
    from tests.arxiv_server import ArxivServer, FakeClock, Reply
    from tests.feedbuild import build_rss
    from tests.poller_feeds import RELEVANT, records

    settings = make_settings(tmp_path / "data", '[arxiv]\ncontact = "maintainers@example.org"\n')
    database = open_service_database(settings)
    friday, sunday, monday, tuesday = date(2026, 4, 24), date(2026, 4, 26), date(2026, 4, 27), date(2026, 4, 28)

    def at(day: date, hour: int) -> FakeClock:  # hour in New York (EDT, UTC-4)
        return FakeClock(datetime(day.year, day.month, day.day, hour + 4, 30, tzinfo=UTC))

    try:
        async with ArxivServer() as server:
            url = server.program(
                "/rss/cs.CV",
                Reply(body=build_rss("cs.CV", records(RELEVANT[2]), friday), etag='"fri"'),  # Friday 00:30
                Reply(body=build_rss("cs.CV", [], sunday), etag='"sun"'),  # Monday 00:30: Sunday's empty feed
                Reply(body=build_rss("cs.CV", records(RELEVANT[0]), monday), etag='"mon"'),  # Monday 06:00
                Reply(body=build_rss("cs.CV", records(RELEVANT[0]), monday), etag='"mon"'),  # Tuesday 00:30: 304
                Reply(body=build_rss("cs.CV", records(RELEVANT[1]), tuesday), etag='"tue"'),  # Tuesday 06:00
            )
            polls = [
                await run_poll(settings, database, sources=[url], clock=clock)
                for clock in (at(friday, 0), at(monday, 0), at(monday, 6), at(tuesday, 0), at(tuesday, 6))
            ][1:]
    finally:
        database.dispose()
    lines = [poll.sources[0].line() for poll in polls]
    assert [poll.outcome for poll in polls] == ["failed", "ok", "failed", "ok"], lines
    assert "still Sunday 2026-04-26's" in lines[0] and "Monday's announcement has not come yet" in lines[0], lines[0]
    assert "still Monday 2026-04-27's" in lines[2] and "Tuesday's announcement has not come yet" in lines[2], lines[2]
    assert polls[1].new_candidates == 1 and polls[3].new_candidates == 1


# --- Daylight saving time ---------------------------------------------------------------------------------------------


def fires_from(job: Any, start: datetime, count: int) -> list[str]:
    """The job's next `count` runs from `start`, as the scheduler computes them (each from the run before), in UTC."""
    trigger = job.trigger
    previous, now, fires = None, start, []
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        fires.append(f"{fire.astimezone(UTC):%d %H:%M}")
        previous = now = fire
    return fires


@pytest.mark.asyncio
@pytest.mark.parametrize("stored_by_older_release", [False, True])
async def test_a_poll_in_the_hour_the_clocks_go_back_runs_once_and_one_in_the_hour_skipped_still_runs(
    tmp_path: Path, stored_by_older_release: bool
) -> None:
    """`poll_cron = "30 1 * * *"` (New York): on Sunday 1 November 2026 the clocks go back at 02:00, 01:30 comes twice,
    and the service polled twice, an hour apart (APScheduler's cron runs each of the two 01:30s). Now a time of day
    runs once on that night, as cron's does, also for a job an older release stored; on 8 March, when 02:30 does not
    exist, a poll set for it still runs (at 03:30), so no announcement is missed."""
    settings = make_settings(
        tmp_path / "data",
        '[arxiv]\npoll_cron = "30 1 * * *"\nretry_cron = "30 2 * * *"\npoll_timezone = "America/New_York"\n',
    )
    open_service_database(settings).dispose()
    if stored_by_older_release:
        old = make_scheduler(settings)
        old.start(paused=True)
        for job_id, func, expression in (
            ("poll", jobs.POLL_JOB, "30 1 * * *"),
            ("poll-retry", jobs.RETRY_JOB, "30 2 * * *"),
        ):
            trigger = CronTrigger.from_crontab(expression, "America/New_York")  # how the release before built it
            old.add_job(func, trigger, id=job_id, name=job_id, misfire_grace_time=POLL_MISFIRE_GRACE)
        old.shutdown(wait=False)
        await asyncio.sleep(0)
    scheduler = make_scheduler(settings)
    scheduler.start(paused=True)
    try:
        keep_jobs(scheduler, settings)
        poll, retry = scheduler.get_job("poll"), scheduler.get_job("poll-retry")
        autumn = fires_from(poll, datetime(2026, 10, 31, 16, 0, tzinfo=UTC), 3)
        spring = fires_from(retry, datetime(2026, 3, 7, 17, 0, tzinfo=UTC), 3)
        # Between the two 01:30s, as a restart and the scheduler's minutely check of a clock set back compute it.
        between = fires_from(poll, datetime(2026, 11, 1, 5, 31, tzinfo=UTC), 1)
    finally:
        scheduler.shutdown(wait=False)
    assert autumn == ["01 05:30", "02 06:30", "03 06:30"]  # 01:30 EDT on the 1st, then 01:30 EST
    assert between == ["02 06:30"]
    assert spring == ["08 07:30", "09 06:30", "10 06:30"]  # 03:30 EDT on the 8th (02:30 never came), then 02:30
