"""The poll job's one pass in the running service: the list papers' missing abstracts, then the poll over the
configured sources, its outcome said in the log and on /healthz."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError

from digest import health, heap
from digest.arxiv import api as arxiv_api
from digest.arxiv import poll_pass, poller
from digest.arxiv.fetcher import STOP_WAITING
from digest.arxiv.poll_pass import health_line
from digest.arxiv.poller import PollSummary
from digest.config import Settings
from digest.storage.db import Database
from digest.storage.failures import failure_line
from digest.vocab import PollOutcome

log = logging.getLogger("digest.service")


async def run_poll_pass(
    settings: Settings, database: Database, reason: str, stopping: asyncio.Event
) -> PollSummary | None:
    """One poll, run by the caller holding the service's poll lock; its summary, or None when it failed before it
    could run (a sources file edited into a broken one, a database that cannot be written). Either way it is said
    in the log and on /healthz. The fetchers stop waiting when `stopping` is set."""
    log.info("poll: starting (%s)", reason)
    try:  # checked at start-up, but the file may have been edited since
        sources = poller.configured_sources(settings)
    except poller.SourcesError as exc:
        log.error("poll: not polling: %s", exc)
        health.report("poll", False, f"not polling: {exc}")
        return None
    token = STOP_WAITING.set(stopping)  # the fetchers stop waiting when the service stops
    try:
        # Papers a maintainer added to the Markdown by hand teach the relevance model once their abstracts
        # are known; this asks arXiv only when some are missing.
        await arxiv_api.refresh_examples(settings, database)
        summary = await poll_pass.run_poll(settings, database, sources=sources)
    except SQLAlchemyError as exc:  # the poll's own records could not be written (a full disk): one line
        line = f"cannot write to the database ({failure_line(exc, settings.database_url)})"
        log.error("poll: %s; the next scheduled poll tries again (what this pass stored before stays)", line)
        health.report("poll", False, f"the last poll failed: {line}")
        return None
    finally:
        STOP_WAITING.reset(token)
    log.info("poll: %s", summary)
    if not stopping.is_set():  # a full collection (seconds on a busy machine) would only delay the stop
        heap.settle()  # the model and the vocabulary the pass loaded stay: out of the next pass's collections
    health.report("poll", summary.outcome == PollOutcome.OK, health_line(summary))
    return summary
