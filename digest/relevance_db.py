"""Gathers the relevance model's examples from the database: the list's papers with their sections and abstracts
(bundled copy, fetched examples, the paper row), and the maintainers' approvals and rejections.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import resources
from digest.models import APPROVED, REJECTED, Candidate, Entry, Paper, RelevanceExample, Section
from digest.settings import Settings
from digest.titles import title_key

if TYPE_CHECKING:
    from digest.relevance import Feedback, LabeledPaper, RelevanceModel

# Sections whose entries are papers about the topic (not blog posts, not prose).
EXAMPLE_KINDS = ("papers", "surveys", "tool")


def bundled_abstracts() -> dict[str, tuple[str, str]]:
    """(title, abstract) of the bundled list papers, by arXiv ID and by normalised title."""
    found: dict[str, tuple[str, str]] = {}
    with resources.curated_papers_path().open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            value = (str(row["title"]), str(row.get("abstract") or ""))
            found[str(row["arxiv_id"])] = value
            titles = row.get("curated_list_title") or []
            for title in [row["title"], *(titles if isinstance(titles, list) else [titles])]:
                if title:
                    found[title_key(str(title))] = value
    return found


def list_examples(session: Session) -> list[LabeledPaper]:
    from digest.relevance import LabeledPaper

    sections: dict[int, list[str]] = {}
    rows = session.execute(
        select(Entry.paper_id, Section.name)
        .join(Section, Entry.section_id == Section.id)
        .where(Section.kind.in_(EXAMPLE_KINDS))
        .order_by(Section.position, Entry.position)
    )
    for paper_id, name in rows:
        names = sections.setdefault(paper_id, [])
        if name not in names:
            names.append(name)
    fetched = {row.arxiv_id: row for row in session.scalars(select(RelevanceExample))}
    bundled = bundled_abstracts()
    examples: list[LabeledPaper] = []
    for paper in session.scalars(select(Paper).where(Paper.id.in_(sections))):
        abstract = paper.abstract or ""
        if not abstract and paper.arxiv_id and paper.arxiv_id in fetched:
            abstract = fetched[paper.arxiv_id].abstract
        if not abstract:
            # The title first: a hand-kept list sometimes links the wrong arXiv ID from a title.
            bundled_row = bundled.get(paper.title_key) or bundled.get(paper.arxiv_id or "")
            abstract = bundled_row[1] if bundled_row else ""
        if abstract:
            examples.append(LabeledPaper(paper.arxiv_id, paper.title, abstract, tuple(sections[paper.id])))
    return examples


def feedback_examples(session: Session) -> list[Feedback]:
    from digest.relevance import Feedback

    rows = session.scalars(select(Candidate).where(Candidate.status.in_((APPROVED, REJECTED))))
    return [
        Feedback(row.arxiv_id, row.title, row.abstract, row.status == APPROVED, row.decided_section) for row in rows
    ]


def model_for_database(session: Session, settings: Settings) -> RelevanceModel:
    """The model the poller uses: the rules in settings.feeds_dir, the list as it is now, and every decision."""
    from digest.relevance import build_model, load_rules

    return build_model(load_rules(settings.feeds_dir), list_examples(session), feedback_examples(session))
