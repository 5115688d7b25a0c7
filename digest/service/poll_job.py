"""The poll job's one pass in the running service: the list papers' missing abstracts, then the poll over the
configured sources, its outcome said in the log and on /healthz."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from digest import health, heap
from digest.arxiv import api as arxiv_api
from digest.arxiv import poll_pass, poll_runs, poll_sources
from digest.arxiv.announcements import feed_replaced_at, late_poll_at
from digest.arxiv.fetcher import STOP_WAITING
from digest.arxiv.poll_lock import PollBusyError, PollRunningError, polling_alone
from digest.arxiv.poll_pass import health_line
from digest.arxiv.poll_report import PollSummary
from digest.arxiv.turn_file import left_alone_until
from digest.clock import utc_now
from digest.config import Settings
from digest.service.schedule import schedule_late_poll, schedule_poll_after_busy
from digest.storage.db import Database
from digest.storage.failures import failure_line
from digest.vocab import OUTCOME_LINE, PollOutcome

log = logging.getLogger("digest.service")


async def run_poll_pass(
    settings: Settings, database: Database, reason: str, stopping: asyncio.Event, scheduler: Any = None
) -> PollSummary | None:
    """One poll, run by the caller holding the service's poll lock; its summary, or None when it failed before it
    could run (a sources file edited into a broken one, a database that cannot be written). Either way it is said
    in the log and on /healthz. The fetchers stop waiting when `stopping` is set."""
    log.info("poll: starting (%s)", reason)
    try:  # checked at start-up, but the file may have been edited since
        sources = poll_sources.configured_sources(settings)
    except poll_sources.SourcesError as exc:
        log.error("poll: not polling: %s", exc)
        health.report("poll", False, f"not polling: {exc}")
        return None
    token = STOP_WAITING.set(stopping)  # the fetchers stop waiting when the service stops
    try:
        # Papers a maintainer added to the Markdown by hand teach the relevance model once their abstracts
        # are known; this asks arXiv only when some are missing.
        left_alone: dict[str, str] = {}  # a host the abstract fetch found dead is not asked again by the poll
        with polling_alone(settings.data_dir, "the service's poll", utc_now()) as held:  # not beside a `digest poll`
            await arxiv_api.refresh_examples(settings, database, left_alone=left_alone)
            summary = await poll_pass.run_poll(settings, database, sources=sources, left_alone=left_alone, held=held)
    except PollBusyError as exc:  # that poll's outcome stands (/healthz's last_poll); the retry polls again if it fails
        log.warning("poll: not polling: %s", exc)
        health.report("poll", True, f"skipped ({reason}): {exc}")
        return None
    except PollRunningError as exc:  # the lock cannot be opened: nothing polls until the folder is mended
        log.warning("poll: not polling: %s", exc)
        health.report("poll", False, f"not polling: {exc}")
        return None
    except SQLAlchemyError as exc:  # the poll's own records could not be written (a full disk): one line
        line = f"cannot write to the database ({failure_line(exc, settings.database_url)})"
        log.error("poll: %s; the next scheduled poll tries again (what this pass stored before stays)", line)
        health.report("poll", False, f"the last poll failed: {line}")
        return None
    finally:
        STOP_WAITING.reset(token)
    # At the level of the lines of the feeds that failed: a log shown from WARNING up still says the poll failed.
    failed = summary.outcome in (PollOutcome.FAILED, PollOutcome.PARTIAL)
    log.log(logging.WARNING if failed else logging.INFO, "poll: %s", summary, extra={OUTCOME_LINE: True})
    if not stopping.is_set():  # a full collection (seconds on a busy machine) would only delay the stop
        heap.settle()  # the model and the vocabulary the pass loaded stay: out of the next pass's collections
    health.report("poll", summary.outcome == PollOutcome.OK, health_line(summary))
    if scheduler is not None and summary.outcome != PollOutcome.OK:
        await retry_when_left_alone(settings, scheduler, summary, now=utc_now())
    if scheduler is not None:
        poll_again_when_late(settings, scheduler, summary, now=utc_now())
    return summary


def polled_fine_today(settings: Settings, database: Database, now: datetime) -> bool:
    """Whether today's latest poll of the configured sources went well (the retry job's question); a poll of other
    sources (`digest poll --source FILE`) is no answer to it."""
    return poll_runs.polled_fine_today(database, now, poll_sources.sources_spoken_for(settings))


def reason_to_poll_on_start(settings: Settings, database: Database, now: datetime) -> str | None:
    """Why the starting service polls at once (see poll_runs: from the run rows, not the poll lock); a poll of other
    sources is not one of its own."""
    return poll_runs.reason_to_poll_on_start(database, now, poll_sources.sources_spoken_for(settings))


def poll_again_when_late(settings: Settings, scheduler: Any, summary: PollSummary, *, now: datetime) -> None:
    """The day's announcement had not come by the day's last planned poll (arXiv hours late; an empty feed taken for
    a holiday may yet fill): the day's feed is polled once more before it gives way, so its papers are read that day
    (`now` is when the poll ended)."""
    at = late_poll_at(now)
    if at is None or not any(report.awaiting for report in summary.sources):
        return
    # A quiet poll (an empty feed past 04:00, taken for a holiday) went fine: a retry after it would not poll.
    if schedule_late_poll(scheduler, at, feed_replaced_at(now), retried=summary.outcome != PollOutcome.OK):
        log.info("poll: today's arXiv announcement has not come yet (arXiv is late); the poll is tried once more at "
                 "%s UTC", f"{at.astimezone(UTC):%Y-%m-%d %H:%M}")  # fmt: skip


async def retry_when_left_alone(settings: Settings, scheduler: Any, summary: PollSummary, *, now: datetime) -> None:
    """A source failed because its host asked to be left alone (a Retry-After) past the next retry: the day would be
    lost (the next day's feed no longer holds it), so the poll is tried again once that time has come (`now` is when
    the poll ended)."""
    hosts = {urlsplit(report.source).hostname for report in summary.sources if report.failed}
    busy = await left_alone_until(settings.arxiv_turn_file, now)
    until = max((when for host, when in busy.items() if host in hosts), default=None)
    if until is None:
        return
    replaced = feed_replaced_at(now)
    if until >= replaced:
        log.warning("poll: arXiv asked to be left alone until %s UTC, after today's feed gives way to the next: "
                    "the next poll names the day missed, with the backfill that reads it",
                    f"{until:%Y-%m-%d %H:%M}")  # fmt: skip
        return
    at = schedule_poll_after_busy(scheduler, until, replaced)
    if at is not None:
        log.info("poll: arXiv asked to be left alone until %s UTC; the poll is tried again at %s UTC",
                 f"{until:%Y-%m-%d %H:%M}", f"{at.astimezone(UTC):%Y-%m-%d %H:%M}")  # fmt: skip
