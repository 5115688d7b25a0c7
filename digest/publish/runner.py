"""The running service's side of publishing: a decision wakes it, the batch window gathers the decisions that follow,
then one publish; failures are retried with back-off. What is pending lives in the database, so a restart resumes.
With nothing pending, the repository is pulled every SYNC_SECONDS so that hand edits there come here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from digest import health
from digest.clock import utc_now
from digest.config import Settings
from digest.publish.git import GitError
from digest.publish.pull_publisher import publisher_for
from digest.publish.results import BLOCKED, BUSY, FAILED
from digest.publish.rules import one_line, retry_after
from digest.publish.store import has_pending, last_error
from digest.review.waking import DecisionWakenLoop
from digest.storage.db import Database
from digest.storage.failures import failure_line

log = logging.getLogger("digest.publish")

# Decisions made in another process (`digest approve`) wake no listener here; they are found this often.
CHECK_SECONDS = 30.0
BUSY_SECONDS = 5.0  # how soon the service looks again while `digest publish` holds the clone
HELD_CHECK_SECONDS = 300.0  # while the repository refuses the push: how often to look whether its branch moved
# With nothing pending, how often the list's repository is fetched for hand edits (a contributor's paper merged there):
# without it the list here, and the poll's "already listed", lagged until the next decision.
SYNC_SECONDS = 900.0


class PublishRunner(DecisionWakenLoop):
    """A decision starts (or joins) a batch. On stop, a publish in progress finishes in its thread, its fetch or push
    ended (it is tried again at the next start)."""

    def __init__(self, database: Database, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__()
        self.database = database
        self.settings = settings
        self.publisher = publisher_for(database, settings, clock)
        self.failures = 0
        self.synced_at = time.monotonic()  # the last publish (or pull) tried

    async def start(self) -> None:
        await asyncio.to_thread(self.publisher.remember_base)
        self._start_loop("publish")

    async def stop(self) -> None:
        # A fetch or push under way is ended, not waited out: it may run for hours (a large first fetch, slow link).
        self.publisher.git.stop()
        await super().stop()

    async def _loop(self) -> None:
        window = 0.0  # at start, what is pending is published at once
        while not self._stopping.is_set():
            try:
                pending = await asyncio.to_thread(has_pending, self.database)
            except Exception:  # a database hiccup must not end publishing for good
                log.exception("publish: could not read what is pending")
                pending = False
            due = time.monotonic() - self.synced_at >= SYNC_SECONDS
            if pending or due:
                await self._pause(window if pending else 0.0)
                if self._stopping.is_set():
                    return
                held, self.synced_at = False, time.monotonic()
                try:
                    # With nothing pending it pulls: hand edits come here, nothing is pushed.
                    result = await asyncio.to_thread(self.publisher.publish, wait=False, pull_only=not pending)
                    outcome, held = result.outcome, result.held
                except Exception as exc:  # publishing must outlive a bug or a database error: it is tried again
                    log.exception("publish: publishing failed")
                    said = (
                        failure_line(exc, self.settings.database_url) if isinstance(exc, SQLAlchemyError) else str(exc)
                    )
                    line = self.publisher.git.redact(one_line(said))
                    health.report("publish", False, f"publishing failed: {type(exc).__name__}: {line}")
                    outcome = FAILED
                if outcome == BUSY:
                    log.info("publish: another process is publishing; looking again in %.0f s", BUSY_SECONDS)
                    await self._pause(BUSY_SECONDS)
                    window = 0.0  # the batch window has passed already: not waited again
                    continue
                if held:
                    await self._hold()
                    window = 0.0
                    continue
                if outcome in (FAILED, BLOCKED):
                    self.failures += 1
                    delay = retry_after(self.failures).total_seconds()
                    log.info("publish: next attempt in %.0f s", delay)
                    await self._pause(delay)
                    window = 0.0
                    continue
                self.failures = 0
            window = self.settings.publish.batch_seconds
            await self._wait_for_decision(
                min(CHECK_SECONDS, max(0.0, self.synced_at + SYNC_SECONDS - time.monotonic()))
            )

    async def _hold(self) -> None:
        """The repository refused the push (a protected branch, a hook), or an edit there waits for a maintainer (a
        mass removal): trying again would give the same, so nothing is tried until the branch moves there, a
        `digest publish` goes through, or the service restarts; the failure stays on /healthz and in
        `digest publish --status` meanwhile."""
        held_at = await asyncio.to_thread(self._remote_head)
        log.error(
            "publish: held: not tried again until the branch changes upstream, `digest publish` goes through, or the "
            "service restarts"
        )
        while not self._stopping.is_set():
            await self._pause(HELD_CHECK_SECONDS)
            if self._stopping.is_set():
                return
            if await asyncio.to_thread(self._went_through):
                log.info("publish: a publish went through in another process; going on")
                return
            now = await asyncio.to_thread(self._remote_head)
            if now is not None and now != held_at:
                log.info("publish: the branch changed upstream; trying again")
                return

    def _went_through(self) -> bool:
        try:
            return last_error(self.database) is None
        except SQLAlchemyError as exc:
            log.info(
                "publish: could not read where publishing stands: %s", failure_line(exc, self.settings.database_url)
            )
            return False

    def _remote_head(self) -> str | None:
        try:
            return self.publisher.git.remote_head()
        except GitError as exc:
            log.info("publish: could not look at the branch upstream: %s", exc)
            return None

    async def _pause(self, seconds: float) -> None:
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _wait_for_decision(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()
