"""One pass over the arXiv sources: fetch, tell a quiet day from a broken answer, judge, dedupe, store. Each source is
one transaction; a broken answer changes nothing but the source's failure count, so it is retried later and never
marks papers as seen. `run_poll` is what the scheduler and `digest poll` call."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from digest.arxiv import outcomes
from digest.arxiv.announcements import ARXIV_ZONE, announcement_awaited, missed_days_clause, not_yet_announced
from digest.arxiv.api import query_url
from digest.arxiv.candidates import list_keys, paper_text, store_papers
from digest.arxiv.fetch_types import FetchResult, source_line
from digest.arxiv.fetcher import is_url
from digest.arxiv.outcomes import BROKEN, ERROR, FAILED_OUTCOMES, FETCHED, NOT_MODIFIED, classify, sane_feed_date
from digest.arxiv.parse import ParsedFeed, parse_feed
from digest.arxiv.retitled import retitled_in_list
from digest.arxiv.withdrawn import withdrawn_clause, withdrawn_in_list
from digest.config import FeedsError, Settings, read_feed_sources
from digest.sizes import counted
from digest.storage.db import Database
from digest.storage.failures import failure_line
from digest.storage.state import FeedState

if TYPE_CHECKING:  # NumPy and SciPy load when a pass scores, not with the service's pages (they import this module)
    from digest.relevance import scoring as relevance

log = logging.getLogger(__name__)

# Set by `digest poll`: a pass run once, that nothing polls again, so a failure is not said to be retried later (the
# service's scheduled polls are; its retry job reads the configured sources again).
ONE_SHOT: contextvars.ContextVar[bool] = contextvars.ContextVar("one_shot", default=False)


class SourcesError(Exception):
    """feeds/sources.toml is missing or wrong; one line."""


@dataclass
class SourceReport:
    source: str
    outcome: str  # fetched | not-modified | quiet | broken | error
    message: str = ""
    entries: int = 0
    matched: int = 0
    already_known: int = 0
    new_candidates: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)
    second_tier: int = 0  # new papers just under the review threshold: the weekly digest's "Worth a look"
    second_tier_known: int = 0  # papers just under it the database held already (not in already_known: not matched)
    new: list[str] = field(default_factory=list)  # the arXiv IDs of the new candidates, for scripts (--json)
    new_candidate_ids: list[int] = field(default_factory=list)  # their candidate IDs, in the same order
    cut_off: int = 0  # the answer was cut off: what followed was not read (fetched whole at the retry)
    missed: str = ""  # the announcement days since the last feed read whose feeds were never read, in one clause
    awaiting: bool = False  # a feed read before, read again on an announcement day without that day's announcement
    left: int = 0  # an API query's results past the page read (a poll reads the newest max_results only)
    withdrawn: list[str] = field(default_factory=list)  # papers in the list that arXiv announced withdrawn
    retitled: list[str] = field(default_factory=list)  # papers in the list a new version titles otherwise

    @property
    def failed(self) -> bool:  # broken, unreachable, or read only in part: the poll's retry asks again
        return self.outcome in FAILED_OUTCOMES or self.cut_off > 0

    def line(self) -> str:
        if self.outcome == FETCHED:
            text = (
                f"fetched, {counted(self.entries, 'entry', 'entries')}, {self.matched} matched "
                f"({self.already_known} already known, {counted(self.new_candidates, 'new candidate')})"
            )
            if self.second_tier or self.second_tier_known:
                text += (f", {self.second_tier + self.second_tier_known} for the weekly digest's second tier "
                         f"({self.second_tier_known} already known, {self.second_tier} new)")  # fmt: skip
            if self.updated:
                text += f", {counted(self.updated, 'new version')}"
            if self.problems:
                text += f", {counted(len(self.problems), 'item')} skipped or odd"
            if self.left:
                text += (f"; {self.left:,} more results past these not read (a poll reads the newest max_results of "
                         "an [[api]] query: raise it, up to 2,000, or narrow the query)")  # fmt: skip
            if self.cut_off:
                text += "; the answer is cut off, so the rest of the feed is missing: asked again at the retry"
            return f"{self.source}: {text}{withdrawn_clause([*self.withdrawn, *self.retitled])}{self.missed}"
        detail = self.message.removeprefix(f"{self.source}: ")  # a fetcher's message names the source already
        return f"{self.source}: {self.outcome}" + (f" ({detail})" if detail else "") + self.missed


@dataclass
class PollSummary:
    run_id: int | None
    started_at: datetime
    finished_at: datetime | None = None
    outcome: str = "running"  # ok | partial | failed
    sources: list[SourceReport] = field(default_factory=list)
    reason: str = ""  # why the whole pass failed, when no source is to blame (rules that cannot be used)

    @property
    def new_candidates(self) -> int:
        return sum(report.new_candidates for report in self.sources)

    def to_dict(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["started_at"] = self.started_at.isoformat()
        payload["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        payload["new_candidates"] = self.new_candidates
        return payload

    def __str__(self) -> str:
        counts: dict[str, int] = {}
        for report in self.sources:
            counts[report.outcome] = counts.get(report.outcome, 0) + 1
        if self.reason:
            return f"{self.outcome}: {self.reason}"
        if not self.sources and self.outcome == "interrupted":  # stopped first (while the model was built, say)
            return f"{self.outcome}: stopped before any source's answer was stored; the next poll reads them"
        if not self.sources:
            return f"{self.outcome}: nothing to poll: no feeds or API queries (feeds/sources.toml, or [arxiv] sources)"
        parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        found = counted(self.new_candidates, "new candidate")
        return f"{self.outcome}: {counted(len(self.sources), 'source')} ({parts}), {found}"


def configured_sources(settings: Settings) -> list[str]:
    """settings.arxiv.sources when given, else feeds/sources.toml: RSS/Atom feed URLs and API queries."""
    if settings.arxiv.sources:
        return list(settings.arxiv.sources)
    try:
        configured = read_feed_sources(settings.feeds_dir)
    except FeedsError as exc:
        raise SourcesError("; ".join(exc.problems)) from None
    api = settings.arxiv.api_url
    return [*configured.feeds, *(query_url(api, query.search_query, 0, query.max_results) for query in configured.api)]


def sources_spoken_for(settings: Settings) -> list[str]:
    """configured_sources, or none when the file cannot be read (the poll says what is wrong with it): the sources a
    stored run must have asked to say how the service's polls go (poll_runs.latest_run)."""
    try:
        return configured_sources(settings)
    except SourcesError:
        return []


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
    later = "" if ONE_SHOT.get() else "; will retry later"
    log.warning("poll %s%s", source_line(report.source, report.message), later)
    try:
        with database.transaction(exclusive=True) as session:
            state = _state(session, report.source)
            state.last_outcome = report.outcome
            state.last_message = report.message
            state.last_polled_at = now
            state.failures = (state.failures or 0) + 1
    except SQLAlchemyError as exc:
        log.error("poll %s: cannot record the failure: %s", report.source, getattr(exc, "orig", None) or exc)


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
        return _store_outcome(database, SourceReport(source, NOT_MODIFIED), None, None, [], result, now)
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
                report.withdrawn = withdrawn_in_list(session, parsed.papers, keys)
                report.retitled = retitled_in_list(session, parsed.papers)  # before the candidates take the title
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
    acting = report.missed or report.left or report.withdrawn or report.retitled  # for maintainers: cron's mail
    log.log(logging.WARNING if acting else logging.INFO, "poll %s", report.line())
    return report


def overall_outcome(reports: Sequence[SourceReport]) -> str:
    """ok; failed when no source gave anything; partial otherwise (a source read only in part counts here)."""
    if not any(report.failed for report in reports):
        return "ok"
    return "failed" if all(report.outcome in FAILED_OUTCOMES for report in reports) else "partial"
