"""The scheduler of the running service: its job store in the database, and jobs kept to the configured times."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler import events
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.exc import SQLAlchemyError

from digest import health, jobs, outage
from digest.arxiv.announcements import feed_replaced_at
from digest.clock import utc_now, zoned
from digest.config import Settings
from digest.config.crontab import scheduler_crontab
from digest.config.poll_schedule import poll_schedule
from digest.service.clock_ahead import undo_a_clock_ahead
from digest.service.wall_clock import WallClockCronTrigger, WallClockJobStore
from digest.storage.db import create_database_engine
from digest.storage.failures import failure_line

log = logging.getLogger("digest.service")

WEEKLY_MISFIRE_GRACE = 6 * 24 * 3600
POLL_MISFIRE_GRACE = 20 * 3600
WEEKLY_RETRY_ID = "weekly-retry"
POLL_RETRY_AFTER_ID = "poll-retry-after"
POLL_LATE_ID = "poll-retry-late"
# How long after a host's Retry-After the poll asks again: its own clock and arXiv's may differ by a little.
RETRY_AFTER_MARGIN = timedelta(minutes=1)
JOB_STORE_RETRY_SECONDS = 30.0
LONGEST_SLEEP_SECONDS = 60.0
# How long after a catch-up poll (a resumed machine) its own retry comes, when the retry moved aside for it would come
# only after the day's feed gave way: the retry's usual distance, no more, and ahead of the feed's end.
CATCH_UP_RETRY_DELAY = timedelta(hours=1)
# The jobs that poll, in the order one of them is kept when several are due at once (the poll, not a retry of it).
POLLS = ("poll", POLL_LATE_ID, POLL_RETRY_AFTER_ID, "poll-retry")


class SteadyScheduler(AsyncIOScheduler):  # type: ignore[misc]  # APScheduler 3 ships no type hints
    """APScheduler's asyncio scheduler that outlives a failing job store. Its jobs live in the service's database;
    when a wake-up cannot read or update them (the database locked by another process past its busy timeout, a full
    disk), APScheduler 3 raises out of the wake-up and never sets its timer again: no poll, retry or weekly digest
    until a restart. Here that wake-up is tried again in JOB_STORE_RETRY_SECONDS, and a job it could not mark as run
    is found due then (each job's work is idempotent: a poll asks conditionally, a week's email is claimed once).
    It also never sleeps longer than a minute, so a jump of the clock (a resumed machine) delays no job, and a job whose
    next run lies beyond the time after its schedule's next (set while the clock was ahead, before NTP set it back) is
    moved back to that next time."""

    retry_seconds = JOB_STORE_RETRY_SECONDS
    reminder_interval = outage.REMINDER_INTERVAL
    longest_sleep_seconds = LONGEST_SLEEP_SECONDS
    _outage: outage.Outage | None = None

    def _process_jobs(self) -> float | None:
        try:
            self._undo_a_clock_ahead()
            self._one_catch_up_poll()
            wait_seconds: float | None = super()._process_jobs()
        except Exception as exc:  # whatever the job store raised: the scheduler must keep its timer
            reason = self._reason(exc)
            self._say_failed(reason)
            health.report("schedule", False, f"the scheduled jobs cannot be read or updated: {reason}")
            return self.retry_seconds
        if self._outage is not None:  # it answers again: said once, with how long it was down
            log.info("schedule: the jobs can be read and updated again, %s", outage.over_line(self._outage, utc_now()))
            self._outage = None
            health.report("schedule", True, "the scheduled jobs are read and updated")
        # The timer counts monotonic time, which stands still while the machine is suspended and ignores a clock set
        # forward: a job due by the clock would wait that long again. Waking every minute finds it due.
        return None if wait_seconds is None else min(wait_seconds, self.longest_sleep_seconds)

    def _say_failed(self, reason: str) -> None:
        """The outage once, then a reminder at most every reminder_interval: not a line every retry_seconds."""
        self._outage, say = outage.failed(self._outage, utc_now(), self.reminder_interval)
        every = f"trying again every {self.retry_seconds:g} s"
        if say is outage.Say.BEGUN:
            again = outage.lasted(self.reminder_interval)
            log.error("schedule: cannot read or update the jobs (%s); %s, said again every %s", reason, every, again)
        elif say is outage.Say.STILL:
            log.warning(
                "schedule: cannot read or update the jobs (%s): %s; %s", reason, outage.still_line(self._outage), every
            )

    def _reason(self, exc: Exception) -> str:
        """The job store's failure in one line; a database's in plain words, naming a full disk (failure_line)."""
        engine = getattr(self._jobstores.get("default"), "engine", None)
        if isinstance(exc, SQLAlchemyError) and engine is not None:
            return failure_line(exc, str(engine.url))[:300]  # the password hidden: only its file is read
        return " ".join(str(getattr(exc, "orig", None) or exc).split())[:200]

    def _undo_a_clock_ahead(self) -> None:
        if self.state != STATE_PAUSED:  # another service may own the jobs meanwhile (PostgreSQL's lock)
            undo_a_clock_ahead(self)

    def _one_catch_up_poll(self) -> None:
        """A machine that slept (or a service down) over the poll and its retry found both due at once: the poll ran,
        failed (the network not back yet), and the retry asked arXiv again right after it. One of the polls due
        together runs (the poll before a retry); the others are moved to their next time, as if missed."""
        if self.state == STATE_PAUSED:
            return
        now = datetime.now(self.timezone)
        due = sorted((job for job in self.get_jobs() if _runs_now(job, now)), key=lambda job: POLLS.index(job.id))
        for job in due[1:]:
            missed, later = job.next_run_time, job.trigger.get_next_fire_time(None, now + timedelta(seconds=1))
            log.info("schedule: %s was due at %s with %s: one poll runs now; it runs next at %s",
                     job.id, zoned(missed.astimezone(self.timezone)), due[0].id, later and zoned(later))  # fmt: skip
            if later is None or later <= now:  # a one-off (a DateTrigger gives its own past time again)
                job.remove()
            else:
                job.modify(next_run_time=later)
            # Its run is over, as a run past its grace is: a start waiting for what was due hears of it.
            self._dispatch_event(events.JobExecutionEvent(events.EVENT_JOB_MISSED, job.id, "default", missed))
            if job.id == "poll-retry" and (later is None or later >= feed_replaced_at(now)):
                _retry_catch_up_poll(self, now)


def _retry_catch_up_poll(scheduler: AsyncIOScheduler, now: datetime) -> None:
    """The catch-up poll's own retry, before the day's feed gives way (the retry job polls only when that poll did not
    go fine): the retry it displaced would have come only with the next day's feed."""
    replaced = feed_replaced_at(now)
    at = min(now + CATCH_UP_RETRY_DELAY, now + (replaced - now) / 2)
    scheduler.add_job(
        jobs.RETRY_JOB,
        DateTrigger(at),
        id=POLL_RETRY_AFTER_ID,
        name=POLL_RETRY_AFTER_ID,
        misfire_grace_time=max(1, int((replaced - at).total_seconds())),
        replace_existing=True,
    )
    log.info(
        "schedule: the catch-up poll is retried at %s if it does not go well", zoned(at.astimezone(scheduler.timezone))
    )


