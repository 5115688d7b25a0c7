"""One backfill page: its problems logged, its total taken, its whole entries judged and stored with the window's
place in one transaction; and the run's report, which each page adds to."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from digest.arxiv.backfill_places import keep_place, save_place
from digest.arxiv.candidates import list_keys, paper_text, store_papers
from digest.arxiv.parse import ParsedFeed
from digest.arxiv.restored import restored_in_list
from digest.arxiv.retitled import retitled_in_list
from digest.arxiv.withdrawn import withdrawn_in_list
from digest.clock import Clock
from digest.config.settings import Settings
from digest.progress import ProgressBar
from digest.relevance.scoring import RelevanceModel
from digest.relevance.types import Judgement
from digest.storage.db import Database

log = logging.getLogger("digest.arxiv.api")  # the name backfill's log lines have always carried

EMPTY_BEFORE_END = "an empty page before the end of the results"


@dataclass
class BackfillReport:
    query: str  # the date window read last (arXiv's API query)
    pages: int = 0
    entries: int = 0
    matched: int = 0
    already_known: int = 0
    new_candidates: int = 0
    next_start: int = 0  # in that window
    total: int | None = None  # that window's totalResults
    done: bool = False
    stopped: str | None = None  # why it stopped before the end, in words (resume by running it again)
    resume_after: str | None = None  # when arXiv asked (a Retry-After) not to be asked before, in UTC: '10:17'
    window: str = ""  # that window's dates
    windows: int = 0  # the date windows asked this run (done ones are skipped)
    by_day: list[str] = field(default_factory=list)  # windows over the API's 30,000 results, read a day at a time
    withdrawn: list[str] = field(default_factory=list)  # papers in the list arXiv withdrew: told once, as by a poll
    restored: list[str] = field(default_factory=list)  # papers in the list told withdrawn that a later version is not
    retitled: list[str] = field(default_factory=list)  # papers in the list a later version titles otherwise

    def stopped_at(self) -> str:
        """Where it stopped, in words: '120 of 3400 in 2026-01-01 to 2026-01-31', or, before any answer gave the
        window's total, 'result 0 in 2026-01-01 to 2026-01-31, before arXiv said how many results it holds'."""
        where = f" in {self.window}" if self.window else ""
        if self.total is None:
            return f"result {self.next_start}{where}, before arXiv said how many results it holds"
        return f"{self.next_start} of {self.total}{where}"


async def take_page(
    database: Database,
    model: RelevanceModel,
    report: BackfillReport,
    parsed: ParsedFeed,
    source: str,
    clock: Clock,
    bar: ProgressBar,
    asked: int,
    settings: Settings,
) -> str | None:
    """Logs the answer's problems, takes its total, and judges and stores the entries it holds whole (of `asked`);
    returns why it is not a whole page (see _short_answer), or None."""
    for problem in parsed.problems:
        log.warning("backfill %s", problem)
    # An empty page past the first says nothing true about the total (arXiv's glitch pages may say 0): the
    # total it replaces comes from pages that held entries, so the glitch is retried, not taken for the end.
    if parsed.total_results is not None and (parsed.items_read or report.total is None or not report.next_start):
        report.total = parsed.total_results
    short = short_answer(parsed, report)
    if parsed.items_read:  # the whole entries of a cut-off page are kept; the next request starts after them
        # Judging and storing in a worker thread: the service's web server and bot keep answering meanwhile.
        await asyncio.to_thread(
            _judge_and_store_page, database, model, report, parsed, source, clock.now(), asked, settings
        )
        bar.update(report.next_start, report.total, f"{report.new_candidates} new")
    return short


def short_answer(parsed: ParsedFeed, report: BackfillReport) -> str | None:
    """Why this answer is not a whole page, or None: cut off inside an entry, or empty although totalResults says
    more remain (arXiv's API sends such pages now and then; arxiv.py retries them too)."""
    if parsed.cut_off:
        return "the answer is cut off (inside an entry or between two)"
    if not parsed.items_read and report.total is not None and report.next_start < report.total:
        return EMPTY_BEFORE_END
    return None


def _judge_and_store_page(
    database: Database,
    model: RelevanceModel,
    report: BackfillReport,
    parsed: ParsedFeed,
    source: str,
    now: datetime,
    asked: int,
    settings: Settings,
) -> None:
    judgements = model.judge_many([paper_text(p) for p in parsed.papers])
    _store_page(database, report, parsed, judgements, source=source, now=now, asked=asked, settings=settings)


def _store_page(
    database: Database,
    report: BackfillReport,
    parsed: ParsedFeed,
    judgements: Sequence[Judgement],
    *,
    source: str,
    now: datetime,
    asked: int,
    settings: Settings,
) -> None:
    """One page's papers and the place after its last entry read whole, in one transaction; the report counts them."""
    with database.transaction(exclusive=True) as session:  # found missing, then inserted: see poller._store_outcome
        keys = list_keys(session)
        withdrawn = withdrawn_in_list(
            session, parsed.papers, keys, now, settings
        )  # each version told once, by poll or backfill
        restored = restored_in_list(session, parsed.papers, keys, now)  # ends the withdrawn notice, as by a poll
        retitled = retitled_in_list(session, parsed.papers, now)  # before the candidates take the title
        counts = store_papers(session, parsed.papers, judgements, source=source, now=now, keys=keys)
        report.next_start += parsed.items_read
        # The end: totalResults reached, or an empty page when the API gave no total. A full page that ends past the
        # total proves it behind arXiv's index (it happens): the page after it is asked, not taken for the end.
        total, overshot = report.total, parsed.items_read >= asked and report.next_start > (report.total or 0)
        ended = not parsed.items_read if total is None else report.next_start >= total and not overshot
        report.done = ended and not parsed.cut_off
        keep_place(session, report.query, report.next_start, report.total, report.done, now)
    for line in (*withdrawn, *restored, *retitled):  # for maintainers: what a poll would have told them, told here
        log.warning("backfill: %s", line)
    report.withdrawn += withdrawn
    report.restored += restored
    report.retitled += retitled
    report.pages += 1
    report.entries += counts.entries
    report.matched += counts.matched
    report.already_known += counts.already_known
    report.new_candidates += counts.new_candidates


def save_report_place(database: Database, report: BackfillReport, now: datetime) -> None:
    save_place(database, report.query, report.next_start, report.total, report.done, now)
