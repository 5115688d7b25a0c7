"""What the running service's start-up runs at once: the scheduled runs missed while it was down (due when the paused
scheduler resumes) and the poll on start, and `settled`, set once all of it has run (the bot's posting included)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from apscheduler import events
from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger("digest.service")  # the name its lines have always carried

POLL_ON_START = "poll on start"
# The scheduler ran a job, skipped it (past its grace) or left it to a run still going: either way it is over.
JOB_ENDED = (
    events.EVENT_JOB_EXECUTED | events.EVENT_JOB_ERROR | events.EVENT_JOB_MISSED | events.EVENT_JOB_MAX_INSTANCES
)


class CatchUp:
    def __init__(self) -> None:
        self.settled = asyncio.Event()
        self._unsettled: set[str] = set()

    def watch(self, scheduler: AsyncIOScheduler, now: datetime) -> None:
        """The paused scheduler's jobs due at `now` and the poll on start are what start-up waits for."""
        due = {job.id for job in scheduler.get_jobs() if job.next_run_time and job.next_run_time <= now}
        self._unsettled = due | {POLL_ON_START}
        scheduler.add_listener(self._job_ended, JOB_ENDED)

    def _job_ended(self, event: events.JobEvent) -> None:
        self.settle(event.job_id)

    def settle(self, work: str) -> None:
        if work in self._unsettled:
            self._unsettled.discard(work)
            if not self._unsettled:
                log.info("start-up: caught up; what was due on start has run")
                self.settled.set()
