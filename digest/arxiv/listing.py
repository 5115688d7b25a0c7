"""What `digest candidates` lists: the candidates (the second tier on asking), each as a dict for `--json`."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from digest.arxiv.papers import says_withdrawn
from digest.storage.models import PENDING, Candidate, in_second_tier
from digest.titles import arxiv_abs_url


def list_candidates(session: Session, status: str | None = None, second_tier: bool = False) -> list[Candidate]:
    """Newest first. A pending paper of the second tier (just under the review threshold, kept for the weekly digest)
    is left out unless `second_tier`, as on /review and in Discord: it waits for no one's review. A pending paper a
    new version put below both tiers is left out too, unless arXiv withdrew it: it is listed, marked so."""
    query = select(Candidate).order_by(Candidate.first_seen_at.desc(), Candidate.score.desc(), Candidate.id)
    if status is not None:
        query = query.where(Candidate.status == status)
    shown = or_(Candidate.status != PENDING, Candidate.relevant.is_(True), Candidate.below_tiers.is_(True))
    query = query.where(or_(shown, in_second_tier()) if second_tier else shown)
    return [candidate for candidate in session.scalars(query) if not _below_tiers(candidate) or withdrawn(candidate)]


def _below_tiers(candidate: Candidate) -> bool:
    return candidate.status == PENDING and not candidate.relevant and candidate.below_tiers


def withdrawn(candidate: Candidate) -> bool:
    """Whether the version the candidate holds is arXiv's notice that the paper was withdrawn."""
    return says_withdrawn(candidate.abstract, candidate.comments)


def second_tier_waiting(session: Session) -> int:
    """How many pending papers of the second tier list_candidates leaves out by default."""
    query = select(func.count()).select_from(Candidate).where(in_second_tier())
    return session.scalar(query) or 0


def candidate_dict(candidate: Candidate) -> dict[str, object]:
    return {
        "id": candidate.id,
        "candidate_id": candidate.id,  # as `history --json` and `poll --json` name it
        "arxiv_id": candidate.arxiv_id,
        "version": candidate.version,
        "announce_type": candidate.announce_type,  # as first found: `replace` is a new version of an older paper
        "title": candidate.title,
        "status": candidate.status,
        "score": candidate.score,
        "matched": list(candidate.matched),
        "suggested_section": candidate.suggested_section,
        "suggested_sections": list(candidate.suggested_sections),
        "tier": "review" if candidate.relevant else None if candidate.below_tiers else "second",
        "withdrawn": withdrawn(candidate),  # the version held says arXiv withdrew the paper: for nobody's review
        "source_feeds": list(candidate.source_feeds),
        "first_seen_at": candidate.first_seen_at.isoformat() if candidate.first_seen_at else None,
        "abs_url": arxiv_abs_url(candidate.arxiv_id),
    }
