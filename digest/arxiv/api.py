"""The arXiv API side of the poller: its query URLs, the one fetch-and-parse step every API call shares, one paper by
its ID, and the abstracts of list papers (backfills over a date range are in `backfill`, over the same step).

All go through the one polite Fetcher, so they keep the same distance from arXiv as the daily poll.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from digest import resources
from digest.arxiv.fetcher import Fetcher, FetchError
from digest.arxiv.parse import ArxivPaper, ParsedFeed, parse_feed
from digest.arxiv.unknown_ids import UNKNOWN_IDS_KEY, UNKNOWN_RETRY_DAYS, unknown_ids
from digest.arxiv_references import parse_arxiv_reference
from digest.clock import SYSTEM_CLOCK, Clock, utc_now
from digest.config import Settings
from digest.sizes import counted
from digest.storage.db import Database
from digest.storage.models import Paper
from digest.storage.state import RelevanceExample, RelevanceState

log = logging.getLogger(__name__)

ID_BATCH = 50
# The longest back-off or Retry-After a fetch someone waits for sits through; a longer one is said at once, with when.
PERSON_PATIENCE_SECONDS = 5.0


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
    if parsed.error and parsed.error.startswith("API error"):
        raise RefusedQueryError(f"{url}: {parsed.error}")
    if result.status >= 400:  # the status first: a 403 or 404 page is no feed, and saying only that hides why
        raise FetchError(f"{url}: HTTP {result.status}" + (f": {parsed.error}" if parsed.error else ""))
    if parsed.error:
        raise FetchError(f"{url}: {parsed.error}")
    return parsed


class RefusedQueryError(FetchError):
    """The API answered, with its error entry for the query itself (an ID it does not take, say): asking the same
    again gets the same."""


async def fetch_paper(settings: Settings, arxiv_id: str, *, clock: Clock = SYSTEM_CLOCK) -> ArxivPaper | None:
    """One paper by its versionless arXiv ID (`id_list=`), or None when arXiv has none; FetchError (one line) when
    arXiv cannot be reached or its answer is an error."""
    url = id_list_url(settings.arxiv.api_url, [arxiv_id])
    # Someone waits for this answer (`digest add`, /suggest, /review's add, Discord's /add): a try lost on the way is
    # said at once, not retried over a minute and more of back-off while a browser or a proxy gives up on the page;
    # a refusal (429, 503) is waited out only when its wait is short, and otherwise said with the time to try again.
    fetcher = Fetcher(
        settings.arxiv,
        clock=clock,
        turn_file=settings.arxiv_turn_file,
        retry_lost=False,
        patience_seconds=PERSON_PATIENCE_SECONDS,
    )
    async with fetcher:
        parsed = await fetch_answer(fetcher, url)
    return next((paper for paper in parsed.papers if paper.arxiv_id == arxiv_id), None)


def _bundled_ids() -> set[str]:
    ids: set[str] = set()
    with resources.curated_papers_path().open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                arxiv_id = json.loads(line).get("arxiv_id")
                if arxiv_id:
                    ids.add(str(arxiv_id))
    return ids


def papers_missing_abstracts(database: Database, now: datetime | None = None) -> list[str]:
    """List papers with an arXiv ID whose abstract is neither stored, bundled, nor already fetched; an ID arXiv had
    no paper for, or a paper without an abstract, is left out until UNKNOWN_RETRY_DAYS after it was asked (from
    `now`)."""
    retry_before = (now or utc_now()) - timedelta(days=UNKNOWN_RETRY_DAYS)
    with database.reading() as session:
        rows = session.scalars(
            select(Paper.arxiv_id).where(
                Paper.entries.any(), Paper.arxiv_id.is_not(None), (Paper.abstract.is_(None)) | (Paper.abstract == "")
            )
        )
        wanted = {arxiv_id for arxiv_id in rows if arxiv_id}
        # An answer without an abstract is kept with it empty: asked again after the same days as an unknown ID.
        fetched = (RelevanceExample.abstract != "") | (RelevanceExample.fetched_at > retry_before)
        wanted -= set(session.scalars(select(RelevanceExample.arxiv_id).where(fetched)))
        wanted -= {arxiv_id for arxiv_id, asked in unknown_ids(session).items() if asked > retry_before}
    return sorted(wanted - _bundled_ids())


def _askable(arxiv_ids: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """The IDs as arXiv's API takes them (old-style ones without their subject class: math.GT/0309136 is asked as
    math/0309136), each to the list's own; and those arXiv cannot have issued (a typo in a link): the API answers a
    batch holding one with an error for all of it."""
    askable: dict[str, str] = {}
    unusable: list[str] = []
    for arxiv_id in arxiv_ids:
        canonical = parse_arxiv_reference(arxiv_id)
        if canonical is None:
            unusable.append(arxiv_id)
        else:
            askable[canonical] = arxiv_id
    return askable, unusable


async def refresh_examples(
    settings: Settings,
    database: Database,
    *,
    clock: Clock = SYSTEM_CLOCK,
    batch_size: int = ID_BATCH,
    left_alone: dict[str, str] | None = None,
) -> int:
    """Fetches the abstracts of list papers added after the bundled copy; returns how many were stored. The database
    is read and written in worker threads: a command holding the write lock must not freeze the web server and bot.

    It runs before each poll and its abstracts can wait for the next one, so a try lost on the way is not retried
    (minutes of back-off before the poll), and a host found dead or busy is added to `left_alone` (host -> why),
    for the poll that follows not to ask it again in the same pass."""
    missing = await asyncio.to_thread(papers_missing_abstracts, database, clock.now())
    stored = 0
    if not missing:
        return 0
    askable, unusable = _askable(missing)
    if unusable:
        log.warning(
            "relevance examples: the list links %s, which arXiv cannot have issued (mend the link); not asked",
            ", ".join(unusable[:10]) + (f" and {len(unusable) - 10} more" if len(unusable) > 10 else ""),
        )
    asked = list(askable)
    batches = [asked[start : start + batch_size] for start in range(0, len(asked), batch_size)]
    async with Fetcher(settings.arxiv, clock=clock, turn_file=settings.arxiv_turn_file, retry_lost=False) as fetcher:
        while batches:
            batch = batches.pop(0)
            url = id_list_url(settings.arxiv.api_url, batch)
            papers: list[ArxivPaper] = []
            try:
                papers = (await fetch_answer(fetcher, url)).papers
            except RefusedQueryError as exc:  # one ID the API refuses fails its whole batch: each is asked alone
                if len(batch) > 1:
                    batches[:0] = [[arxiv_id] for arxiv_id in batch]
                    continue
                log.warning("relevance examples: %s", exc)
            except FetchError as exc:
                log.warning("relevance examples: %s; the rest waits for the next run", exc)
                skipped = exc.host_left_alone()
                if skipped is not None and left_alone is not None:
                    left_alone[skipped[0]] = skipped[1]
                break
            wanted = {arxiv_id: askable[arxiv_id] for arxiv_id in batch}
            stored += await asyncio.to_thread(_store_examples, database, papers, wanted, clock.now())
    log.info("relevance examples: %s fetched for %s", counted(stored, "abstract"), counted(len(missing), "list paper"))
    return stored


def _store_examples(database: Database, papers: Sequence[ArxivPaper], wanted: dict[str, str], now: datetime) -> int:
    """Keeps the abstracts of the wanted list papers (arXiv's ID -> the list's) not stored yet; returns how many. An
    ID arXiv answered without is remembered with when it was asked, so polls stop asking it until UNKNOWN_RETRY_DAYS
    have passed; one found is forgotten there."""
    stored, abstractless = 0, []
    with database.transaction(exclusive=True) as session:  # found missing, then inserted: see poller._store_outcome
        for paper in papers:
            listed = wanted.pop(paper.arxiv_id, None)
            example = None if listed is None else session.get(RelevanceExample, listed)
            if listed is None or (example is not None and example.abstract):
                continue
            # An answer without an abstract is kept empty (the model skips it), so polls stop asking it for a while.
            example = example or RelevanceExample(arxiv_id=listed)
            example.title, example.abstract, example.categories, example.fetched_at = (
                paper.title, paper.abstract, list(paper.categories), now
            )  # fmt: skip
            session.add(example)
            stored += bool(paper.abstract)
            abstractless += [] if paper.abstract else [listed]
        asked = {arxiv_id: when.isoformat() for arxiv_id, when in unknown_ids(session).items()}
        kept = {arxiv_id: when for arxiv_id, when in asked.items() if arxiv_id not in wanted.values()}
        kept.update({listed: now.isoformat() for listed in wanted.values()})
        row = session.get(RelevanceState, UNKNOWN_IDS_KEY) or RelevanceState(key=UNKNOWN_IDS_KEY)
        row.value = {
            arxiv_id: when
            for arxiv_id, when in kept.items()
            if session.get(RelevanceExample, arxiv_id) is None  # found since: no longer unknown
        }
        session.add(row)
    if abstractless:
        log.warning(
            "relevance examples: arXiv's answer for %s, which the list links, has no abstract; asked again in %d days",
            ", ".join(sorted(abstractless)),
            UNKNOWN_RETRY_DAYS,
        )
    if wanted:
        log.warning(
            "relevance examples: arXiv has no paper %s, which the list links (mend the link); asked again in %d days",
            ", ".join(sorted(wanted.values())),
            UNKNOWN_RETRY_DAYS,
        )
    return stored
