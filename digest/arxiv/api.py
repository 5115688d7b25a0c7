"""The arXiv API side of the poller: backfills over a date range (paged, resumable) and abstracts of list papers.

Both go through the one polite Fetcher, so they keep the same distance from arXiv as the daily poll.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TextIO
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import resources
from digest.arxiv.candidates import list_keys, paper_text, store_papers
from digest.arxiv.fetcher import Fetcher, FetchError, FetchStoppedError, pause
from digest.arxiv.parse import ArxivPaper, ParsedFeed, parse_feed
from digest.clock import SYSTEM_CLOCK, Clock
from digest.config import Settings
from digest.progress import ProgressBar
from digest.relevance.scoring import RelevanceModel
from digest.relevance.stream import ensure_thresholds
from digest.relevance.types import Judgement
from digest.storage.db import Database
from digest.storage.models import Paper
from digest.storage.state import BackfillState, RelevanceExample

log = logging.getLogger(__name__)

DEFAULT_CATEGORIES = ("cs.CV", "cs.CL", "cs.LG", "cs.AI")
ID_BATCH = 50
# An empty or cut-off page is asked for again this many times in a row before the backfill stops (resumable).
PAGE_RETRIES = 3


def query_url(api_url: str, search_query: str, start: int, max_results: int, order: str = "descending") -> str:
    params = {
        "search_query": search_query,
        "start": start,
        "max_results": max_results,
        "sortBy": "submittedDate",
        "sortOrder": order,
    }
    return f"{api_url}?{urlencode(params)}"


def id_list_url(api_url: str, arxiv_ids: Sequence[str]) -> str:
    return f"{api_url}?{urlencode({'id_list': ','.join(arxiv_ids), 'max_results': len(arxiv_ids)})}"


async def fetch_answer(fetcher: Fetcher, url: str) -> ParsedFeed:
    """One API answer, fetched politely and parsed: the step every API caller shares. FetchError (one line) when
    arXiv cannot be reached or answers with an error."""
    result = await fetcher.fetch(url)
    parsed = parse_feed(result.body, url)
    if result.status >= 400 or parsed.error:
        raise FetchError(f"{url}: {parsed.error or f'HTTP {result.status}'}")
    return parsed


async def fetch_paper(settings: Settings, arxiv_id: str, *, clock: Clock = SYSTEM_CLOCK) -> ArxivPaper | None:
    """One paper by its versionless arXiv ID (`id_list=`), or None when arXiv has none; FetchError (one line) when
    arXiv cannot be reached or its answer is an error."""
    url = id_list_url(settings.arxiv.api_url, [arxiv_id])
    async with Fetcher(settings.arxiv, clock=clock, turn_file=settings.arxiv_turn_file) as fetcher:
        parsed = await fetch_answer(fetcher, url)
    return next((paper for paper in parsed.papers if paper.arxiv_id == arxiv_id), None)


def backfill_query(since: date, categories: Sequence[str] = DEFAULT_CATEGORIES) -> str:
    cats = " OR ".join(f"cat:{category}" for category in categories)
    # An open upper bound keeps the query (and so the saved place) the same on every run.
    return f"({cats}) AND submittedDate:[{since:%Y%m%d}0000 TO 299912312359]"


def _bundled_ids() -> set[str]:
    ids: set[str] = set()
    with resources.curated_papers_path().open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                arxiv_id = json.loads(line).get("arxiv_id")
                if arxiv_id:
                    ids.add(str(arxiv_id))
    return ids


def papers_missing_abstracts(database: Database) -> list[str]:
    """List papers with an arXiv ID whose abstract is neither stored, bundled, nor already fetched."""
    with database.reading() as session:
        rows = session.scalars(
            select(Paper.arxiv_id).where(
                Paper.entries.any(), Paper.arxiv_id.is_not(None), (Paper.abstract.is_(None)) | (Paper.abstract == "")
            )
        )
        wanted = {arxiv_id for arxiv_id in rows if arxiv_id}
        wanted -= set(session.scalars(select(RelevanceExample.arxiv_id)))
    return sorted(wanted - _bundled_ids())


async def refresh_examples(
    settings: Settings, database: Database, *, clock: Clock = SYSTEM_CLOCK, batch_size: int = ID_BATCH
) -> int:
    """Fetches the abstracts of list papers added after the bundled copy; returns how many were stored. The database
    is read and written in worker threads: a command holding the write lock must not freeze the web server and bot."""
    missing = await asyncio.to_thread(papers_missing_abstracts, database)
    stored = 0
    if not missing:
        return 0
    async with Fetcher(settings.arxiv, clock=clock, turn_file=settings.arxiv_turn_file) as fetcher:
        for start in range(0, len(missing), batch_size):
            batch = missing[start : start + batch_size]
            url = id_list_url(settings.arxiv.api_url, batch)
            try:
                parsed = await fetch_answer(fetcher, url)
            except FetchError as exc:
                log.warning("relevance examples: %s; the rest waits for the next run", exc)
                break
            stored += await asyncio.to_thread(_store_examples, database, parsed.papers, set(batch), clock.now())
    log.info("relevance examples: %d abstracts fetched for %d list papers", stored, len(missing))
    return stored


def _store_examples(database: Database, papers: Sequence[ArxivPaper], wanted: set[str], now: datetime) -> int:
    """Keeps the abstracts of the wanted list papers not stored yet; returns how many were stored."""
    stored = 0
    with database.transaction(exclusive=True) as session:  # found missing, then inserted: see poller._store_outcome
        for paper in papers:
            if paper.arxiv_id in wanted and paper.abstract and session.get(RelevanceExample, paper.arxiv_id) is None:
                session.add(
                    RelevanceExample(
                        arxiv_id=paper.arxiv_id,
                        title=paper.title,
                        abstract=paper.abstract,
                        categories=list(paper.categories),
                        fetched_at=now,
                    )
                )
                wanted.discard(paper.arxiv_id)
                stored += 1
    return stored


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
            for problem in parsed.problems:
                log.warning("backfill %s", problem)
            # An empty page past the first says nothing true about the total (arXiv's glitch pages may say 0): the
            # total it replaces comes from pages that held entries, so the glitch is retried, not taken for the end.
            if parsed.total_results is not None and (
                parsed.items_read or report.total is None or not report.next_start
            ):
                report.total = parsed.total_results
            short = _short_answer(parsed, report)
            if parsed.items_read:  # the whole entries of a cut-off page are kept; the next request starts after them
                # Judging and storing in a worker thread: the service's web server and bot keep answering meanwhile.
                await asyncio.to_thread(_judge_and_store_page, database, model, report, parsed, source, clock.now())
                bar.update(report.next_start, report.total, f"{report.new_candidates} new")
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


def _short_answer(parsed: ParsedFeed, report: BackfillReport) -> str | None:
    """Why this answer is not a whole page, or None: cut off inside an entry, or empty although totalResults says
    more remain (arXiv's API sends such pages now and then; arxiv.py retries them too)."""
    if parsed.cut_off:
        return "the answer ends inside an entry"
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
