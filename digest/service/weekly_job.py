"""The weekly digest's job in the running service: the week's run, and the retry scheduled for an edition a stopped
process left unsent."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from digest.config import Settings
from digest.service.schedule import WEEKLY_RETRY_ID, schedule_weekly_retry
from digest.storage.db import Database

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


async def run_weekly(settings: Settings, database: Database, now: datetime, scheduler: AsyncIOScheduler | None) -> None:
    """The week's digest, each edition sent once (in a worker thread); a failed send is tried again at its back-off,
    scheduled when the service's scheduler runs."""
    from digest.weekly import store as weekly_store  # imported when due, as above

    result = await asyncio.to_thread(weekly_store.run_weekly_job, settings, database, now)
    log.info("weekly: %s", result)
    if result.retry_at is not None and scheduler is not None and scheduler.running:
        schedule_weekly_retry(scheduler, result.retry_at)
        log.info("weekly: next attempt at %s", f"{result.retry_at:%Y-%m-%d %H:%M} UTC")
