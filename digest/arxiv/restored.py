"""Papers in the list that arXiv restores: a version not withdrawn after a withdrawn one was told (withdrawn.py). The
maintainers are told on /review, and the withdrawn notice ends there (review.list_notices), dismissed or not."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.arxiv.notices import record_told
from digest.arxiv.retitled import TITLE_SHOWN
from digest.storage.poll_state import ListNotice
from digest.text import quoted
from digest.vocab import Notice

if TYPE_CHECKING:
    from digest.arxiv.candidates import ListKeys
    from digest.arxiv.parse import ArxivPaper

_IN_CHUNK = 500  # stay under every database's bound-parameter limit


def restored_in_list(session: Session, papers: Sequence[ArxivPaper], keys: ListKeys, now: datetime) -> list[str]:
    """One line for each of the list's papers among `papers` that arrives in a version later than the withdrawn one
    told, and not withdrawn; once for each withdrawal (a restore told already is not told again until a later
    withdrawal). Its title is the feed's: on one line, its invisible characters blanked, and cut."""
    back = {
        paper.arxiv_id: paper
        for paper in papers
        if not paper.withdrawn and paper.version and paper.arxiv_id in keys.arxiv_ids
    }
    wanted = sorted(back)
    told: dict[tuple[str, str], int] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        query = select(ListNotice.arxiv_id, ListNotice.notice, ListNotice.version).where(
            ListNotice.notice.in_([Notice.WITHDRAWN, Notice.RESTORED]),
            ListNotice.arxiv_id.in_(wanted[start : start + _IN_CHUNK]),
        )
        told.update({(arxiv_id, notice): version for arxiv_id, notice, version in session.execute(query)})
    restored = []
    for arxiv_id, paper in back.items():
        withdrawn = told.get((arxiv_id, Notice.WITHDRAWN))
        if withdrawn is None or (paper.version or 0) <= withdrawn:
            continue
        if told.get((arxiv_id, Notice.RESTORED), -1) > withdrawn:  # told of this restore already
            continue
        restored.append(paper)
    record_told(session, Notice.RESTORED, restored, now)
    return [
        f"{paper.arxiv_id} is in the list and no longer withdrawn: arXiv restored it in v{paper.version} as "
        f"{quoted(paper.title, TITLE_SHOWN)}"
        for paper in restored
    ]
