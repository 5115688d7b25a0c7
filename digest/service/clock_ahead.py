"""Undoing what a clock that was ahead did to the scheduled jobs: a cron job's next run set days or years late."""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from digest.clock import zoned

log = logging.getLogger("digest.service")


def undo_a_clock_ahead(scheduler: AsyncIOScheduler) -> None:
    """A cron job's next run is computed from the clock when it runs: a clock that was ahead (a machine booted with
    a wrong date, a host's clock set back by NTP) leaves it days or years later than the schedule, and no poll or
    weekly digest would run until then. Such a job is moved back to its schedule's next time from now; one waiting
    for the time after that (it has just run, and the clock was then set back) is left to it."""
    now = datetime.now(scheduler.timezone)
    for job in scheduler.get_jobs():
        if job.next_run_time is None or not isinstance(job.trigger, CronTrigger):
            continue
        scheduled = job.trigger.get_next_fire_time(None, now)
        # A job that ran at `scheduled` before the clock was set back (NTP stepping back an hour, or minutes) waits
        # for the time after it, rightly: moved back, it ran that time again. Only a next run beyond that one was
        # set by a clock ahead by more than the schedule's spacing (one ahead by less ran the job early, once).
        following = None if scheduled is None else job.trigger.get_next_fire_time(scheduled, scheduled)
        if scheduled is not None and following is not None and job.next_run_time > following:
            log.warning(
                "schedule: %s was set to run at %s, after its next time by the schedule (the clock was ahead and "
                "has been set back); it runs at %s",
                job.id,
                zoned(job.next_run_time.astimezone(scheduler.timezone)),
                zoned(scheduled.astimezone(scheduler.timezone)),
            )
            job.modify(next_run_time=scheduled)
