"""One source's answer in a poll: tell a quiet day from a broken answer, judge, dedupe, store. Each source is one
transaction; a broken answer changes nothing but the source's failure count, so it is retried later and never marks
papers as seen. `poll_pass.run_poll` (what the scheduler and `digest poll` call) hands each answer here; what a poll
says is in `poll_report`, which sources it asks in `poll_sources`."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Collection
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from digest.arxiv import outcomes
from digest.arxiv.announcements import ARXIV_ZONE, announcement_awaited, missed_days_clause, not_yet_announced
from digest.arxiv.candidates import list_keys, paper_text, store_papers
from digest.arxiv.fetch_types import FetchResult, source_line
from digest.arxiv.fetcher import is_url
from digest.arxiv.outcomes import BROKEN, ERROR, NOT_MODIFIED, classify, sane_feed_date
from digest.arxiv.parse import ParsedFeed, parse_feed
from digest.arxiv.poll_report import PollSummary as PollSummary  # re-exported: the tests import it from here
from digest.arxiv.poll_report import SourceReport
from digest.arxiv.poll_sources import configured_sources as configured_sources  # re-exported, as above
from digest.arxiv.poll_sources import sources_spoken_for as sources_spoken_for  # re-exported, as above
from digest.arxiv.restored import restored_in_list
from digest.arxiv.retitled import retitled_in_list
from digest.arxiv.withdrawn import withdrawn_in_list
from digest.config import Settings
from digest.storage.db import Database
from digest.storage.failures import failure_line
from digest.storage.poll_state import FeedState

if TYPE_CHECKING:  # NumPy and SciPy load when a pass scores, not when the service starts (it imports this module)
    from digest.relevance import scoring as relevance

log = logging.getLogger(__name__)

# Set by `digest poll`: a pass run once, that nothing polls again, so a failure is not said to be retried later (the
# service's scheduled polls are; its retry job reads the configured sources again).
ONE_SHOT: contextvars.ContextVar[bool] = contextvars.ContextVar("one_shot", default=False)


def _state(session: Session, source: str) -> FeedState:
    state: FeedState | None = session.get(FeedState, source)
    if state is None:
        state = FeedState(source=source, failures=0)
        session.add(state)
    return state


def read_state(database: Database, source: str) -> tuple[str | None, str | None, datetime | None]:
    with database.reading() as session:
        state = session.get(FeedState, source)
        return (state.etag, state.last_modified, state.feed_date) if state else (None, None, None)


def record_failure(database: Database, report: SourceReport, now: datetime) -> None:
    """Counts the source's failure in its state, then says its line. A failure that cannot be written either means
    the database itself is out of reach (stopped, unwritable): the SQLAlchemyError is raised, the pass ends and its
    shell says that once; a line per source, and one more for each record that failed, said it three times."""
    with database.transaction(exclusive=True) as session:
        state = _state(session, report.source)
        state.last_outcome = report.outcome
        state.last_message = report.message
        state.last_polled_at = now
        state.failures = (state.failures or 0) + 1
    later = "" if ONE_SHOT.get() else "; will retry later"
    log.warning("poll %s%s", source_line(report.source, report.message), later)


def process_answer(
    database: Database,
    model_ready: Callable[[], relevance.RelevanceModel],
    settings: Settings,
    result: FetchResult,
    *,
    last_feed_date: datetime | None,
    now: datetime,
) -> SourceReport:
    """Parse, classify, judge and store one answer; one transaction. Runs in a worker thread.

    `model_ready` gives the model, waiting for it when it is still being loaded or built: the answer is parsed first,
    so a model built after a decision is built while the feed downloads and parses."""
    source = result.source
    live = is_url(source)
    if result.not_modified:
        late = not_yet_announced(last_feed_date, now, settings.arxiv.holidays)  # the same feed: still that day's
        if late:
            report = SourceReport(source, BROKEN, late, awaiting=live)
            record_failure(database, report, now)
            return report
        return _store_outcome(database, settings, SourceReport(source, NOT_MODIFIED), None, None, [], result, now)
    parsed = parse_feed(result.body, source)
    outcome, message = classify(parsed, status=result.status, last_feed_date=last_feed_date, now=now, tz=ARXIV_ZONE,
                                live=live, holidays=settings.arxiv.holidays, source=source)  # fmt: skip
    report = SourceReport(source, outcome, message, problems=list(parsed.problems), cut_off=parsed.cut_off,
                          left=outcomes.results_left(parsed, source))  # fmt: skip
    report.awaiting = live and _awaits_announcement(parsed, last_feed_date, now, settings.arxiv.holidays)
    for problem in parsed.problems:
        log.warning("poll %s", problem)
    if outcome == BROKEN:
        record_failure(database, report, now)
        return report
    if parsed.feed_date is not None and sane_feed_date(parsed.feed_date, now) is None:
        log.warning("poll %s: the feed is dated %s, far after this machine's clock: the date is not kept", source,
                    f"{parsed.feed_date:%Y-%m-%d}")  # fmt: skip
    if parsed.kind != "api":  # an API query is no day's feed
        # A date not kept (far ahead of the clock) is no day reached: no day up to it was missed.
        feed_date = sane_feed_date(parsed.feed_date, now)
        report.missed = missed_days_clause(sane_feed_date(last_feed_date, now), feed_date, settings.arxiv.holidays)
    for paper in parsed.papers:
        if paper.title_has_markup:
            log.warning("poll %s: item %s: the title holds markup or a mention (%r); kept as text, escaped where shown",
                        source, paper.arxiv_id, paper.title[:120])  # fmt: skip
    model = model_ready()
    judgements = model.judge_many([paper_text(p) for p in parsed.papers])
    return _store_outcome(
        database,
        settings,
        report,
        parsed,
        last_feed_date,
        judgements,
        result,
        now,
        (model.key, settings.relevance.calibration_window),
    )


def _awaits_announcement(
    parsed: ParsedFeed, last_feed_date: datetime | None, now: datetime, holidays: Collection[date]
) -> bool:
    """A feed read before (a first poll reads whatever it holds) that lacks the day's announcement (arXiv late)."""
    if parsed.kind == "api" or last_feed_date is None:
        return False
    return announcement_awaited(parsed.feed_date, bool(parsed.papers), now, holidays)


