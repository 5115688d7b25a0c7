"""What the model learns belongs: the list's papers, the approvals not in the list and, while those are too few to
learn from, the shipped papers that name both sides of the topic standing in for them. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from digest.relevance.types import Feedback, LabeledPaper

# Fewer papers than this and the model cannot learn what belongs (its cross-fitting needs one in each of two halves).
MIN_POSITIVES = 2


def positive_examples(examples: Sequence[LabeledPaper], feedback: Sequence[Feedback]) -> list[LabeledPaper]:
    """The list's papers (a paper in two sections, or linked twice, once) and the approvals not in the list."""
    found: dict[str, LabeledPaper] = {}
    for paper in examples:
        earlier = found.get(_identity(paper.abstract, paper.title))
        sections = tuple(dict.fromkeys((*earlier.sections, *paper.sections))) if earlier else paper.sections
        found[_identity(paper.abstract, paper.title)] = replace(earlier or paper, sections=sections)
    known = {paper.arxiv_id for paper in examples if paper.arxiv_id}
    for decision in feedback:
        identity = _identity(decision.abstract, decision.title)
        if decision.approved and decision.arxiv_id not in known and identity not in found:
            sections = (decision.section,) if decision.section else ()
            found[identity] = LabeledPaper(
                decision.arxiv_id, decision.title, decision.abstract, sections, in_list=False
            )
    return list(found.values())


def learnt_rejections(examples: Sequence[LabeledPaper], feedback: Sequence[Feedback]) -> list[Feedback]:
    """The rejections the model learns from: not one of a paper the list holds, which stands over a verdict (an issue
    tracker's old "reject" of a paper a maintainer has put in the list since)."""
    listed = {paper.arxiv_id for paper in examples if paper.arxiv_id}
    return [item for item in feedback if not item.approved and item.arxiv_id not in listed]


def _identity(abstract: str, title: str) -> str:
    """What makes two examples one paper: the abstract (a paper linked from two titles, or in two sections), or the
    title when there is no abstract (every paper approved without one was one example before)."""
    return abstract if abstract.strip() else "\0" + " ".join(title.lower().split())


def stand_ins(papers: Sequence[tuple[str, str]]) -> list[LabeledPaper]:
    """Shipped papers (title, abstract) that name both sides of the topic, as positives of no section."""
    return [LabeledPaper(None, title, abstract, in_list=False, stand_in=True) for title, abstract in papers]


def learnt_from_note(positives: Sequence[LabeledPaper]) -> str | None:
    """One line saying that the model stands on the rules, not the list, while the list is too small; else None."""
    if not any(paper.stand_in for paper in positives):
        return None
    count = sum(not paper.stand_in for paper in positives)
    return (
        f"the model has learnt from {count} paper{'' if count == 1 else 's'} of the list (or approved) with a known "
        f"abstract; until it has {MIN_POSITIVES}, shipped papers that name both sides of the topic in rules.toml "
        "stand in for the list"
    )
