"""Approved papers a maintainer took out of the list by hand (a publish's pull of the repository's file, a `digest list
import`): noted on the candidate when an import takes the paper's last entry out, so that an approval putting it back
says whose deletion it undoes, when and how; said once, the note then goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from digest.review.rules import Outcome
from digest.storage.models import APPROVED, Candidate, Paper
from digest.text import one_line
from digest.vocab import Action


@dataclass(frozen=True)
class TakenOut:
    """Who took a paper out of the list by hand (None: not known), when, and how ('commit 1a2b3c4d5e6f')."""

    at: datetime
    by: str | None
    how: str


# The hand deletion of a paper, by its arXiv ID, as the list's history tells it (a publish asks git); None: not found.
Finder = Callable[[str], TakenOut | None]


def approved_listed(session: Session) -> set[int]:
    """The approved candidates whose paper the list holds (an entry in any section), by id."""
    named = or_(
        Paper.arxiv_id == Candidate.arxiv_id, and_(Paper.arxiv_id.is_(None), Paper.title_key == Candidate.title_key)
    )
    query = select(Candidate.id).join(Paper, named).where(Candidate.status == APPROVED, Paper.entries.any())
    return set(session.scalars(query))


def note_taken_out(session: Session, listed_before: set[int], fallback: TakenOut, found: Finder | None = None) -> int:
    """Notes on each approved candidate of `listed_before` that the list no longer holds who took it out (`found`, else
    `fallback`); in the caller's transaction, after the import. How many were noted."""
    gone = listed_before - approved_listed(session)
    noted = 0
    for candidate in session.scalars(select(Candidate).where(Candidate.id.in_(gone), Candidate.status == APPROVED)):
        taken = (found(candidate.arxiv_id) if found is not None else None) or fallback
        candidate.taken_out_at, candidate.taken_out_in = taken.at, taken.how[:200]
        candidate.taken_out_by = one_line(taken.by)[:200] if taken.by else None
        noted += 1
    return noted


def taken_out_clause(candidate: Candidate) -> str:
    """'Carol had taken it out of the list by hand on 2026-11-25 09:30 UTC (commit 1a2b3c4d5e6f)'; '' when no hand
    deletion is noted."""
    if candidate.taken_out_at is None:
        return ""
    who = candidate.taken_out_by or "a maintainer"
    how = f" ({candidate.taken_out_in})" if candidate.taken_out_in else ""
    return f"{who} had taken it out of the list by hand on {candidate.taken_out_at:%Y-%m-%d %H:%M} UTC{how}"


def undone_deletion(candidate: Candidate, action: str, outcome: Outcome) -> Outcome:
    """A decision that changed a paper noted as taken out by hand: an approval (which puts it back) says whose
    deletion it undoes; the note goes either way (no longer news)."""
    if not outcome.changed or candidate.taken_out_at is None:
        return outcome
    if action == Action.APPROVE:
        outcome = replace(outcome, message=f"{outcome.message}; {taken_out_clause(candidate)}")
    candidate.taken_out_at = candidate.taken_out_by = candidate.taken_out_in = None
    return outcome
