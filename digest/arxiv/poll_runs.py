"""The poll runs' own rows: started (with the process that runs it), finished, and those a dead process left running;
and what a finished pass forgets: runs no reader goes back to, and the state of sources no later poll asks.

A run row names its process (run_process), so a service starting up can tell a run another live process is doing
(`digest poll` beside it) from one a killed process left "running" for ever; and a poll holding the poll lock settles
every row of its data folder still "running" as it starts, since no other poll of it can be under way.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from digest import health
from digest.arxiv.announcements import served_feed_day
from digest.arxiv.fetch_types import source_key
from digest.arxiv.run_process import gone, of_this_host, this_process
from digest.storage.db import Database
from digest.storage.owed_kept import forget_owed_past_keeping
from digest.storage.poll_state import FeedState, PollRun
from digest.vocab import PollOutcome

RUNNING, INTERRUPTED = "running", "interrupted"
# A run started on another host cannot be checked; past this age it is surely not running any more.
FOREIGN_RUN_TIMEOUT = timedelta(hours=2)
# The runs kept: the newest RUNS_KEPT whatever their age (latest_run reads that many back), and all of RUNS_KEPT_FOR.
RUNS_KEPT, RUNS_KEPT_FOR = 50, timedelta(days=90)
# The state (validators, the feed's date) of a source neither configured nor in the pass: a `--source` file named by
# its date is never asked again, while a fixed path a script refreshes is, daily or weekly (its date tells a stale
# copy and the days missed): kept while it may still be asked, so a dated file a day leaves at most this many rows.
STATE_KEPT_FOR = timedelta(days=30)


@dataclass(frozen=True)
class Interrupted:
    run_id: int
    started_at: datetime

    def line(self) -> str:
        return f"the poll started at {self.started_at:%Y-%m-%d %H:%M} UTC was interrupted (its process stopped)"


# The runs this process has started and not yet ended, by database: what tells /healthz that a "running" row of this
# very process is a poll under way, with no look at the poll lock (taking it, even for an instant, made a poll
# starting then refuse). Polls run in worker threads, so it is read and changed under its lock.
_POLLING: set[tuple[str, int]] = set()
_POLLING_LOCK = threading.Lock()


def _database_key(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=True)


def start_run(database: Database, now: datetime, folder: str | None = None) -> int:
    """The id of a new run's row (see begin_run)."""
    return begin_run(database, now, folder).run_id


@dataclass(frozen=True)
class StartedRun:
    run_id: int
    interrupted: list[Interrupted]  # the runs found left "running" by polls that are gone, settled as it started


def begin_run(database: Database, now: datetime, folder: str | None = None, *, alone: bool = False) -> StartedRun:
    """Adds the run's row and counts it among this process's polls in progress (see polls_in_progress) before the row
    can be read, until poll_ended. `alone`: this process holds the poll lock of `folder` (poll_lock.polling_alone), so
    every row of it still "running" is a poll that is gone: settled as interrupted in the same transaction."""
    run_id: int | None = None
    try:
        with database.transaction() as session:
            interrupted = settle_left_running(session, now, folder if alone else None)
            run = PollRun(started_at=now, outcome=RUNNING, summary={"process": this_process(folder)})
            session.add(run)
            session.flush()
            run_id = run.id
            with _POLLING_LOCK:
                _POLLING.add((_database_key(database), run_id))
    except BaseException:
        if run_id is not None:
            poll_ended(database, run_id)
        raise
    return StartedRun(run_id, interrupted)


def poll_ended(database: Database, run_id: int | None) -> None:
    """The run is no longer among this process's polls in progress: said once it ended, however it ended (its end
    recorded or not, the database lost)."""
    if run_id is not None:
        with _POLLING_LOCK:
            _POLLING.discard((_database_key(database), run_id))


def polls_in_progress(database: Database) -> frozenset[int]:
    """The ids of the runs of `database` this process has started and not yet ended."""
    key = _database_key(database)
    with _POLLING_LOCK:
        return frozenset(run_id for database_key, run_id in _POLLING if database_key == key)


