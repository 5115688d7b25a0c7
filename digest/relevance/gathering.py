"""Gathers the relevance model's examples from the database: the list's papers with their sections and abstracts
(bundled copy, fetched examples, the paper row), and the maintainers' approvals and rejections.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import resources
from digest.relevance.examples import learnt_rejections
from digest.relevance.section_keys import section_key
from digest.relevance.types import Feedback, LabeledPaper, NotLearnt
from digest.sectionlabels import section_labels
from digest.storage.models import APPROVED, REJECTED, Candidate, Entry, Paper, Section
from digest.storage.state import RelevanceExample, TrainingDecision
from digest.titles import same_title, title_key

# Sections whose entries are papers about the topic (not blog posts, not prose).
EXAMPLE_KINDS = ("papers", "surveys", "tool")


@lru_cache(maxsize=1)
def bundled_abstracts() -> Mapping[str, tuple[str, str]]:
    """(title, abstract) of the bundled list papers, by arXiv ID and by normalised title. Read once: the file ships
    with the package."""
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
    return MappingProxyType(found)


def _labels(session: Session) -> dict[int, tuple[str, str]]:
    """Each section's label (sectionlabels) and kind: a decision records its section so, and a heading the list
    repeats (a "Probing" in each year's block) is a section of its own to learn and suggest."""
    rows = session.execute(
        select(Section.id, Section.name, Section.slug, Section.level, Section.kind).order_by(Section.position)
    ).all()
    labels = section_labels([(row.name, row.slug, row.level) for row in rows])
    return {row.id: (label, row.kind) for row, label in zip(rows, labels, strict=True)}


def list_examples(session: Session) -> list[LabeledPaper]:
    """The list's papers whose abstract is known: what the model learns from (and what the benches measure)."""
    return [paper for paper in list_papers(session) if paper.abstract]


def list_papers(session: Session) -> list[LabeledPaper]:
    """Every paper of the list with its sections; the abstract empty where none is known (arXiv out of reach, an entry
    linking a DOI): such a paper's title still tells the section ranker what its section holds."""
    sections: dict[int, list[str]] = {}
    labels = _labels(session)
    rows = session.execute(
        select(Entry.paper_id, Entry.section_id)
        .join(Section, Entry.section_id == Section.id)
        .where(Section.kind.in_(EXAMPLE_KINDS))
        .order_by(Section.position, Entry.position)
    )
    for paper_id, section_id in rows:
        name, _ = labels[section_id]
        names = sections.setdefault(paper_id, [])
        if name not in names:
            names.append(name)
    fetched = {row.arxiv_id: row for row in session.scalars(select(RelevanceExample))}
    bundled = bundled_abstracts()
    examples: list[LabeledPaper] = []
    for paper in session.scalars(select(Paper).where(Paper.id.in_(sections))):
        abstract = paper.abstract or ""
        # A hand-kept list sometimes links the wrong arXiv ID from a title: an abstract found by the ID is another
        # paper's unless its title is the entry's, and the model would learn the entry's topic from it.
        found = fetched.get(paper.arxiv_id or "")
        if not abstract and found is not None and same_title(paper.title_key, title_key(found.title)):
            abstract = found.abstract
        if not abstract:
            by_id = bundled.get(paper.arxiv_id or "")
            bundled_row = bundled.get(paper.title_key) or (
                by_id if by_id is not None and same_title(paper.title_key, title_key(by_id[0])) else None
            )
            abstract = bundled_row[1] if bundled_row else ""
        examples.append(LabeledPaper(paper.arxiv_id, paper.title, abstract, tuple(sections[paper.id])))
    return examples


def feedback_examples(session: Session) -> list[Feedback]:
    """Every decision the model learns from, oldest first: verdicts brought in with `digest decisions import`, then
    the decisions on candidates (which stand over an imported verdict on the same paper)."""
    # Only the five columns a verdict needs: whole rows (their JSON columns, `why` above all) made gathering the
    # inputs, done before every use of the model, grow to a quarter of a second after two years of decisions.
    decided = session.execute(
        select(Candidate.arxiv_id, Candidate.title, Candidate.abstract, Candidate.status, Candidate.decided_section)
        .where(Candidate.status.in_((APPROVED, REJECTED)))
        .order_by(Candidate.id)
    ).all()
    on_candidates = {row.arxiv_id for row in decided}
    imported = session.scalars(select(TrainingDecision).order_by(TrainingDecision.arxiv_id))
    current = _current_sections(session)
    found = [
        Feedback(row.arxiv_id, row.title, row.abstract, row.approved, current.get(section_key(row.section or "")))
        for row in imported
        if row.arxiv_id not in on_candidates
    ]
    found += [
        Feedback(
            row.arxiv_id,
            row.title,
            row.abstract,
            row.status == APPROVED,
            current.get(section_key(row.decided_section or "")),
        )
        for row in decided
    ]
    return found


def unlearnt_imports(session: Session) -> dict[str, NotLearnt]:
    """The imported decisions the model does not learn from, by arXiv ID, and why, read off what training takes
    (feedback_examples, learnt_rejections): one a decision in review overruled (that decision stands; one that agrees
    is learnt either way), or a reject of a paper the list holds."""
    feedback = feedback_examples(session)
    verdicts = {item.arxiv_id: item.approved for item in feedback}  # a review's decision comes after the imports
    rejections = {item.arxiv_id for item in learnt_rejections(list_examples(session), feedback)}
    found: dict[str, NotLearnt] = {}
    for arxiv_id, approved in session.execute(select(TrainingDecision.arxiv_id, TrainingDecision.approved)).tuples():
        if verdicts.get(arxiv_id) != approved:
            found[arxiv_id] = NotLearnt.OVERRULED_IN_REVIEW
        elif not approved and arxiv_id not in rejections:
            found[arxiv_id] = NotLearnt.IN_LIST
    return found


def _current_sections(session: Session) -> dict[str, str]:
    """The list's sections by the key (no case, emoji or punctuation) of their label, as decisions record them. A
    decision keeps the label its section had then: one renamed or taken out by hand since (or a bare name the list
    now repeats) is no section to suggest, so its approvals teach what belongs only."""
    labels = [label for label, kind in reversed(_labels(session).values()) if kind != "text"]
    return {section_key(label): label for label in labels if section_key(label)}
