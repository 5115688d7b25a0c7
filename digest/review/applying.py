"""What a decision does to a candidate and to the list: its status recorded, its entry added or taken out again, and the
outcome reported. Used by the reviewer inside its transaction, and by the publisher's replay of pending approvals.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.review.rules import Actor, Outcome, ReviewError, short_name_for
from digest.storage.models import APPROVED, Candidate, Entry
from digest.titles import arxiv_abs_url


def record_decision(candidate: Candidate, status: str, actor: Actor, section: str | None, now: datetime) -> None:
    candidate.status = status
    candidate.decided_at = now
    candidate.decided_by = actor.name[:200]
    candidate.decided_section = section
    candidate.updated_at = now


def remove_approval_entry(session: Session, candidate: Candidate, now: datetime, *, keeping: str | None = None) -> bool:
    """Undoes an earlier approval: the entry it added leaves the list (the paper row stays for history). An
    approval into `keeping` keeps the paper's entry there (moved there by hand: the maintainer's lines stay);
    True when that entry is the approval's own, kept where the hand move put it."""
    if candidate.status != APPROVED or candidate.paper_id is None or not candidate.decided_section:
        return False
    if liststore.remove_paper_entry(
        session, paper_id=candidate.paper_id, section_name=candidate.decided_section, now=now
    ):
        return False
    # The section it went into was renamed since, or the entry moved to another one (a hand edit imported): its
    # entry is found by the paper. One entry is this approval's; with several (the paper also listed by hand)
    # which one is unknown, so nothing is decided rather than a decision logged while the list keeps the paper.
    holding = liststore.sections_holding(session, paper_id=candidate.paper_id)
    held = [name for name in holding if name != keeping]
    if len(held) > 1:
        raise ReviewError(
            f"candidate {candidate.id}: its entry is no longer in the section it was approved into "
            f"({candidate.decided_section}) and the paper is in {', '.join(held)}; take it out of the list by hand "
            "(`digest list import`)"
        )
    if held:
        liststore.remove_paper_entry(session, paper_id=candidate.paper_id, section_name=held[0], now=now)
    return not held and keeping in holding


def add_candidate_entry(
    session: Session, candidate: Candidate, section: str, now: datetime, templates_dir: Path
) -> Entry:
    """The candidate's entry in `section`, written as an approval writes it (a paper already there is left as is)."""
    return liststore.add_paper_entry(
        session,
        section_name=section,
        title=candidate.title,
        arxiv_id=candidate.arxiv_id,
        url=arxiv_abs_url(candidate.arxiv_id),
        code_url=candidate.code_url,
        published=candidate.published.date() if candidate.published else None,
        authors=list(candidate.authors),
        abstract=candidate.abstract,
        short_name=short_name_for(candidate.title),
        now=now,
        templates_dir=templates_dir,
    )


def outcome_of(
    candidate: Candidate, action: str, actor: Actor, changed: bool, message: str, chosen: str | None = None
) -> Outcome:
    """What a decision did, with the candidate's status as it now stands."""
    return Outcome(
        candidate_id=candidate.id,
        arxiv_id=candidate.arxiv_id,
        action=action,
        status=candidate.status,
        section=chosen if chosen is not None else candidate.decided_section,
        changed=changed,
        message=message,
        actor=actor,
    )
