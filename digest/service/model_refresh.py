"""The relevance model built again soon after the maintainers decide, so the next poll and Discord's /add find it ready.

A decision changes what the model learns from. Left alone, the next poll, or the next /add (which scores the paper it
adds and may file it where the model suggests), would build it (seconds, in a child process) before going on. Here, once
the decisions made in this service (Discord, the review page, feed links) have been quiet for ten seconds, the model
and its thresholds are built and stored under the poll lock, and the heap is settled; decisions made during a build
are learnt from by one build after it. Decisions made by another process (`digest approve` in a shell) are picked up
by the next poll as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from sqlalchemy.exc import SQLAlchemyError

from digest import health, heap
from digest.arxiv.poll_pass import ensure_thresholds  # imports NumPy and SciPy on the first build, not at start
from digest.config import Settings
from digest.relevance.rules import RulesError
from digest.relevance.training_place import BuildEndedError, ending
from digest.review.waking import DecisionWakenLoop
from digest.storage.db import Database
from digest.storage.failures import failure_line

log = logging.getLogger("digest.relevance")

MODEL_BUILD = "model build"
# A maintainer going through a batch on Discord reacts every few seconds: one build after the batch, not one per
# reaction (each a few seconds of CPU in a child process). A maintainer who decides, then types `/add ID`, usually
# takes longer than this and the build: /add finds the model ready.
QUIET_SECONDS = 10.0


class ModelRefresher(DecisionWakenLoop):
    """A decision starts (or prolongs) the quiet wait. On stop, a build in progress finishes in its thread (the model
    is stored in one transaction)."""

    def __init__(self, database: Database, settings: Settings, poll_lock: asyncio.Lock) -> None:
        super().__init__()
        self.database = database
        self.settings = settings
        self.poll_lock = poll_lock
        self.quiet = QUIET_SECONDS  # read at start: tests shorten it
        self.builds = 0  # models built here (the tests count them)

    async def start(self) -> None:
        self._start_loop("model-refresh")

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._stopping.is_set() or not await self._quiet_for_a_while():
                return
            await self._build()

    async def _quiet_for_a_while(self) -> bool:
        """Waits until no decision came for `quiet` seconds; False when the service is stopping."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.quiet)
            if self._stopping.is_set():
                return False
            if not self._wake.is_set():
                return True
            self._wake.clear()  # another decision: wait again from now

    async def _build(self) -> None:
        started = time.monotonic()
        async with self.poll_lock:  # never beside a poll, which would build the same model
            try:
                await asyncio.to_thread(ensure_thresholds, self.database, self.settings)
            except (SQLAlchemyError, RulesError, BuildEndedError) as exc:
                if isinstance(exc, BuildEndedError) and exc.stopped and ending():  # an ordinary stop: no failure
                    log.info(
                        "relevance: building the model after the decisions was ended by the stop (the next poll will)"
                    )
                    return
                said = failure_line(exc, self.settings.database_url) if isinstance(exc, SQLAlchemyError) else exc
                log.warning("relevance: cannot build the model after the decisions (the next poll will): %s", said)
                return
            except Exception as exc:  # the refresher must outlive a bug: the next decision tries again
                log.exception("relevance: building the model after the decisions failed")
                health.work_failed(
                    "background", MODEL_BUILD, f"model build after decisions failed: {type(exc).__name__}: {exc}"
                )
                return
        health.work_succeeded("background", MODEL_BUILD)
        heap.settle()
        self.builds += 1
        log.info("relevance: model built after the latest decisions in %.1f s", time.monotonic() - started)
