"""Adding a paper by its arXiv ID or URL: parse the reference, check the list, fetch it from the arXiv API, score it
and keep it as a candidate. Shared by `digest add`, the field on /review and the readers' /suggest form; each shell
then approves (maintainers) or leaves it pending (readers) through the Reviewer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

# The reference rule lives in digest/arxiv_references.py (a pure leaf); every shell still imports it from here.
from digest.arxiv_references import parse_arxiv_reference as parse_arxiv_reference
from digest.arxiv_references import unissued_reason
from digest.text import one_line, quoted, readable_section
from digest.vocab import ADDED_SOURCE, READER_SOURCE

if TYPE_CHECKING:  # the database, the model and the fetcher are imported when a paper is added, not by `--help`
    from sqlalchemy.orm import Session

    from digest.arxiv.parse import ArxivPaper
    from digest.config import Settings
    from digest.storage.db import Database
    from digest.storage.models import Candidate

EXAMPLE = "give one like 2501.01234, arXiv:2501.01234, hep-th/9901001 or https://arxiv.org/abs/2501.01234"
MAX_NOTE = 1000


def reference_refused(text: str, *, quote: bool = False, escape: Callable[[str], str] = str) -> str:
    """The one line a person is told when what they typed names no paper: what is wrong with an ID arXiv cannot have
    issued (as `digest add` and lint say it, naming the ID), or that it is no ID at all. `quote`: that line names what
    was typed too, cut short (a page's 400 escapes it as all text; Discord's answer passes it through `escape`, its
    Markdown and mentions)."""
    why = unissued_reason(text[:300])
    if why is not None:
        return f"That is no ID arXiv can have issued: {why}."
    if quote and one_line(text):
        return f"{escape(quoted(text))} is not an arXiv ID or URL: {EXAMPLE}."
    return f"That is not an arXiv ID or URL: {EXAMPLE}."


class AddError(Exception):
    """Why a paper was not added, in one line a user can act on; `status` is the HTTP status a page answers with."""

    def __init__(self, message: str, status: int = 409, *, title: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.title = title  # arXiv's text the message quotes in parentheses: a channel with markup escapes it

    def shown(self, escape: Callable[[str], str]) -> str:
        """The message with the arXiv title it quotes passed through `escape` (Discord's Markdown and mentions)."""
        message = str(self)
        if self.title is None:
            return message
        return message.replace(f"({self.title})", f"({escape(self.title)})", 1)


@dataclass(frozen=True)
class Known:
    """What the database already holds for a paper: the list's sections holding it (None when the list does not),
    and its candidate's id, status and version (None when there is none), and whether that candidate is of the review
    queue's tier (False: the second tier's, or none)."""

    listed: list[str] | None
    candidate_id: int | None
    status: str | None
    relevant: bool = False
    version: int | None = None

    @property
    def suggestion_adds(self) -> bool:
        """Whether a reader's suggestion of it may ask arXiv or add to the review queue: a paper new here, or one
        waiting in the second tier. One the list holds, one in the queue or decided is answered from the database."""
        from digest.storage.models import PENDING

        if self.listed is not None:
            return False
        return self.candidate_id is None or (self.status == PENDING and not self.relevant)


@dataclass(frozen=True)
class Stored:
    """The candidate a paper is kept as: its id, and whether this call made it (False: another process, a poll, a
    reader or another maintainer, stored the paper while it was being fetched; `status` is then its status)."""

    candidate_id: int
    created: bool
    status: str


def listed_sections(session: Session, arxiv_id: str) -> list[str] | None:
    """The sections holding the paper with this arXiv ID (title link, badge or other link), or None when the list
    does not hold it."""
    from digest.awesome import store as liststore

    if arxiv_id not in liststore.known_keys(session).arxiv_ids:
        return None
    return liststore.sections_holding(session, arxiv_id)


def already_listed(arxiv_id: str, sections: list[str]) -> str:
    where = f" ({', '.join(map(readable_section, sections))})" if sections else ""
    return f"{arxiv_id} is already in the list{where}; nothing was added"


def known_paper(database: Database, arxiv_id: str, section: str | None) -> Known:
    """What is known of the paper; AddError when `section` names no section of the list."""
    from digest.arxiv.candidates import known_candidates
    from digest.awesome import store as liststore

    with database.reading() as session:
        if section is not None and liststore.resolve_section(session, section) is None:
            raise AddError(liststore.unknown_section(session, section))
        existing = known_candidates(session, [arxiv_id]).get(arxiv_id)
        return Known(
            listed=listed_sections(session, arxiv_id),
            candidate_id=existing.id if existing is not None else None,
            status=existing.status if existing is not None else None,
            relevant=existing is not None and bool(existing.relevant),
            version=existing.version if existing is not None else None,
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
    source: str = ADDED_SOURCE,
    note: str | None = None,
    section_hint: str = "with --section",
    name_sections: bool = False,
) -> Stored:
    """Scores the paper and keeps it as a pending candidate (the poller's row, `source` as its feed).

    A reader's suggestion (`note` may be given) is queued as a first-tier candidate even when the model would not
    flag it, and needs no section: a maintainer chooses one when deciding. With `name_sections`, a paper that needs
    a section and is suggested none is refused naming the list's sections, as `digest approve` names them.
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
        if name_sections:
            from digest.awesome import store as liststore

            with database.reading() as session:
                names = ", ".join(liststore.section_names(session))
            raise AddError(f"no section suggested for {paper.arxiv_id}: name one {section_hint} (sections: {names}); "
                           "nothing was added")  # fmt: skip
        raise AddError(f"no section suggested for {paper.arxiv_id}: name one {section_hint} (nothing was added)")
    with database.transaction(exclusive=True) as session:  # a poll may be storing the same paper: it waits for it
        if title_key(paper.title) in list_keys(session).title_keys:
            raise AddError(
                f"{paper.arxiv_id} ({paper.title}) is already in the list by its title; nothing was added",
                title=paper.title,
            )
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