def poll_due_now(scheduler: AsyncIOScheduler) -> str | None:
    """The id of the poll the scheduler runs as soon as it resumes (due, within its grace), or None."""
    now = datetime.now(scheduler.timezone)
    due = sorted((job.id for job in scheduler.get_jobs() if _runs_now(job, now)), key=POLLS.index)
    return due[0] if due else None


def _runs_now(job: Any, now: datetime) -> bool:
    """Whether `job` is one of the polls and the scheduler would run it now (due, and within its grace)."""
    if job.id not in POLLS or job.next_run_time is None or job.next_run_time > now:
        return False
    grace = job.misfire_grace_time
    latest: datetime = job._get_run_times(now)[-1]  # coalesced: the latest of the runs missed is the one run
    return grace is None or now - latest <= timedelta(seconds=grace)


def cron_trigger(expression: str, zone: str) -> WallClockCronTrigger:
    trigger: WallClockCronTrigger = WallClockCronTrigger.from_crontab(scheduler_crontab(expression), ZoneInfo(zone))
    return trigger


def make_scheduler(settings: Settings) -> AsyncIOScheduler:
    return SteadyScheduler(
        # An engine of its own: the job store disposes its engine on shutdown, which would orphan a connection
        # a poll still in progress holds on the shared one (PostgreSQL warns about the unclosed connection).
        jobstores={"default": WallClockJobStore(engine=create_database_engine(settings.database_url))},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=ZoneInfo(settings.timezone),
    )


def ensure_job(scheduler: AsyncIOScheduler, func: str, job_id: str, crontab: tuple[str, str], grace: int) -> None:
    """Adds the job, or moves it when its time changed in the config; a stored job keeps its next run otherwise. A run
    it missed while the service was down still runs once (within its grace), as for any job: a new time changes when
    the next ones come, not whether the missed one happens. `crontab`: the schedule as configured, and its zone."""
    trigger = cron_trigger(*crontab)
    existing = scheduler.get_job(job_id)
    if existing is None:
        scheduler.add_job(func, trigger, id=job_id, name=job_id, misfire_grace_time=grace)
    elif type(existing.trigger) is not type(trigger) and _when(existing.trigger) == _when(trigger):
        scheduler.modify_job(job_id, trigger=trigger)  # an older release's kind of trigger, same times: next run kept
    elif _when(existing.trigger) != _when(trigger):
        missed = existing.next_run_time
        scheduler.reschedule_job(job_id, trigger=trigger)
        log.info("schedule: %s changed to '%s' in %s", job_id, *crontab)
        if missed is not None and missed <= datetime.now(missed.tzinfo):
            scheduler.modify_job(job_id, next_run_time=missed)
            log.info("schedule: %s missed its run at %s while the service was down: it runs now", job_id,
                     zoned(missed.astimezone(scheduler.timezone)))  # fmt: skip


