"""Adding a paper by its arXiv ID or URL: parse the reference, check the list, fetch it from the arXiv API, score it
and keep it as a candidate. Shared by `digest add`, the field on /review and the readers' /suggest form; each shell
then approves (maintainers) or leaves it pending (readers) through the Reviewer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from digest.text import one_line
from digest.vocab import READER_SOURCE

if TYPE_CHECKING:  # the database, the model and the fetcher are imported when a paper is added, not by `--help`
    from sqlalchemy.orm import Session

    from digest.arxiv.parse import ArxivPaper
    from digest.config import Settings
    from digest.storage.db import Database
    from digest.storage.models import Candidate

# ASCII digits only (digest.titles.ARXIV_ID says why).
_NEW_STYLE_ID = re.compile(r"(?P<id>\d{4}\.\d{4,5})(?:v[1-9]\d*)?", re.ASCII)
# Old-style IDs (before April 2007): archive, an optional subject class arXiv no longer writes, year, month, number.
_OLD_STYLE_ID = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[A-Z]{2})?/(?P<month>\d{4})(?P<number>\d{3})(?:v[1-9]\d*)?", re.ASCII
)
# The archives old-style IDs were issued in (arxiv.org/help/arxiv_identifier).
# fmt: off
OLD_ARCHIVES = frozenset((
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn", "chem-ph", "cmp-lg",
    "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math",
    "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio",
    "quant-ph", "solv-int", "supr-con",
))
# fmt: on
# The paper's abs, pdf or html page, as the address bar shows it: a query (`?context=cs.CV` from another category's
# listing) or a fragment after it names the same paper.
_ARXIV_PAGE = re.compile(
    r"https?://(?:www\.|export\.)?arxiv\.org/(?P<kind>abs|pdf|html)/(?P<rest>[^?#\s]+?)/?(?:[?#]\S*)?", re.I
)
EXAMPLE = "give one like 2501.01234, arXiv:2501.01234, hep-th/9901001 or https://arxiv.org/abs/2501.01234"
MAX_NOTE = 1000


class AddError(Exception):
    """Why a paper was not added, in one line a user can act on; `status` is the HTTP status a page answers with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Known:
    """What the database already holds for a paper: the list's sections holding it (None when the list does not),
    and its candidate's id and status (None when there is none)."""

    listed: list[str] | None
    candidate_id: int | None
    status: str | None


@dataclass(frozen=True)
class Stored:
    """The candidate a paper is kept as: its id, and whether this call made it (False: another process, a poll, a
    reader or another maintainer, stored the paper while it was being fetched; `status` is then its status)."""

    candidate_id: int
    created: bool
    status: str


def parse_arxiv_reference(text: str) -> str | None:
    """The versionless arXiv ID in '2501.01234', '2501.01234v2', 'arXiv:2501.01234', an old-style 'hep-th/9901001'
    (or 'math.GT/0309136', written as arXiv writes it now: 'math/0309136') or an arxiv.org abs/pdf/html URL of one;
    None for anything else."""
    text = text.strip()
    page = _ARXIV_PAGE.fullmatch(text)
    if page is not None:
        text = page["rest"]
        if page["kind"].lower() == "pdf":
            text = text.removesuffix(".pdf")
    elif text[:6].casefold() == "arxiv:":
        text = text[6:]
    match = _NEW_STYLE_ID.fullmatch(text)
    if match is not None:
        return match["id"] if _is_issued(match["id"]) else None
    old = _OLD_STYLE_ID.fullmatch(text)
    if old is None or old["archive"] not in OLD_ARCHIVES or not _is_old_month(old["month"]) or old["number"] == "000":
        return None
    return f"{old['archive']}/{old['month']}{old['number']}"


def _is_old_month(period: str) -> bool:
    """A month old-style IDs were issued in: August 1991 to March 2007."""
    year, month = int(period[:2]), int(period[2:])
    full_year = (1900 if year >= 91 else 2000) + year
    return 1 <= month <= 12 and (1991, 8) <= (full_year, month) <= (2007, 3)


def _is_issued(arxiv_id: str) -> bool:
    """Whether arXiv can have issued this ID: a month 01 to 12 from April 2007 on, four digits after the dot until
    December 2014 and five from January 2015 (`2501.0123` is a five-digit ID with a digit missing)."""
    period, number = arxiv_id.split(".")
    year, month = int(period[:2]), int(period[2:])
    if not 1 <= month <= 12 or (year, month) < (7, 4):
        return False
    return len(number) == (5 if year >= 15 else 4)


def listed_sections(session: Session, arxiv_id: str) -> list[str] | None:
    """The sections holding the paper with this arXiv ID (title link, badge or other link), or None when the list
    does not hold it."""
    from digest.awesome import store as liststore

    if arxiv_id not in liststore.known_keys(session).arxiv_ids:
        return None
    return liststore.sections_holding(session, arxiv_id)


def already_listed(arxiv_id: str, sections: list[str]) -> str:
    where = f" ({', '.join(sections)})" if sections else ""
    return f"{arxiv_id} is already in the list{where}; nothing was added"


