"""The weekly digest's job in the running service: the week's run, and the retry scheduled for an edition a stopped
process left unsent."""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from digest.config import Settings
from digest.service.schedule import WEEKLY_RETRY_ID, schedule_weekly_retry
from digest.storage.db import Database

if TYPE_CHECKING:
    from digest.weekly.mailer import Stop

log = logging.getLogger("digest.service")


def retry_unsent_weekly(settings: Settings, database: Database, scheduler: AsyncIOScheduler) -> None:
    """A process that stopped mid-send (killed) left an edition claimed or never attempted, and nothing would send
    it before the next weekly slot: a retry is scheduled for when its claim goes stale. A data folder upgraded from a
    release before weekly-sent.log gets its log now, before any backup of it can be restored."""
    # The weekly mail is imported when due: a service that never sends keeps its libraries out of its memory.
    from digest.weekly import store as weekly_store

    weekly_store.keep_mail_log(settings, database)

    if scheduler.get_job(WEEKLY_RETRY_ID) is not None:
        return
    retry_at = weekly_store.unsent_retry_at(database, datetime.now(UTC))
    if retry_at is not None:
        schedule_weekly_retry(scheduler, retry_at)
        log.info("weekly: an edition was left unsent; next attempt at %s", f"{retry_at:%Y-%m-%d %H:%M} UTC")


async def run_weekly(
    settings: Settings,
    database: Database,
    now: datetime,
    scheduler: AsyncIOScheduler | None,
    stop: Stop | None = None,
    running: set[asyncio.Future[Any]] | None = None,
) -> None:
    """The week's digest, each edition sent once (in a worker thread); a failed send is tried again at its back-off,
    scheduled when the service's scheduler runs. A stop cannot cancel the thread (an SMTP call runs on): `stop` set
    ends it after the batch of mail in flight, and the stop waits for it in `running`, so who got the edition is
    recorded before the database closes, the rest is owed, and no mail goes out after the service said "stopped"."""
    from digest.weekly import store as weekly_store  # imported when due, as above

    job = functools.partial(weekly_store.run_weekly_job, settings, database, now, stop=stop)
    future = asyncio.get_running_loop().run_in_executor(None, job)
    if running is not None:
        running.add(future)
        future.add_done_callback(running.discard)
    future.add_done_callback(functools.partial(_outlasted_stop, settings))
    try:
        result = await asyncio.shield(future)
    except asyncio.CancelledError:
        if stop is None or not stop.is_set():
            raise
        # The stop shuts the scheduler down, which cancels its running jobs: the thread is the stop's to wait for (in
        # `running`), and each edition's line says what came of it; not an ERROR with a traceback from the scheduler.
        return
    retry_at = result.retry_at if scheduler is not None and scheduler.running else None
    if scheduler is not None and retry_at is not None:
        schedule_weekly_retry(scheduler, retry_at)
    log.info("weekly: %s", result.line(retry_at))  # one line a job: what came of it, and when it is tried again


def _outlasted_stop(settings: Settings, future: asyncio.Future[Any]) -> None:
    """The stop's grace ran out with the send in an SMTP call (the stop cancels what is still running then; nothing
    else can, `future` being shielded): the thread runs on, as no call can be cancelled, and the process waits for it
    at exit. Said, or the service logs "stopped" and then hangs unexplained."""
    if future.cancelled():
        log.warning(
            "weekly: the send did not end within the stop's grace: an SMTP call still waits on the server (up to"
            " [smtp] timeout_seconds, %g s, for each reply); the process exits once it ends, sending no further batch"
            " and recording who got the edition",
            settings.smtp.timeout_seconds,
        )
