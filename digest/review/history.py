"""The audit log as read by people: each decision joined with its candidate, for `digest history` and /history."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from digest.record_ids import MAX_RECORD_ID
from digest.review.taken_out import taken_out_clause
from digest.storage.models import APPROVED, Candidate, Decision


class UnknownDecisionError(LookupError):
    """A page of the history was asked to start after a decision that does not exist."""


def _listed_at() -> ColumnElement[datetime]:
    """Where a decision falls in the history: its time, or that of an earlier decision on its candidate when that is
    later. Which decision stands is the last made (the highest id, under the candidate's lock), not the latest clock:
    a decision made on a host whose clock is behind, or in the same second, is still listed after the one it
    overturned, so that a candidate's history ends on the decision that stands. Shown times stay as recorded."""
    earlier = aliased(Decision)
    return (
        select(func.max(earlier.at))
        .where(earlier.candidate_id == Decision.candidate_id, earlier.id <= Decision.id)
        .correlate(Decision)
        .scalar_subquery()
    )


def decision_history(
    session: Session,
    since: date | None,
    *,
    newest_first: bool = False,
    limit: int | None = None,
    older_than: int | None = None,
) -> list[tuple[Decision, str, str]]:
    """Each decision from `since` (00:00 UTC) on, oldest first unless `newest_first`, with its candidate's arXiv id
    and title. `older_than` (a decision's id) keeps those listed after it, newest first: the next page. The order is
    time, then id, with a candidate's decisions always in the order they were made (`_listed_at`)."""
    listed_at = _listed_at()
    query = select(Decision, Candidate.arxiv_id, Candidate.title).join(Candidate, Candidate.id == Decision.candidate_id)
    if older_than is not None:
        if not 0 < older_than <= MAX_RECORD_ID:  # no row has it; PostgreSQL would refuse to compare it (32-bit ids)
            raise UnknownDecisionError(older_than)
        at = session.scalar(select(listed_at).select_from(Decision).where(Decision.id == older_than))
        if at is None:
            raise UnknownDecisionError(older_than)
        # The history's own order (time, then id), so that a page starts exactly where the one before ended.
        query = query.where(or_(listed_at < at, and_(listed_at == at, Decision.id < older_than)))
    if newest_first:
        query = query.order_by(listed_at.desc(), Decision.id.desc())
    else:
        query = query.order_by(listed_at, Decision.id)
    if since is not None:  # by the same time as the order: a decision listed after one shown is shown too
        query = query.where(listed_at >= datetime.combine(since, time(), UTC))
    if limit is not None:
        query = query.limit(limit)
    return [(decision, arxiv_id, title) for decision, arxiv_id, title in session.execute(query)]


def action_words(decision: Decision) -> str:
    """'approved into Probing', 'approved into Steering (moved from Attention)', 'rejected', 'back to pending'."""
    what = {"approve": "approved", "reject": "rejected", "revert": "back to pending"}.get(decision.action)
    moved = f" (moved from {decision.moved_from})" if decision.moved_from and decision.applied else ""
    return (what or decision.action) + (f" into {decision.section}" if decision.section else "") + moved


def left_out(session: Session) -> dict[int, str]:
    """The approvals that stand while the list no longer holds their paper, a maintainer having taken it out by hand
    (noted on the candidate: a publish kept the deletion and left the approval out, or brought it in), by decision id:
    'not in the list: Carol had taken it out of the list by hand on ... (commit 1a2b3c4d5e6f)'."""
    noted = {
        candidate.id: candidate
        for candidate in session.scalars(
            select(Candidate).where(Candidate.status == APPROVED, Candidate.taken_out_at.is_not(None))
        )
    }
    if not noted:
        return {}
    standing = session.execute(  # the decision that stands: the newest applied one (queries.latest_decision)
        select(Decision.candidate_id, func.max(Decision.id))
        .where(Decision.candidate_id.in_(list(noted)), Decision.applied.is_(True))
        .group_by(Decision.candidate_id)
    )
    return {
        decision_id: f"not in the list: {taken_out_clause(noted[candidate_id])}"
        for candidate_id, decision_id in standing
    }


def standing_decisions(session: Session, candidate_ids: list[int]) -> dict[int, Decision]:
    """The decision that stands for each decided candidate named (the newest applied one, as
    queries.latest_decision), by candidate id, read at once: `digest candidates` says who decided each."""
    if not candidate_ids:
        return {}
    newest = (
        select(func.max(Decision.id))
        .where(Decision.applied.is_(True))
        .group_by(Decision.candidate_id)
        .scalar_subquery()
    )
    wanted = set(candidate_ids)
    found = session.scalars(select(Decision).where(Decision.id.in_(newest)))
    return {decision.candidate_id: decision for decision in found if decision.candidate_id in wanted}
