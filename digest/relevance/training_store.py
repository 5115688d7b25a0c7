"""Imported decisions in the database (`training_decisions`): written in the caller's transaction, and read back.

They train the relevance model and never touch the list; a paper imported again replaces its earlier import.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.relevance.training import ImportedDecision
from digest.relevance.why import EarlierVerdict
from digest.storage.models import APPROVED, PENDING, REJECTED, Candidate, Entry, Paper
from digest.storage.state import TrainingDecision

SOURCE_MAX = 1000  # TrainingDecision.source is String(1000): PostgreSQL refuses longer strings
_IDS_PER_QUERY = 500  # well under every database's limit on bound parameters


@dataclass(frozen=True)
class StoreReport:
    inserted: int
    replaced: int


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), _IDS_PER_QUERY):
        yield ids[start : start + _IDS_PER_QUERY]


def _stored(session: Session, arxiv_ids: Iterable[str], *, for_update: bool) -> dict[str, TrainingDecision]:
    found: dict[str, TrainingDecision] = {}
    for chunk in _chunks(sorted(set(arxiv_ids))):
        query = select(TrainingDecision).where(TrainingDecision.arxiv_id.in_(chunk))
        if for_update:
            query = query.with_for_update()  # PostgreSQL: a concurrent import waits; SQLite took the lock at BEGIN
        found.update((row.arxiv_id, row) for row in session.scalars(query))
    return found


def imported_ids(session: Session, arxiv_ids: Iterable[str]) -> set[str]:
    """Which of these papers already have an imported decision (what an import would replace)."""
    return set(_stored(session, arxiv_ids, for_update=False))


def earlier_verdicts(session: Session, arxiv_ids: Iterable[str]) -> dict[str, EarlierVerdict]:
    """The imported verdicts on these papers, by arXiv ID: what a poll that meets them says of them."""
    return {
        arxiv_id: EarlierVerdict(row.approved, row.section, row.source)
        for arxiv_id, row in _stored(session, arxiv_ids, for_update=False).items()
    }


def listed_ids(session: Session, arxiv_ids: Iterable[str]) -> set[str]:
    """Which of these papers the list holds (the list stands over an imported verdict on them)."""
    found: set[str] = set()
    for chunk in _chunks(sorted(set(arxiv_ids))):
        query = select(Paper.arxiv_id).join(Entry, Entry.paper_id == Paper.id).where(Paper.arxiv_id.in_(chunk))
        found.update(arxiv_id for arxiv_id in session.scalars(query) if arxiv_id)
    return found


def review_verdicts(session: Session, arxiv_ids: Iterable[str]) -> dict[str, bool]:
    """Which of these papers have a candidate approved (True) or rejected (False) in review: that decision stands over
    an imported verdict on the same paper (relevance.gathering.feedback_examples)."""
    found: dict[str, bool] = {}
    decided = Candidate.status.in_((APPROVED, REJECTED))
    for chunk in _chunks(sorted(set(arxiv_ids))):
        query = select(Candidate.arxiv_id, Candidate.status).where(Candidate.arxiv_id.in_(chunk), decided)
        found.update((arxiv_id, status == APPROVED) for arxiv_id, status in session.execute(query))
    return found


def store_decisions(session: Session, decisions: Sequence[ImportedDecision], source: str, now: datetime) -> StoreReport:
    """Insert or replace one row per decision (select, then update or insert: portable SQL, no dialect upsert)."""
    existing = _stored(session, (decision.arxiv_id for decision in decisions), for_update=True)
    for decision in decisions:
        row = existing.get(decision.arxiv_id)
        if row is None:
            row = TrainingDecision(arxiv_id=decision.arxiv_id)
            session.add(row)
        row.title = decision.title
        row.abstract = decision.abstract
        row.approved = decision.approved
        row.section = decision.section
        row.source = source[:SOURCE_MAX]
        row.imported_at = now
    session.flush()
    return StoreReport(inserted=len(decisions) - len(existing), replaced=len(existing))


def list_decisions(session: Session) -> list[TrainingDecision]:
    """Every imported decision, the most recently imported first (one import's papers by arXiv ID)."""
    query = select(TrainingDecision).order_by(TrainingDecision.imported_at.desc(), TrainingDecision.arxiv_id)
    return list(session.scalars(query))


def pending_candidates(session: Session, arxiv_ids: Iterable[str]) -> dict[str, Candidate]:
    """The pending candidates of these papers, by arXiv ID: an import brings their cards its verdict."""
    found: dict[str, Candidate] = {}
    for chunk in _chunks(sorted(set(arxiv_ids))):
        query = select(Candidate).where(Candidate.arxiv_id.in_(chunk), Candidate.status == PENDING)
        found.update((candidate.arxiv_id, candidate) for candidate in session.scalars(query))
    return found


def mark_pending(session: Session, decisions: Sequence[ImportedDecision], source: str) -> set[str]:
    """Each pending candidate of these papers shows the imported verdict on its card (/review, Discord, `digest
    candidates`), as a poll that met the paper after the import would say it; it stays pending: a maintainer decides
    it, the import does not (a reject too: it is not a decision in review). Returns the arXiv IDs marked."""
    pending = pending_candidates(session, (decision.arxiv_id for decision in decisions))
    for decision in decisions:
        candidate = pending.get(decision.arxiv_id)
        if candidate is not None:
            earlier = EarlierVerdict(decision.approved, decision.section, source[:SOURCE_MAX])
            candidate.why = {**(candidate.why or {}), "earlier": earlier.to_json()}
    session.flush()
    return set(pending)