def finish_run(
    database: Database,
    run_id: int | None,
    finished_at: datetime,
    outcome: str,
    summary: Any,
    kept_sources: Collection[str] | None = None,
) -> None:
    """Records the run's end, and forgets in the same transaction the runs, the sources' state and the weekly
    digest's owed addresses past keeping (see forget_old_runs, forget_unused_state, forget_owed_past_keeping;
    `kept_sources`: the configured ones and this pass's, None when the configured ones could not be read, so no state
    is forgotten). The run is no longer a poll in progress then, its end written or not (see poll_ended)."""
    try:
        with database.transaction() as session:
            run = session.get(PollRun, run_id)
            if run is not None:
                run.finished_at = finished_at
                run.outcome = outcome
                run.summary = {**summary, "process": (run.summary or {}).get("process")}
            forget_old_runs(session, finished_at)
            # The readers an edition given up or refused for good owed, once their window is over: no address outlives
            # it longer than till the next poll (each weekday by default; the weekly job, which drops them too, runs
            # weekly).
            forget_owed_past_keeping(session, finished_at)
            if kept_sources is not None:
                forget_unused_state(session, kept_sources, finished_at)
    finally:
        poll_ended(database, run_id)


def forget_old_runs(session: Session, now: datetime) -> int:
    """Deletes the finished runs older than RUNS_KEPT_FOR but for the newest RUNS_KEPT; returns how many. A "running"
    row stays for mark_interrupted to settle."""
    newest = select(PollRun.id).order_by(PollRun.id.desc()).offset(RUNS_KEPT - 1).limit(1)
    oldest_kept = session.scalar(newest)
    if oldest_kept is None:
        return 0
    old = (PollRun.id < oldest_kept) & (PollRun.started_at < now - RUNS_KEPT_FOR) & (PollRun.outcome != RUNNING)
    return int(getattr(session.execute(delete(PollRun).where(old)), "rowcount", 0) or 0)


def forget_unused_state(session: Session, kept_sources: Collection[str], now: datetime) -> int:
    """Deletes the state of the sources not in `kept_sources` not polled for STATE_KEPT_FOR; returns how many."""
    kept = {*kept_sources, *(source_key(source) for source in kept_sources)}
    stale = or_(FeedState.last_polled_at.is_(None), FeedState.last_polled_at < now - STATE_KEPT_FOR)
    unused = [source for source in session.scalars(select(FeedState.source).where(stale)) if source not in kept]
    if unused:
        session.execute(delete(FeedState).where(FeedState.source.in_(unused)))
    return len(unused)


def is_orphan(run: PollRun, now: datetime, idle_folder: str | None = None) -> bool:
    """Whether a "running" row was left by a process that is gone. Pure but for the process checks on this host.
    `idle_folder`: a data folder whose poll lock this process holds, so no other poll of it runs: a row of it is left
    over, whatever process holds its pid now."""
    process = (run.summary or {}).get("process") or {}
    if of_this_host(process):
        return known_gone(run, idle_folder)
    return process.get("host") is None or now - run.started_at > FOREIGN_RUN_TIMEOUT


def known_gone(run: PollRun, idle_folder: str | None = None) -> bool:
    """Whether a "running" row's process is known to be gone: one of this host that ended (run_process.gone), or of a
    data folder (`idle_folder`) whose poll lock this process holds (see is_orphan). A row naming no process is not
    known so."""
    process = (run.summary or {}).get("process") or {}
    if not of_this_host(process):
        return False
    return (idle_folder is not None and process.get("folder") == idle_folder) or gone(process)


def left_running(run: PollRun, polling: Set[int]) -> bool:
    """Whether a "running" row is surely no poll under way, asked while this process may be polling (the service's
    /healthz), without a look at the poll lock: a row of this host whose process is another one, gone (as known_gone
    tells), or this very process when the run is not among its polls in progress (`polling`, see polls_in_progress:
    the poll ended without recording its end, or the row is of an earlier process that had this pid)."""
    process = (run.summary or {}).get("process") or {}
    if not of_this_host(process):
        return False
    if process["pid"] == os.getpid():
        return run.id not in polling
    return gone(process)


