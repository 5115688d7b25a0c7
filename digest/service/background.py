"""Work the running service does beside its loop (the poll on start, `run --once`'s poll, the database lock's watch):
each is kept until it ends, so a stop can give it the grace and cancel what is left past it; a failure is logged and
said on /healthz under what it was doing. A scheduled job's failure is said there too (`report_jobs`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Any

from apscheduler import events
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from digest import health
from digest.service.schedule import job_work

log = logging.getLogger("digest.service")  # the name its lines have always carried


class Background:
    def __init__(self) -> None:
        self.running: set[asyncio.Future[Any]] = set()  # a weekly send's thread too: a stop waits for them

    def spawn(self, coroutine: Any, work: str) -> asyncio.Task[Any]:
        """Runs `coroutine` beside the service, given the stop's grace; `work`: what it does, for /healthz."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coroutine)
        self.running.add(task)
        task.add_done_callback(functools.partial(self._finished, work))
        return task

    def _finished(self, work: str, task: asyncio.Task[Any]) -> None:
        self.running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            log.error("background work failed: %s", error, exc_info=error)
            health.work_failed("background", work, f"background work failed: {type(error).__name__}: {error}")

    async def finish(self, seconds: float) -> None:
        """Waits up to `seconds` for what runs; what is still running then is cancelled, and waited for."""
        _done, pending = await asyncio.wait(self.running, timeout=seconds)
        for task in pending:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*pending, return_exceptions=True)


def report_jobs(scheduler: AsyncIOScheduler) -> None:
    """A scheduled job that fails is said on /healthz (APScheduler logs its exception itself), until a run of the same
    work goes well."""
    scheduler.add_listener(_job_failed, events.EVENT_JOB_ERROR)
    done = events.EVENT_JOB_EXECUTED  # a job that went well ends a failure of the same work
    scheduler.add_listener(lambda event: health.work_succeeded("background", job_work(event.job_id)), done)


def _job_failed(event: events.JobExecutionEvent) -> None:
    line = f"scheduled job {event.job_id} failed: {type(event.exception).__name__}: {event.exception}"
    health.work_failed("background", job_work(event.job_id), line)