def _store_outcome(
    database: Database,
    settings: Settings,
    report: SourceReport,
    parsed: ParsedFeed | None,
    last_feed_date: datetime | None,
    judgements: list[relevance.Judgement],
    result: FetchResult,
    now: datetime,
    stream: tuple[str, int] | None = None,
) -> SourceReport:
    """The candidates, the stream's papers and the source's state in one transaction: all of it is stored, or none."""
    source = report.source
    try:
        # Exclusive: a poll and a `digest poll`, `backfill` or `add` beside it may find the same papers (and the
        # source's row) new at once; on PostgreSQL the later insert failed the source ("duplicate key value").
        with database.transaction(exclusive=True) as session:
            state = _state(session, source)
            if parsed is not None:
                keys = list_keys(session)
                report.withdrawn = withdrawn_in_list(session, parsed.papers, keys, now, settings)  # told once a version
                report.restored = restored_in_list(session, parsed.papers, keys, now)  # ends the withdrawn notice
                report.retitled = retitled_in_list(session, parsed.papers, now)  # before the candidates take the title
                counts = store_papers(session, parsed.papers, judgements, source=source, now=now, keys=keys)
                report.entries, report.matched = counts.entries, counts.matched
                report.already_known, report.new_candidates = counts.already_known, counts.new_candidates
                report.updated, report.second_tier, report.new = counts.updated, counts.second_tier, counts.new_ids
                report.second_tier_known, report.new_candidate_ids = counts.second_tier_known, counts.new_candidate_ids
                if stream is not None:
                    from digest.relevance.stream import record_stream  # see TYPE_CHECKING above

                    papers = [(p.arxiv_id, paper_text(p)) for p in parsed.papers]
                    record_stream(session, papers, [j.raw for j in judgements], stream[0], now, stream[1])
                if parsed.well_formed:  # a feed read leniently is fetched whole again next time
                    state.etag, state.last_modified = result.etag, result.last_modified
                if parsed.feed_date is not None and parsed.kind != "api":
                    dates = [d for d in (parsed.feed_date, last_feed_date) if d is not None and sane_feed_date(d, now)]
                    state.feed_date = max(dates, default=None)
            state.last_outcome, state.last_message = report.outcome, report.message
            state.last_polled_at = state.last_ok_at = now
            state.failures = 0
    except SQLAlchemyError as exc:
        reason = failure_line(exc, str(database.engine.url))  # one line, without the SQL and its values; a full disk
        report = SourceReport(source, ERROR, f"cannot store the results: {reason}"[:300])
        record_failure(database, report, now)
        return report
    changed = report.withdrawn or report.restored or report.retitled  # list papers arXiv changed
    acting = report.missed or report.left or changed  # for maintainers: cron's mail
    log.log(logging.WARNING if acting else logging.INFO, "poll %s", report.line())
    return report
