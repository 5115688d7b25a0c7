"""What `digest candidates` lists: the candidates (the second tier on asking), each as a dict for `--json`."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from digest.arxiv.papers import says_withdrawn
from digest.clock import as_utc
from digest.storage.models import PENDING, Candidate, in_second_tier
from digest.storage.poll_state import PollRun
from digest.titles import arxiv_abs_url
from digest.vocab import BACKFILL_SOURCE, NOT_POLLED_SOURCES


def list_candidates(session: Session, status: str | None = None, second_tier: bool = False) -> list[Candidate]:
    """Newest poll first, then by score as on /review (one poll stores each source's papers a moment apart, and they
    came out in source order); a paper found outside a poll (`digest add`, a backfill) counts as a poll of its own.
    A pending paper of the second tier (just under the review threshold, kept for the weekly digest) is left out
    unless `second_tier`, as on /review and in Discord: it waits for no one's review. A pending paper a new version
    put below both tiers is left out too, unless arXiv withdrew it: it is listed, marked so."""
    query = select(Candidate)
    if status is not None:
        query = query.where(Candidate.status == status)
    shown = or_(Candidate.status != PENDING, Candidate.relevant.is_(True), Candidate.below_tiers.is_(True))
    query = query.where(or_(shown, in_second_tier()) if second_tier else shown)
    found = [candidate for candidate in session.scalars(query) if not _below_tiers(candidate) or withdrawn(candidate)]
    runs = session.execute(select(PollRun.started_at, PollRun.finished_at).order_by(PollRun.started_at)).all()
    starts = [as_utc(start) for start, _ in runs]
    ends = [as_utc(end) if end is not None else None for _, end in runs]
    return sorted(found, key=lambda one: (-_found_at(one, starts, ends), -one.score, one.id))


def _found_at(candidate: Candidate, starts: Sequence[datetime], ends: Sequence[datetime | None]) -> float:
    """When the poll that found `candidate` started (`starts` in order, each run's end, None while it runs or when a
    killed process left it so), else when it was first seen: as a timestamp, the key the newest first order sorts by.

    Only a poll's find is taken into a run: a paper added by hand, suggested by a reader or backfilled while a poll
    ran is not that poll's. So a run a killed process left unfinished takes in no later find either: a later poll's
    finds are in the run that poll started."""
    seen = as_utc(candidate.first_seen_at)
    if not polled(candidate.source_feeds):
        return seen.timestamp()
    index = bisect_right(starts, seen) - 1
    end = ends[index] if index >= 0 else None
    if index >= 0 and (end is None or seen <= end):
        return starts[index].timestamp()
    return seen.timestamp()


def polled(sources: Sequence[str]) -> bool:
    """Whether a candidate's sources (the first is the one that found it) say a poll found it; a row naming none is
    taken for a poll's, as before sources were kept."""
    first = sources[0] if sources else ""
    return first not in NOT_POLLED_SOURCES and not first.startswith(BACKFILL_SOURCE)


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
