"""Papers in the list that a new version on arXiv retitles: the poll says so, and `digest candidates` shows it, since
the list's text is its maintainers' and keeps the title they gave it (as withdrawn.py does for withdrawn papers)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.arxiv.notices import record_told, untold
from digest.storage.models import Paper
from digest.text import quoted
from digest.titles import title_key
from digest.vocab import Notice

if TYPE_CHECKING:
    from digest.arxiv.parse import ArxivPaper

TITLE_SHOWN = 100  # characters of each title in the line: two titles and an ID stay one readable line
_IN_CHUNK = 500  # stay under every database's bound-parameter limit


def list_titles(session: Session, arxiv_ids: Iterable[str]) -> dict[str, str]:
    """The list's title of each of these papers the list holds (by the arXiv ID of its title link)."""
    wanted = sorted(set(arxiv_ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        query = select(Paper.arxiv_id, Paper.title).where(
            Paper.arxiv_id.in_(wanted[start : start + _IN_CHUNK]), Paper.entries.any()
        )
        found.update({arxiv_id: title for arxiv_id, title in session.execute(query) if arxiv_id})
    return found


def retitled(in_list: str, on_arxiv: str) -> bool:
    """Whether arXiv's title is another than the list's (case, accents, punctuation and spacing aside)."""
    return title_key(in_list) != title_key(on_arxiv)


def retitled_line(arxiv_id: str, in_list: str, on_arxiv: str) -> str:
    """One line naming both titles, each on one line, its invisible characters blanked, and cut."""
    listed, now = quoted(in_list, TITLE_SHOWN), quoted(on_arxiv, TITLE_SHOWN)
    return f"{arxiv_id} is in the list as {listed}; arXiv now titles it {now}"


def retitled_in_list(session: Session, papers: Sequence[ArxivPaper], now: datetime) -> list[str]:
    """One line for each paper of `papers` the list holds that arrives as a new version titled otherwise than the list
    has it, once for each version (notices.py; kept as told); not when a candidate of the paper holds this version
    already (told before) or held its title already (a title the maintainers wrote their own way, which this version
    does not change)."""
    from digest.arxiv.candidates import known_candidates  # the poll's own: `digest candidates` needs only list_titles

    versions = {paper.arxiv_id: paper for paper in papers if _new_version(paper)}
    titles = list_titles(session, versions)
    found = known_candidates(session, titles) if titles else {}
    told = []
    for paper in untold(session, Notice.RETITLED, [versions[arxiv_id] for arxiv_id in titles]):
        candidate = found.get(paper.arxiv_id)
        if not retitled(titles[paper.arxiv_id], paper.title):
            continue
        if candidate is not None and (
            candidate.version >= (paper.version or 0) or not retitled(candidate.title, paper.title)
        ):
            continue
        told.append(paper)
    record_told(session, Notice.RETITLED, told, now)
    return [retitled_line(paper.arxiv_id, titles[paper.arxiv_id], paper.title) for paper in told]


def _new_version(paper: ArxivPaper) -> bool:
    """A feed's `replace` announcement, or an API answer's (a poll's query, a backfill) version after the first."""
    if paper.announce_type is None:
        return (paper.version or 0) > 1
    return paper.announce_type in ("replace", "replace-cross")
