"""Gathers the relevance model's examples from the database: the list's papers with their sections and abstracts
(bundled copy, fetched examples, the paper row), and the maintainers' approvals and rejections.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import resources
from digest.models import APPROVED, REJECTED, Candidate, Entry, Paper, RelevanceExample, Section
from digest.relevance_rules import RULES_FILE, parse_rules, rules_bytes
from digest.settings import Settings
from digest.titles import title_key

if TYPE_CHECKING:
    from digest.relevance import Feedback, LabeledPaper, RelevanceModel

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

    rows = session.scalars(select(Candidate).where(Candidate.status.in_((APPROVED, REJECTED))).order_by(Candidate.id))
    return [
        Feedback(row.arxiv_id, row.title, row.abstract, row.status == APPROVED, row.decided_section) for row in rows
    ]


# The last model built, with everything it was built from: building costs tens of milliseconds (a poll reads four
# feeds), gathering the inputs a few. Keyed on the inputs themselves, not on a fingerprint of them, so any change
# (the rules file, a list import, a fetched abstract, an approval, a rejection, a new version's title) rebuilds.
_ModelKey = tuple[bytes, tuple["LabeledPaper", ...], tuple["Feedback", ...]]
_cache_lock = threading.Lock()
_cached: tuple[_ModelKey, RelevanceModel] | None = None


def clear_model_cache() -> None:
    """Forgets the cached model (the bench measures a pass that builds it)."""
    global _cached
    with _cache_lock:
        _cached = None


def model_for_database(session: Session, settings: Settings) -> RelevanceModel:
    """The model the poller uses: the rules in settings.feeds_dir, the list as it is now, and every decision.
    The same model object is returned while none of those has changed."""
    from digest.relevance import build_model

    global _cached
    data = rules_bytes(settings.feeds_dir)
    key: _ModelKey = (data, tuple(list_examples(session)), tuple(feedback_examples(session)))
    with _cache_lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
    model = build_model(parse_rules(data, str(settings.feeds_dir / RULES_FILE)), key[1], key[2])
    with _cache_lock:
        _cached = (key, model)
    return model
