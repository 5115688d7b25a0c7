"""What the list holds and links, by arXiv ID and by title: what the poll does not suggest again, and what it tells
of when arXiv withdraws or retitles it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from digest.awesome.blocks import shown_text
from digest.awesome.meta import list_meta
from digest.storage.models import Entry, Paper, Section
from digest.titles import arxiv_id_from_url, linked_arxiv_ids


@dataclass
class KnownKeys:
    arxiv_ids: set[str]
    title_keys: set[str]  # only papers WITHOUT an arXiv ID (blog posts, OpenReview/AAAI-only papers)


def linked_ids(session: Session) -> set[str]:
    """Every arXiv ID the list's text links, in its entries or not ('- A title [[Paper]](https://arxiv.org/abs/...)',
    a line the reading takes for text): papers the maintainers listed, which the poll does not suggest again. Only
    the text GitHub shows: a link in an HTML comment (an entry commented out until its link works) or in code (an
    example of an entry's form) lists no paper, and the poll suggests it as any other."""
    meta = list_meta(session)
    texts = [meta.get("preamble", ""), meta.get("trailer", ""), *session.scalars(select(Section.intro_raw))]
    # Piece by piece: the reading never starts a section or an entry inside a comment or a fence, so none spans two.
    return linked_arxiv_ids("\n".join(shown_text(text) for text in [*texts, *session.scalars(select(Entry.raw))]))


def known_keys(session: Session) -> KnownKeys:
    """What the list already holds, for dedupe: arXiv IDs (title links, badges, other URLs) and bare titles."""
    arxiv_ids: set[str] = set()
    title_keys: set[str] = set()
    query = select(Paper).where(Paper.entries.any()).options(selectinload(Paper.entries))
    for paper in session.scalars(query):
        ids = {paper.arxiv_id} | {arxiv_id_from_url(u) for u in paper.other_urls}
        ids |= {e.badge_arxiv_id for e in paper.entries}
        found = {i for i in ids if i}
        arxiv_ids |= found
        if not paper.arxiv_id:
            title_keys.add(paper.title_key)
    return KnownKeys(arxiv_ids=arxiv_ids, title_keys=title_keys)