def known_paper(database: Database, arxiv_id: str, section: str | None) -> Known:
    """What is known of the paper; AddError when `section` names no section of the list."""
    from digest.arxiv.candidates import known_candidates
    from digest.awesome import store as liststore

    with database.reading() as session:
        if section is not None and liststore.resolve_section(session, section) is None:
            names = ", ".join(liststore.section_names(session))
            raise AddError(f"no section named {section!r} in the list (sections: {names})")
        existing = known_candidates(session, [arxiv_id]).get(arxiv_id)
        return Known(
            listed=listed_sections(session, arxiv_id),
            candidate_id=existing.id if existing is not None else None,
            status=existing.status if existing is not None else None,
        )


async def fetch(settings: Settings, arxiv_id: str) -> ArxivPaper:
    """The paper from the arXiv API, without blocking the event loop; AddError when arXiv cannot be reached or has
    no such paper."""
    from digest.arxiv.api import fetch_paper
    from digest.arxiv.fetcher import FetchError

    try:
        paper = await fetch_paper(settings, arxiv_id)
    except FetchError as exc:
        raise AddError(f"could not fetch {arxiv_id} from arXiv: {exc} (nothing was added)", 502) from None
    if paper is None:
        raise AddError(f"arXiv has no paper {arxiv_id} (nothing was added)", 404)
    return paper


def store_candidate(
    database: Database,
    settings: Settings,
    paper: ArxivPaper,
    section: str | None,
    *,
    source: str = "digest add",
    note: str | None = None,
    section_hint: str = "with --section",
) -> Stored:
    """Scores the paper and keeps it as a pending candidate (the poller's row, `source` as its feed).

    A reader's suggestion (`note` may be given) is queued as a first-tier candidate even when the model would not
    flag it, and needs no section: a maintainer chooses one when deciding.
    """
    from digest.arxiv.candidates import known_candidates, list_keys, new_candidate, paper_text
    from digest.relevance.scoring import RulesError
    from digest.relevance.stream import ensure_thresholds
    from digest.titles import title_key

    suggested = source == READER_SOURCE
    try:
        judgement = ensure_thresholds(database, settings).judge_many([paper_text(paper)], explain_all=True)[0]
    except RulesError as exc:
        raise AddError(str(exc)) from exc
    if not (section or judgement.section or suggested):
        raise AddError(f"no section suggested for {paper.arxiv_id}: name one {section_hint} (nothing was added)")
    with database.transaction(exclusive=True) as session:  # a poll may be storing the same paper: it waits for it
        if title_key(paper.title) in list_keys(session).title_keys:
            raise AddError(f"{paper.arxiv_id} ({paper.title}) is already in the list by its title; nothing was added")
        known = known_candidates(session, [paper.arxiv_id]).get(paper.arxiv_id)
        if known is not None:  # another process found it meanwhile (and may have decided it)
            if suggested:
                _suggested_for_review(known, note, datetime.now(UTC))
            return Stored(known.id, False, known.status)
        candidate = new_candidate(paper, judgement, source, datetime.now(UTC))
        if suggested:
            candidate.relevant = True
            candidate.reader_note = _note(note)
        session.add(candidate)
        session.flush()
        return Stored(candidate.id, True, candidate.status)


def forget_candidate(database: Database, candidate_id: int) -> None:
    """Removes a candidate just created when its approval failed, so a refusal leaves nothing behind."""
    from digest.storage.models import Candidate

    with database.transaction() as session:
        candidate = session.get(Candidate, candidate_id)
        if candidate is not None:
            session.delete(candidate)


def _note(note: str | None) -> str | None:
    """A reader's note as maintainers see it: one line, without the controls and bidi overrides the text policy
    (digest.text) keeps out of every page, at most MAX_NOTE characters."""
    return one_line(note or "")[:MAX_NOTE].rstrip() or None


def suggest_known(database: Database, arxiv_id: str, note: str | None) -> bool:
    """A reader suggests a paper that is a candidate already. One waiting in the second tier (pending, under the
    review threshold, meant for the weekly digest only) joins the review queue, marked as suggested by a reader with
    the note; True then. A candidate in the queue or decided stays as it is (its note, if it has one, too)."""
    from digest.arxiv.candidates import known_candidates

    with database.transaction() as session:
        candidate = known_candidates(session, [arxiv_id]).get(arxiv_id)
        return candidate is not None and _suggested_for_review(candidate, note, datetime.now(UTC))


def _suggested_for_review(candidate: Candidate, note: str | None, now: datetime) -> bool:
    from digest.storage.models import PENDING

    if candidate.status != PENDING or candidate.relevant:
        return False
    candidate.relevant = True
    candidate.reader_note = candidate.reader_note or _note(note)
    if READER_SOURCE not in candidate.source_feeds:
        candidate.source_feeds = [*candidate.source_feeds, READER_SOURCE]
    candidate.updated_at = now
    return True
