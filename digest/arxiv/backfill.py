"""Backfills over a date range through the arXiv API: paged oldest first, each page judged and stored with the saved
place in one transaction, so a stopped run resumes where it was. Goes through the one polite Fetcher."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TextIO

from sqlalchemy.orm import Session

from digest.arxiv.api import fetch_answer, query_url
from digest.arxiv.candidates import list_keys, paper_text, store_papers
from digest.arxiv.fetcher import Fetcher, FetchError, FetchStoppedError, pause
from digest.arxiv.parse import ParsedFeed
from digest.clock import SYSTEM_CLOCK, Clock
from digest.config import Settings
from digest.progress import ProgressBar
from digest.relevance.scoring import RelevanceModel
from digest.relevance.stream import ensure_thresholds
from digest.relevance.types import Judgement
from digest.storage.db import Database
from digest.storage.state import BackfillState

log = logging.getLogger("digest.arxiv.api")  # the name its log lines have always carried

DEFAULT_CATEGORIES = ("cs.CV", "cs.CL", "cs.LG", "cs.AI")
# An empty or cut-off page is asked for again this many times in a row before the backfill stops (resumable).
PAGE_RETRIES = 3


def backfill_query(since: date, categories: Sequence[str] = DEFAULT_CATEGORIES) -> str:
    cats = " OR ".join(f"cat:{category}" for category in categories)
    # An open upper bound keeps the query (and so the saved place) the same on every run.
    return f"({cats}) AND submittedDate:[{since:%Y%m%d}0000 TO 299912312359]"


@dataclass
class BackfillReport:
    query: str
    pages: int = 0
    entries: int = 0
    matched: int = 0
    already_known: int = 0
    new_candidates: int = 0
    next_start: int = 0
    total: int | None = None
    done: bool = False
    stopped: str | None = None  # why it stopped before the end (resume by running it again)


async def backfill(
    settings: Settings,
    database: Database,
    since: date,
    *,
    query: str | None = None,
    page_size: int = 100,
    clock: Clock = SYSTEM_CLOCK,
    progress: TextIO | None = None,
    max_pages: int | None = None,
) -> BackfillReport:
    """Pages through the API oldest first from `since`; each page is one transaction with the saved place.

    A page that comes back empty before totalResults is reached, or cut off inside an entry, is asked for again (from
    its first entry not read whole), after the fetcher's back-off; after PAGE_RETRIES such answers in a row the run
    stops, resumable. `max_pages` bounds the requests made, those asked again included."""
    search = query or backfill_query(since)
    report = BackfillReport(query=search)
    report.next_start, report.total = await asyncio.to_thread(_saved_place, database, search)
    model = await asyncio.to_thread(ensure_thresholds, database, settings)
    source = f"arXiv API: {search}"
    bar = ProgressBar("backfill", progress)
    requests = failures = 0
    async with Fetcher(settings.arxiv, clock=clock, turn_file=settings.arxiv_turn_file) as fetcher:
        while max_pages is None or requests < max_pages:
            url = query_url(settings.arxiv.api_url, search, report.next_start, page_size, order="ascending")
            requests += 1
            try:
                parsed = await fetch_answer(fetcher, url)
            except FetchError as exc:
                report.stopped = str(exc)
                break
            short = await _take_page(database, model, report, parsed, source, clock, bar)
            if short is None:
                failures = 0
                if not parsed.items_read:  # the end: nothing more to read, and no page stored to say so
                    report.done = True
                    await asyncio.to_thread(_save_place, database, report, clock.now())
                if report.done:
                    break
                continue
            failures += 1
            if failures > PAGE_RETRIES:
                report.stopped = f"{short} at {report.next_start} of {report.total}, {failures} times in a row"
                break
            wait = fetcher.backoff_base * 2 ** (failures - 1)
            log.info("backfill: %s at %d; asking again in %.0f s (%d/%d)",
                     short, report.next_start, wait, failures, PAGE_RETRIES)  # fmt: skip
            try:
                await pause(clock, wait, fetcher.stop)
            except FetchStoppedError as exc:
                report.stopped = str(exc)
                break
    bar.close()
    if report.stopped:
        log.warning("backfill stopped at %d: %s (run it again to resume)", report.next_start, report.stopped)
    return report


async def _take_page(
    database: Database,
    model: RelevanceModel,
    report: BackfillReport,
    parsed: ParsedFeed,
    source: str,
    clock: Clock,
    bar: ProgressBar,
) -> str | None:
    """Logs the answer's problems, takes its total, and judges and stores the entries it holds whole; returns why it
    is not a whole page (see _short_answer), or None."""
    for problem in parsed.problems:
        log.warning("backfill %s", problem)
    # An empty page past the first says nothing true about the total (arXiv's glitch pages may say 0): the
    # total it replaces comes from pages that held entries, so the glitch is retried, not taken for the end.
    if parsed.total_results is not None and (parsed.items_read or report.total is None or not report.next_start):
        report.total = parsed.total_results
    short = _short_answer(parsed, report)
    if parsed.items_read:  # the whole entries of a cut-off page are kept; the next request starts after them
        # Judging and storing in a worker thread: the service's web server and bot keep answering meanwhile.
        await asyncio.to_thread(_judge_and_store_page, database, model, report, parsed, source, clock.now())
        bar.update(report.next_start, report.total, f"{report.new_candidates} new")
    return short


def _short_answer(parsed: ParsedFeed, report: BackfillReport) -> str | None:
    """Why this answer is not a whole page, or None: cut off inside an entry, or empty although totalResults says
    more remain (arXiv's API sends such pages now and then; arxiv.py retries them too)."""
    if parsed.cut_off:
        return "the answer is cut off (inside an entry or between two)"
    if not parsed.items_read and report.total is not None and report.next_start < report.total:
        return "an empty page before the end of the results"
    return None


def _at_end(parsed: ParsedFeed, report: BackfillReport) -> bool:
    """Whether the results are all read: totalResults reached, or an empty page when the API gave no total."""
    if report.total is not None:
        return report.next_start >= report.total
    return not parsed.items_read


def _saved_place(database: Database, search: str) -> tuple[int, int | None]:
    """Where an earlier backfill of this query stopped, and the total it saw."""
    with database.reading() as session:
        state = session.get(BackfillState, search)
        return (state.next_start, state.total) if state else (0, None)


def _judge_and_store_page(
    database: Database,
    model: RelevanceModel,
    report: BackfillReport,
    parsed: ParsedFeed,
    source: str,
    now: datetime,
) -> None:
    judgements = model.judge_many([paper_text(p) for p in parsed.papers])
    _store_page(database, report, parsed, judgements, source=source, now=now)


def _store_page(
    database: Database,
    report: BackfillReport,
    parsed: ParsedFeed,
    judgements: Sequence[Judgement],
    *,
    source: str,
    now: datetime,
) -> None:
    """One page's papers and the place after its last entry read whole, in one transaction; the report counts them."""
    with database.transaction(exclusive=True) as session:  # found missing, then inserted: see poller._store_outcome
        counts = store_papers(session, parsed.papers, judgements, source=source, now=now, keys=list_keys(session))
        report.next_start += parsed.items_read
        report.done = _at_end(parsed, report) and not parsed.cut_off
        _place(session, report, now)
    report.pages += 1
    report.entries += counts.entries
    report.matched += counts.matched
    report.already_known += counts.already_known
    report.new_candidates += counts.new_candidates


def _save_place(database: Database, report: BackfillReport, now: datetime) -> None:
    with database.transaction(exclusive=True) as session:
        _place(session, report, now)


def _place(session: Session, report: BackfillReport, now: datetime) -> None:
    state = session.get(BackfillState, report.query) or BackfillState(query=report.query)
    state.next_start, state.total, state.done, state.updated_at = report.next_start, report.total, report.done, now
    session.add(state)
