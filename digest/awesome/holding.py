"""Which sections of the list hold given papers, by the sections' labels: read-only queries that load no templates
(`digest candidates` reads them, and must start without Jinja)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from digest.awesome.labelled import Labelled, labelled_or_read
from digest.storage.models import Entry, Paper, Section


def sections_holding_each(
    session: Session, papers: Sequence[tuple[str, str | None]], labelled: Labelled | None = None
) -> dict[str, list[str]]:
    """`sections_holding` for many papers (arXiv ID, title key) in one query, by arXiv ID: a page of 200 cards asks for
    each. Papers the list does not hold are left out. `labelled`: the list's sections, when read already."""
    ids = {arxiv_id for arxiv_id, _ in papers}
    by_title = {key: arxiv_id for arxiv_id, key in papers if key}
    named = or_(Paper.arxiv_id.in_(ids), and_(Paper.arxiv_id.is_(None), Paper.title_key.in_(by_title)))
    rows = session.execute(
        select(Paper.arxiv_id, Paper.title_key, Section.id, Section.name)
        .join(Entry, Entry.paper_id == Paper.id)
        .join(Section, Section.id == Entry.section_id)
        .where(named)
        .order_by(Section.position)
    )
    labels = {section.id: label for section, label in labelled_or_read(session, labelled)}
    found: dict[str, list[str]] = {}
    for arxiv_id, key, section_id, name in rows:
        held = found.setdefault(arxiv_id or by_title[key], [])
        if (label := labels.get(section_id, name)) not in held:
            held.append(label)
    return found


def sections_holding_papers(
    session: Session, paper_ids: Sequence[int], labelled: Labelled | None = None
) -> dict[int, list[str]]:
    """`sections_holding` for many papers by their ids, in one query: the labels of the sections holding each, in the
    list's order. Papers the list does not hold are left out. `labelled`: the list's sections, when read already."""
    rows = session.execute(
        select(Entry.paper_id, Section.id, Section.name)
        .join(Section, Section.id == Entry.section_id)
        .where(Entry.paper_id.in_(set(paper_ids)))
        .order_by(Section.position)
    )
    labels = {section.id: label for section, label in labelled_or_read(session, labelled)}
    found: dict[int, list[str]] = {}
    for paper_id, section_id, name in rows:
        held = found.setdefault(paper_id, [])
        if (label := labels.get(section_id, name)) not in held:
            held.append(label)
    return found
