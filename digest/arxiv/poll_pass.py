"""One pass over the arXiv sources: fetch each in turn and hand each answer to the poller, one line per failure.

A source that cannot be fetched (a refusal, a garbled answer, a name that does not resolve) is recorded in its state
and the pass goes on with the next; a stopping service ends the pass at once, recorded as interrupted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from digest.arxiv import poll_runs
from digest.arxiv.candidates import forget_old_second_tier
from digest.arxiv.fetch_types import SLOW, UNREACHED, FetchError, FetchStoppedError, endpoint
from digest.arxiv.fetcher import STOP_WAITING, Fetcher
from digest.arxiv.outcomes import ERROR
from digest.arxiv.poll_lock import PollLockHeld
from digest.arxiv.poll_report import PollSummary, SourceReport, overall_outcome
from digest.arxiv.poll_sources import SourcesError, configured_sources
from digest.arxiv.poller import process_answer, read_state, record_failure
from digest.clock import SYSTEM_CLOCK, Clock
from digest.config import Settings
from digest.relevance.rules import RulesError
from digest.relevance.training_place import BuildEndedError
from digest.sizes import counted
from digest.storage.db import Database

if TYPE_CHECKING:
    from digest.relevance.scoring import RelevanceModel

log = logging.getLogger("digest.poller")
_STOP_CHECK_SECONDS = 0.1  # how often a wait for the model looks whether the service is stopping


def ensure_thresholds(database: Database, settings: Settings) -> RelevanceModel:
    """The model with its thresholds (relevance.stream), imported when a pass first needs it: NumPy and SciPy load in
    the pass's worker thread, not with the service's pages, which import this module."""
    from digest.relevance.stream import ensure_thresholds as ready_model

    return ready_model(database, settings)


class _ModelLoading:
    """The model with its thresholds fitted for the stream so far (and stored, for `digest score`), loaded in a
    worker thread while the first feed downloads and parses. After a decision it is built again (a fraction of a
    second in place, more in the service's child process): that time is spent beside the fetch, not after it.
    Whoever needs the model first waits for it; a failure (rules that cannot be used) is raised to each of them."""

    def __init__(self) -> None:
        self._future: Future[RelevanceModel] = Future()

    def load(self, database: Database, settings: Settings) -> None:
        """Says in the log when a model not in memory yet (a new process's, one built after a decision) is ready."""
        from digest.relevance.store import came_by_since_asked

        started = time.monotonic()
        came_by_since_asked()  # what this thread did before is not this model's story
        try:
            self._future.set_result(ensure_thresholds(database, settings))
        except BaseException as exc:  # handed to whoever waits; the thread itself ends quietly
            self._future.set_exception(exc)
            return
        how = came_by_since_asked()
        if how is not None:
            log.info("relevance model ready (%s in %.1f s)", how, time.monotonic() - started)

    def ready(self) -> RelevanceModel:
        """The model, waiting for it; a service that stops meanwhile ends the wait (FetchStoppedError), since a build
        can take seconds and a stop must not."""
        while True:
            try:
                return self._future.result(timeout=_STOP_CHECK_SECONDS)
            except TimeoutError:
                if fetcher_stopping():
                    raise FetchStoppedError(
                        "the service is stopping while the relevance model is built; nothing stored"
                    ) from None

    def raise_if_failed(self) -> None:
        """Raises what the loading raised, once it has failed; else nothing (it does not wait)."""
        if self._future.done() and self._future.exception() is not None:
            self._future.result()


def _refit_after_poll(database: Database, settings: Settings, now: datetime) -> tuple[int, str] | None:
    """Re-fits the thresholds on the stream with this poll's papers, so `digest score` decides as the next poll;
    forgets the second tier of weeks long past. A database failure ends it and is returned (its level and line), not
    said: the caller says it once the run's end is written, since when that fails too the database is out of reach
    and the shell says so in one line for the whole pass (as a source's store does: poller.record_failure)."""
    try:
        ensure_thresholds(database, settings)
    except (RulesError, BuildEndedError) as exc:
        log.error("poll: cannot re-fit the review thresholds: %s", exc)
    except SQLAlchemyError as exc:
        return logging.ERROR, f"cannot re-fit the review thresholds: {getattr(exc, 'orig', None) or exc}"
    try:
        with database.transaction() as session:
            forgotten = forget_old_second_tier(session, now)
    except SQLAlchemyError as exc:
        return logging.WARNING, f"cannot forget old second-tier candidates: {getattr(exc, 'orig', None) or exc}"
    if forgotten:
        log.info("poll: forgot %s first seen over 8 weeks ago", counted(forgotten, "second-tier candidate"))
    return None


async def _begin_run(settings: Settings, database: Database, started: datetime, held: PollLockHeld | None) -> int:
    """The run's row; with the poll lock `held`, the runs of its data folder left "running" (a poll killed, or one
    that lost its database) are settled as interrupted, and each is said."""
    folder = str(settings.data_dir.resolve())
    alone = held is not None and held.folder == folder
    begun = await asyncio.to_thread(poll_runs.begin_run, database, started, folder, alone=alone)
    for interrupted in begun.interrupted:
        log.warning("poll: %s", interrupted.line())
    return begun.run_id


async def run_poll(
    settings: Settings,
    database: Database,
    *,
    sources: Sequence[str] | None = None,
    clock: Clock = SYSTEM_CLOCK,
    left_alone: Mapping[str, str] | None = None,
    held: PollLockHeld | None = None,
) -> PollSummary:
    """One pass over the given or configured sources; never raises for a bad source, only logs and reports it.
    `left_alone` (host -> why) names the hosts found dead or busy just before it (by the list papers' abstract
    fetch): their sources are not asked in this pass. `held`: the caller holds the data folder's poll lock (see
    _begin_run).

    When the service stops meanwhile (fetcher.STOP_WAITING is set) a retry or spacing wait ends at once, no further
    source is asked and the run is recorded as interrupted, so the next start polls again; a fetch already in
    flight finishes (the service gives it a short grace)."""
    # A feed listed twice (pasted again into the sources) is asked once: a second request would be arXiv's load alone.
    chosen = list(dict.fromkeys(sources or configured_sources(settings)))
    started = clock.now()
    run_id = await _begin_run(settings, database, started, held)
    summary = PollSummary(run_id=run_id, started_at=started, timeout_seconds=settings.arxiv.timeout_seconds)
    unsaid: tuple[int, str] | None = None  # a failure of the re-fit, said once the run's end is written
    model = _ModelLoading()
    loading = asyncio.ensure_future(asyncio.to_thread(model.load, database, settings))
    try:
        async with Fetcher(settings.arxiv, clock=clock, turn_file=settings.arxiv_turn_file) as fetcher:
            stopped = await _poll_sources(settings, database, model, fetcher, chosen, summary, dict(left_alone or {}))
        if stopped:  # the service is stopping: it waits for no model build (the next poll re-fits)
            summary.outcome = poll_runs.INTERRUPTED
            model.raise_if_failed()  # but a build that already failed (broken rules) is said, not dropped unread
        else:
            await loading
            note = model.ready().note  # raises what the loading raised, when no answer needed the model
            if note:
                log.warning("poll: %s", note)
            summary.outcome = overall_outcome(summary.sources)
            unsaid = await asyncio.to_thread(_refit_after_poll, database, settings, clock.now())
    except RulesError as exc:
        summary.reason = f"the relevance rules cannot be used: {exc}"
        log.error("poll: %s", summary.reason)
        summary.outcome = "failed"
    except BuildEndedError as exc:  # told to stop with the service, or killed: no build in place holds the pass up
        summary.reason = str(exc)
        summary.outcome = poll_runs.INTERRUPTED if exc.stopped or fetcher_stopping() else "failed"
    finally:
        if not loading.done():  # the pass was cancelled: the thread finishes alone, nobody waits for it
            loading.cancel()
        summary.finished_at = clock.now()
        if summary.outcome == poll_runs.RUNNING:
            summary.outcome = poll_runs.INTERRUPTED if fetcher_stopping() else "failed"
        try:
            record = (summary.run_id, summary.finished_at, summary.outcome, summary.to_dict())
            await asyncio.to_thread(poll_runs.finish_run, database, *record, _kept_sources(settings, chosen))
        finally:  # finish_run says so too: this covers a pass cancelled before its thread ran
            poll_runs.poll_ended(database, run_id)
    if unsaid is not None:  # the database took the run's end: the failure was the step's own
        log.log(unsaid[0], "poll: %s", unsaid[1])
    return summary


def _kept_sources(settings: Settings, chosen: Sequence[str]) -> list[str] | None:
    """The sources whose state a pass keeps whatever its age: the configured ones and this pass's; None when the
    configured ones cannot be read (a `--source` poll beside a broken sources file), so no state is forgotten."""
    try:
        return [*configured_sources(settings), *chosen]
    except SourcesError:
        return None


def fetcher_stopping() -> bool:
    stop = STOP_WAITING.get()
    return stop is not None and stop.is_set()


async def _poll_sources(
    settings: Settings,
    database: Database,
    model: _ModelLoading,
    fetcher: Fetcher,
    chosen: Sequence[str],
    summary: PollSummary,
    left_alone: dict[str, str],
) -> bool:
    """Each source in turn, its report added to `summary`; True when the service stopped the pass."""
    clock = fetcher.clock
    # host -> why (`left_alone`, filled as the pass goes): a failed name lookup, or a host that kept answering
    # 429/5xx (it asked to be left alone), answers for every later source on that host in this pass; the retry job
    # asks again later.
    for source in chosen:
        model.raise_if_failed()  # no further source is asked for what could not be judged
        etag, last_modified, last_feed_date = await asyncio.to_thread(read_state, database, source)
        # A host found unresolved or busy, or this port of it found unreachable (fetch_types.endpoint).
        keys = (urlsplit(source).hostname, endpoint(source))
        why = next((left_alone[key] for key in keys if key in left_alone), None)
        try:
            if why is not None:
                raise FetchError(f"{source}: not tried, {why}")
            result = await fetcher.fetch(source, etag=etag, last_modified=last_modified)
        except FetchStoppedError as exc:
            log.info("poll %s", exc)
            return True
        except FetchError as exc:
            skipped = exc.host_left_alone()
            if skipped is not None:
                left_alone[skipped[0]] = skipped[1]
            unreached, slow = _not_reached(exc, why, keys)
            report = SourceReport(source, ERROR, str(exc), unreached=unreached, slow=slow)
            await asyncio.to_thread(record_failure, database, report, clock.now())
        else:
            try:
                report = await asyncio.to_thread(
                    process_answer,
                    database,
                    model.ready,
                    settings,
                    result,
                    last_feed_date=last_feed_date,
                    now=clock.now(),
                )
            except FetchStoppedError as exc:  # the answer is read again next time: its state was not advanced
                log.info("poll %s: %s", source, exc)
                return True
        summary.sources.append(report)
    return False


def _not_reached(exc: FetchError, why: str | None, keys: tuple[str | None, str]) -> tuple[str, str]:
    """For a source that failed for it (tried, or skipped for it): the host (or host:port) no connection reached, or
    the one that took the connection and did not answer in time; (unreached, slow), one of them at most."""
    if why is not None:
        host = next((key for key in keys if key and why.startswith(f"{key} ")), "")
        return (host if why.endswith(UNREACHED) else "", host if why.endswith(SLOW) else "")
    if exc.unreachable_host is None or exc.unusable is not None:
        return "", ""
    return ("", exc.unreachable_host) if exc.slow else (exc.unreachable_host, "")


def health_line(summary: PollSummary) -> str:
    """The poll's state in one line for /healthz: its outcome and, when something failed, the first failure."""
    line = f"last poll at {summary.started_at:%Y-%m-%d %H:%M} UTC: {summary}"
    failures = [report.line() for report in summary.sources if report.failed]
    if failures:
        line += f"; {failures[0]}" + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else "")
    return line
