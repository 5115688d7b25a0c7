"""Pending candidates whose paper the list's text holds once it came in (`digest list import`, a publish's pull of the
repository's file): one rule for both. The paper is in the list, so its candidate no longer waits for review: it is
recorded as approved into the section holding it, its entry taken as the approval's (a later reject or revert takes
it out of the list, as for any approval), and the history says how it got there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.awesome.holding import sections_holding_papers
from digest.review.applying import record_decision
from digest.review.rules import Actor
from digest.storage.models import APPROVED, PENDING, Candidate, Decision, Paper
from digest.vocab import LIST_IMPORT as LIST_IMPORT
from digest.vocab import PUBLISH_PULL as PUBLISH_PULL
from digest.vocab import Action, Channel


@dataclass(frozen=True)
class Settled:
    """A pending candidate the list now holds: recorded as approved into `section`."""

    candidate_id: int
    arxiv_id: str
    section: str

    def line(self) -> str:
        return f"candidate {self.candidate_id} ({self.arxiv_id}) is in the list now ({self.section}): no longer pending"


def settle_listed(session: Session, now: datetime, how: str) -> list[Settled]:
    """Each pending candidate whose paper the list holds, approved into the first section holding it, by `how`
    (LIST_IMPORT, PUBLISH_PULL); in the caller's transaction, with a decision in the history for each."""
    # Found in one query, loading only the few the list holds: a database may keep tens of thousands pending.
    named = or_(
        Paper.arxiv_id == Candidate.arxiv_id, and_(Paper.arxiv_id.is_(None), Paper.title_key == Candidate.title_key)
    )
    listed = select(Candidate.id).join(Paper, named).where(Candidate.status == PENDING, Paper.entries.any())
    pending = list(session.scalars(select(Candidate).where(Candidate.id.in_(listed)).order_by(Candidate.id)))
    if not pending:
        return []
    held = liststore.sections_holding_each(session, [(c.arxiv_id, c.title_key) for c in pending])
    actor = Actor(name=how, id=None, channel=Channel.CLI)
    settled = []
    for candidate in pending:
        sections = held.get(candidate.arxiv_id)
        if not sections:
            continue
        section = sections[0]
        papers = sections_holding_papers(
            session, sorted(liststore.paper_ids(session, candidate.arxiv_id, candidate.title_key))
        )
        record_decision(candidate, APPROVED, actor, section, now)
        candidate.paper_id = next((paper for paper, where in papers.items() if section in where), None)
        session.add(
            Decision(
                candidate_id=candidate.id, action=Action.APPROVE, section=section[:200], actor=how, actor_id=None,
                channel=Channel.CLI, at=now, applied=True,
            )
        )  # fmt: skip
        settled.append(Settled(candidate.id, candidate.arxiv_id, section))
    return settled