def mark_interrupted(database: Database, now: datetime) -> list[Interrupted]:
    """Marks the runs dead processes left "running" as interrupted (see settle_left_running); returns them."""
    with database.transaction() as session:
        return settle_left_running(session, now)


def settle_left_running(session: Session, now: datetime, idle_folder: str | None = None) -> list[Interrupted]:
    """Marks the "running" rows gone processes left (see is_orphan) as interrupted; returns them, oldest first. When
    each died is not known (a run keeps no time it was last heard from): its end is left empty and its summary says
    when it was found so, not `now` as its end, which claimed it ran until then."""
    found: list[Interrupted] = []
    for run in session.scalars(select(PollRun).where(PollRun.outcome == RUNNING).order_by(PollRun.id)):
        if is_orphan(run, now, idle_folder):
            run.outcome = INTERRUPTED
            run.finished_at = None
            run.summary = {
                **(run.summary or {}),
                "end": f"unknown (its process stopped; found so at {now:%Y-%m-%d %H:%M} UTC)",
            }
            found.append(Interrupted(run.id, run.started_at))
    return found


def latest_outcome(database: Database, sources: Collection[str] = ()) -> str | None:
    """The outcome of the newest run of `sources` (the configured ones; see latest_run), or None when this data folder
    never polled them."""
    with database.reading() as session:
        run = latest_run(session, sources)
        return None if run is None else run.outcome


def reason_to_poll_on_start(database: Database, now: datetime, sources: Collection[str] = ()) -> str | None:
    """Why a starting service polls at once: a data folder that never polled its `sources` (the configured ones), or
    whose last poll a gone process left running (marked interrupted here, from the rows alone: see is_orphan; the poll
    lock is not looked at, as taking it even for an instant made a `digest poll` starting then refuse). Reports a
    failed or interrupted last poll to /healthz."""
    if latest_outcome(database, sources) is None:
        return "this data folder has never polled arXiv"
    interrupted = mark_interrupted(database, now)
    latest = latest_outcome(database, sources)
    if latest == INTERRUPTED:
        line = interrupted[-1].line() if interrupted else "the last poll was interrupted"
        health.report("poll", False, f"{line}; polling again now")
        return line
    if latest in (PollOutcome.FAILED, PollOutcome.PARTIAL):
        health.report("poll", False, f"the last poll {latest}; the next scheduled poll tries again")
    return None


def polled_fine_today(database: Database, now: datetime, sources: Collection[str] = ()) -> bool:
    """Whether the latest poll of `sources` (the configured ones) went well on the feed arXiv serves at `now` (its day
    turns at the announcement, 20:00 in New York, whatever zone the schedule is written in): the retry job polls
    again only when it did not."""
    with database.reading() as session:
        last = latest_run(session, sources)
        return (
            last is not None
            and last.outcome == PollOutcome.OK
            and served_feed_day(last.started_at) == served_feed_day(now)
        )


def latest_run(session: Session, sources: Collection[str]) -> PollRun | None:
    """The newest of the last 50 runs that may have been a poll of `sources`: a run that asked none of them (`digest
    poll --source` of a saved file) says nothing of them and is passed over. The newest is the last one made (by id),
    not the latest by a clock that may have been ahead then (a run dated tomorrow stood for today's poll)."""
    configured = set(sources)
    latest = session.scalars(select(PollRun).order_by(PollRun.id.desc()).limit(50))
    return next((run for run in latest if not _asked_only_others(run, configured)), None)


def _asked_only_others(run: PollRun, configured: set[str]) -> bool:
    """Whether `run` asked sources, none of them one of `configured`. A run that asked none (its rules could not be
    used, or it was stopped first) may have been a poll of them."""
    # A run before the sources were read trimmed asked " URL\n" where the settings now give URL.
    asked = {source_key(str(report.get("source"))) for report in (run.summary or {}).get("sources") or [] if report}
    return bool(configured and asked) and not asked & configured