def _when(trigger: CronTrigger) -> tuple[object, ...]:
    """A cron trigger's times and zone (the zone setting must move a job too). The weekdays are compared as days, not
    as text: "mon,tue,wed,thu,fri" stored by an older release is "mon-fri" today, and moving the job would drop a run
    it missed while the service was down."""
    fields = [field for field in getattr(trigger, "fields", []) if field.name != "day_of_week"]
    days = next((field for field in getattr(trigger, "fields", []) if field.name == "day_of_week"), None)
    monday = datetime(2024, 1, 1)
    weekdays = tuple(
        day for day in range(7) if days is None or days.get_next_value(monday + timedelta(days=day)) == day
    )
    return tuple((field.name, str(field)) for field in fields), weekdays, str(getattr(trigger, "timezone", ""))


def keep_jobs(scheduler: AsyncIOScheduler, settings: Settings) -> None:
    """The poll, its retry and the weekly digest at the configured times."""
    polls = poll_schedule(settings)
    if polls.warning:  # the configured schedule asked arxiv.org too often: said once at each start, not refused
        log.warning("schedule: %s", polls.warning)
    ensure_job(scheduler, jobs.POLL_JOB, "poll", (polls.poll_cron, polls.timezone), POLL_MISFIRE_GRACE)
    ensure_job(scheduler, jobs.RETRY_JOB, "poll-retry", (polls.retry_cron, polls.timezone), POLL_MISFIRE_GRACE)
    ensure_job(scheduler, jobs.WEEKLY_JOB, "weekly", (settings.weekly.cron, settings.timezone), WEEKLY_MISFIRE_GRACE)


def job_work(job_id: str) -> str:
    """The work a scheduled job does, for /healthz: a retry ("poll-retry", "weekly-retry") does its job's work."""
    return job_id.removesuffix("-after").removesuffix("-late").removesuffix("-retry")


def schedule_weekly_retry(scheduler: AsyncIOScheduler, retry_at: datetime) -> None:
    # A failed send is retried at its back-off time, not a week later at the next weekly slot.
    scheduler.add_job(
        jobs.WEEKLY_JOB,
        DateTrigger(retry_at),
        id=WEEKLY_RETRY_ID,
        name=WEEKLY_RETRY_ID,
        misfire_grace_time=WEEKLY_MISFIRE_GRACE,
        replace_existing=True,
    )


def schedule_poll_after_busy(scheduler: AsyncIOScheduler, busy_until: datetime, before: datetime) -> datetime | None:
    """After a poll arXiv asked to leave alone until `busy_until`: the poll's retry at that time (a minute after),
    when no retry already comes after it while the day's feed holds, and it still comes `before` the day's feed is
    replaced and before the next poll (a later one would read another day). Returns when it runs, or None."""
    at = busy_until + RETRY_AFTER_MARGIN
    if at >= before:
        return None
    retry, poll = scheduler.get_job("poll-retry"), scheduler.get_job("poll")
    extra = scheduler.get_job(POLL_RETRY_AFTER_ID)
    later = [job.next_run_time for job in (retry, extra) if job is not None and job.next_run_time is not None]
    # A retry reads the day's feed only before that gives way (tomorrow's 06:00 retry reads tomorrow's).
    if (
        any(at <= when < before for when in later)
        or poll is None
        or poll.next_run_time is None
        or poll.next_run_time <= at
    ):
        return None
    scheduler.add_job(
        jobs.RETRY_JOB,
        DateTrigger(at),
        id=POLL_RETRY_AFTER_ID,
        name=POLL_RETRY_AFTER_ID,
        misfire_grace_time=POLL_MISFIRE_GRACE,
        replace_existing=True,
    )
    return at


def schedule_late_poll(scheduler: AsyncIOScheduler, at: datetime, before: datetime, *, retried: bool = True) -> bool:
    """One more poll at `at` of a day whose announcement had not come (arXiv late), when no retry or poll comes
    before the day's feed gives way at `before` (the last planned one of the day decides); whether it was added.
    `retried`: whether a retry would poll at all (it does only after a poll that did not go fine)."""
    retries = ("poll-retry", POLL_RETRY_AFTER_ID) if retried else ()
    planned = [scheduler.get_job(job_id) for job_id in ("poll", *retries, POLL_LATE_ID)]
    if any(job is not None and job.next_run_time is not None and job.next_run_time < before for job in planned):
        return False
    scheduler.add_job(
        jobs.POLL_JOB,
        DateTrigger(at),
        id=POLL_LATE_ID,
        name=POLL_LATE_ID,
        # Missed (the service down over it): run late only while the day's feed holds; after, it would poll for nothing.
        misfire_grace_time=max(1, int((before - at).total_seconds())),
        replace_existing=True,
    )
    return True
