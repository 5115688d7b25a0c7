"""What the polls told the maintainers of the list's papers that arXiv changed (withdrawn.py, retitled.py): each
version once, whichever day's feed, category or API answer brings it again (a paper from the seed list has no
candidate row to say it was told)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.arxiv.papers import says_withdrawn
from digest.storage.poll_state import ListNotice
from digest.vocab import Notice

if TYPE_CHECKING:
    from digest.arxiv.parse import ArxivPaper

_IN_CHUNK = 500  # stay under every database's bound-parameter limit


def untold(session: Session, notice: Notice, papers: Sequence[ArxivPaper]) -> list[ArxivPaper]:
    """Those of `papers` this was not told of in their version or a later one (a feed naming no version: once)."""
    wanted = sorted({paper.arxiv_id for paper in papers})
    told: dict[str, int] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        query = select(ListNotice.arxiv_id, ListNotice.version).where(
            ListNotice.notice == notice, ListNotice.arxiv_id.in_(wanted[start : start + _IN_CHUNK])
        )
        told.update({arxiv_id: version for arxiv_id, version in session.execute(query)})
    return [paper for paper in papers if paper.arxiv_id not in told or told[paper.arxiv_id] < (paper.version or 0)]


def record_told(session: Session, notice: Notice, papers: Sequence[ArxivPaper], now: datetime) -> None:
    """Keeps that this was told of these papers' versions, in the transaction that stores what the answer brought."""
    for paper in papers:
        row = session.get(ListNotice, (paper.arxiv_id, str(notice)))
        if row is None:
            row = ListNotice(arxiv_id=paper.arxiv_id, notice=notice, version=paper.version or 0, told_at=now)
            session.add(row)
        else:
            row.version, row.told_at = max(row.version, paper.version or 0), now
        # A later change of the paper is a new notice on /review, whoever dismissed the one before.
        row.title, row.comment, row.changed_at = paper.title, _said(notice, paper), paper.updated or paper.published
        row.dismissed_by = row.dismissed_at = None


def _said(notice: Notice, paper: ArxivPaper) -> str | None:
    """arXiv's own words of the change: the comment (or abstract) that withdraws the paper; none for a new title."""
    if notice != Notice.WITHDRAWN:
        return None
    return paper.comments if says_withdrawn("", paper.comments) else paper.abstract
