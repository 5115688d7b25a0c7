"""The running service: one asyncio loop holding the scheduler, the web server and (when configured) the Discord bot.
Jobs live in the database (APScheduler's SQLAlchemy job store), so a restart neither loses nor doubles a run and a run
missed while the machine was off happens once on start. SIGTERM or Ctrl-C stop everything within a few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from digest import heap, jobs
from digest.arxiv import poll_runs
from digest.arxiv.turns import WIND_DOWN_SECONDS, Stopping  # the stop's one grace; sleeping retries end at once
from digest.awesome.seed import bundled_rules_kept, seed_list_left_out
from digest.clock import utc_now, zoned
from digest.config import Settings, read_feed_sources, secretstore
from digest.relevance.training_place import end_builds
from digest.review.reviewer import Reviewer
from digest.service import features, poll_job
from digest.service.background import Background, report_jobs
from digest.service.catch_up import POLL_ON_START, CatchUp
from digest.service.data_folder import check_data_folder
from digest.service.lock_watch import keep_database_lock
from digest.service.model_refresh import ModelRefresher
from digest.service.outward import OutwardParts
from digest.service.schedule import keep_jobs, make_scheduler, poll_due_now
from digest.service.weekly_job import retry_unsent_weekly, run_weekly
from digest.service.wiring import list_file_in_step, open_service_database
from digest.storage.datalock import DataLock, lock_data_folder, lock_database
from digest.storage.db import Database
from digest.storage.files import remove_leftover_temporaries
from digest.vocab import PollOutcome

log = logging.getLogger("digest.service")

LOCK_CHECK_SECONDS = 30.0  # PostgreSQL: how often the service checks it still holds the database's lock


class Service:
    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self.database: Database | None = None
        self.reviewer: Reviewer | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self._outward = OutwardParts()  # the Discord bot and the publisher
        self._web: features.WebServer | None = None
        self._poll_lock = asyncio.Lock()
        self._background = Background()
        self._stopping = Stopping()
        self.lock_check_seconds = LOCK_CHECK_SECONDS
        self._data_lock: DataLock | None = None
        self.model_refresher: ModelRefresher | None = None
        # Set once start-up has decided what to run at once (a run missed while the service was down, the poll of a
        # folder that never polled) and all of it has finished, the bot's posting included.
        self._catch_up = CatchUp()
        self.settled = self._catch_up.settled

    @property
    def bot(self) -> Any:
        return self._outward.bot

    @property
    def publisher(self) -> Any:
        return self._outward.publisher

    # -- start and stop -------------------------------------------------------------------------------------------
    async def start(self, *, schedule: bool = True, serve_web: bool = True) -> None:
        started = time.monotonic()
        if not self.settings.arxiv.sources:  # a malformed sources.toml stops start-up here, one line a problem
            read_feed_sources(self.settings.feeds_dir)

        if schedule:  # the scheduled service runs once per data folder; the one-shot commands run beside it
            check_data_folder(self.settings)  # a file, or none it can create: said as every command says it, exit 2
            self._data_lock = lock_data_folder(self.settings.data_dir)
        self._web = features.WebServer(self.settings) if serve_web else None  # a taken port stops it before any write
        self.database = await asyncio.to_thread(open_service_database, self.settings)
        await asyncio.to_thread(remove_leftover_temporaries, self.settings.data_dir, self.settings.weekly_dir)
        if self._data_lock is not None:
            await asyncio.to_thread(lock_database, self._data_lock, self.database)
            if self._data_lock.shares_database:
                self.spawn(self._keep_database_lock(), "database lock")
        await asyncio.to_thread(list_file_in_step, self.database, self.settings)
        secrets = secretstore.ensure_secrets(self.settings)
        self.settings = self.settings.model_copy(update={"secrets": secrets})
        self.reviewer = Reviewer(self.database, self.settings, self.clock)
        self.model_refresher = ModelRefresher(self.database, self.settings, self._poll_lock)
        self.reviewer.add_listener(self.model_refresher.on_decision)
        await self.model_refresher.start()
        jobs.attach(self)
        if self._web is not None:
            await self._web.serve(self.settings, self.database, self.reviewer, started)
        await self._start_bot()
        await asyncio.to_thread(features.report_section_reactions, self.settings, self.database)
        features.report_email(self.settings)
        if self.settings.arxiv.contact_warning:
            log.warning("arxiv: %s", self.settings.arxiv.contact_warning)
        if left_out := seed_list_left_out(self.settings):
            log.warning("list: %s", left_out)
        if bundled_rules := bundled_rules_kept(self.settings):
            log.warning("relevance: %s", bundled_rules)
        if schedule:
            await self._start_publisher()
            await self._start_scheduler()
        else:
            self.settled.set()
        heap.settle()  # what start-up made lives as long as the service: out of the collector's walks

    async def _start_bot(self) -> None:
        assert self.database is not None and self.reviewer is not None
        await self._outward.start_bot(self.settings, self.database, self.reviewer)

    async def _start_publisher(self) -> None:
        assert self.database is not None and self.reviewer is not None
        await self._outward.start_publisher(self.settings, self.database, self.reviewer, self.clock)

    async def _start_scheduler(self) -> None:
        assert self.database is not None
        scheduler = make_scheduler(self.settings)
        self.scheduler = scheduler
        # Paused first so the stored jobs load with their stored next-run times: a run missed while the
        # service was down then fires once (coalesced) instead of being silently moved to the next slot.
        report_jobs(scheduler)
        scheduler.start(paused=True)
        keep_jobs(scheduler, self.settings)
        now = datetime.now(UTC)  # the scheduler's time, not self.clock: what it will find due when it resumes
        self._catch_up.watch(scheduler, now)
        await asyncio.to_thread(retry_unsent_weekly, self.settings, self.database, scheduler)
        # Decided before the scheduler runs anything: a poll it started would be "running" in the records meanwhile.
        reason = await asyncio.to_thread(poll_job.reason_to_poll_on_start, self.settings, self.database, self.clock())
        scheduled = poll_due_now(scheduler)
        scheduler.resume()
        for job in scheduler.get_jobs():
            when = zoned(job.next_run_time) if job.next_run_time is not None else None
            log.info("schedule: %s next runs at %s", job.id, when)
        if reason is not None and scheduled is None:
            log.info("poll: %s; polling once now", reason)
            self.spawn(self._poll_on_start(reason), "poll")
            return
        if reason is not None:  # one poll, not two in a row
            log.info("poll: %s; the scheduled poll due now is that poll (%s)", reason, scheduled)
        self._catch_up.settle(POLL_ON_START)

    async def _poll_on_start(self, reason: str) -> None:
        try:
            await self.poll_now(reason)
        finally:
            self._catch_up.settle(POLL_ON_START)

    async def _keep_database_lock(self) -> None:
        """PostgreSQL: the lock that keeps a second service off the database, watched (see lock_watch)."""
        await keep_database_lock(
            self._stopping,
            lambda: self.lock_check_seconds,
            self._held_lock,
            self._pause_for_lost_lock,
            self._resume_with_lock,
        )

    def _held_lock(self) -> tuple[DataLock, Database] | None:
        """The lock the service holds and its database, or None once it let go (stopping)."""
        if self._data_lock is None or self.database is None:
            return None
        return self._data_lock, self.database

    async def _pause_for_lost_lock(self) -> None:
        """The database's lock was lost: the schedule pauses and the bot and publisher stop."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()
        await self._outward.pause(self.reviewer)  # the bot posts what waits, the publisher pushes

    async def _resume_with_lock(self) -> None:
        """The database's lock is held again: the schedule resumes and the bot and publisher start again."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.resume()
        await self._start_bot()
        await self._start_publisher()

    def spawn(self, coroutine: Any, work: str) -> asyncio.Task[Any]:
        """Runs `coroutine` beside the service, given the stop's grace; `work`: what it does, for /healthz."""
        return self._background.spawn(coroutine, work)

    async def stop(self) -> None:
        # Sleeping retries and spacing waits end now and no further source is asked; a fetch in flight gets what is
        # left of one grace period (shared by the scheduled poll and the first-start one), and its poll the wind-down
        # after it to record itself interrupted: a poll the scheduler's shutdown cancelled was logged as an ERROR.
        self._stopping.set()
        end_builds()  # a model build's child process ends now: the next poll builds the model again
        assert self._stopping.grace_ends is not None
        deadline = self._stopping.grace_ends + WIND_DOWN_SECONDS
        # The web stops listening now; its requests in flight get the grace beside the poll's, not after (docker: 10 s).
        web_closed = asyncio.ensure_future(self._web.close() if self._web is not None else asyncio.sleep(0))
        if self.scheduler is not None and self.scheduler.running:
            # No new runs; a scheduled poll running gets the grace too (shutting the scheduler down cancels its jobs).
            self.scheduler.pause()
            if self._poll_lock.locked():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout_at(deadline):
                        async with self._poll_lock:
                            pass
            self.scheduler.shutdown(wait=False)
        # Let a poll (each source is one transaction) or a weekly send (its batch of mail in flight) finish; past the
        # grace period a poll is cancelled, which rolls back only the source being written.
        if self._background.running:
            await self._background.finish(max(0.0, deadline - asyncio.get_running_loop().time()))
        await web_closed  # before the parts a request's decision reaches stop
        if self.model_refresher is not None:
            await self.model_refresher.stop()
        await self._outward.stop()
        jobs.attach(None)
        if self.database is not None:
            self.database.dispose()
        if self._data_lock is not None:
            self._data_lock.release()
            self._data_lock = None
        if self.database is not None:  # a start refused before the database opened has nothing to report
            log.info("stopped")

    # -- what the jobs do -----------------------------------------------------------------------------------------
    async def poll_now(self, reason: str) -> None:
        await self.poll(reason)

    async def poll(self, reason: str, *, unless_fine_today: bool = False) -> str:
        """One poll; returns its outcome (ok | partial | failed | interrupted) and reports it to /healthz."""
        assert self.database is not None
        async with self._poll_lock:
            if self._stopping.is_set():
                return poll_runs.INTERRUPTED
            fine = poll_job.polled_fine_today  # the retry's none is decided after a poll still running when it came
            if unless_fine_today and await asyncio.to_thread(fine, self.settings, self.database, self.clock()):
                log.info("poll-retry: today's poll was fine; nothing to retry")
                return PollOutcome.OK
            summary = await poll_job.run_poll_pass(self.settings, self.database, reason, self._stopping, self.scheduler)
            if summary is None:
                return PollOutcome.FAILED
            # A stopped poll posts nothing: a slow Discord would outlast the stop's wind-down (the scheduler's shutdown
            # then cancelled the poll, an ERROR); what it found waits for the bot's next start.
            if self.bot is not None and not self._stopping.is_set():
                await self.bot.post_pending()
            return summary.outcome

    async def retry_poll_if_broken(self) -> None:
        await self.poll("retry after a broken answer", unless_fine_today=True)

    async def weekly_now(self) -> None:
        assert self.database is not None
        await run_weekly(
            self.settings, self.database, self.clock(), self.scheduler, self._stopping, self._background.running
        )
