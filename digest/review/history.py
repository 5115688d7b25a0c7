"""The audit log as read by people: each decision joined with its candidate, for `digest history` and /history."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.storage.models import Candidate, Decision


def decision_history(
    session: Session, since: date | None, *, newest_first: bool = False, limit: int | None = None
) -> list[tuple[Decision, str, str]]:
    """Each decision from `since` (00:00 UTC) on, oldest first unless `newest_first`, with its candidate's arXiv id
    and title."""
    query = select(Decision, Candidate.arxiv_id, Candidate.title).join(Candidate, Candidate.id == Decision.candidate_id)
    if newest_first:
        query = query.order_by(Decision.at.desc(), Decision.id.desc())
    else:
        query = query.order_by(Decision.at, Decision.id)
    if since is not None:
        query = query.where(Decision.at >= datetime.combine(since, time(), UTC))
    if limit is not None:
        query = query.limit(limit)
    return [(decision, arxiv_id, title) for decision, arxiv_id, title in session.execute(query)]


def action_words(decision: Decision) -> str:
    """'approved into Probing', 'rejected', 'back to pending'."""
    what = {"approve": "approved", "reject": "rejected", "revert": "back to pending"}.get(decision.action)
    return (what or decision.action) + (f" into {decision.section}" if decision.section else "")
