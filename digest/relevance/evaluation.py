"""A secondary yardstick: the list's own papers, each judged by a model built without it (leave one out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digest.relevance.examples import positive_examples
from digest.relevance.rules import Rules
from digest.relevance.scoring import build_model
from digest.relevance.types import Judgement, LabeledPaper, PaperText


@dataclass(frozen=True)
class LeftOut:
    """One list paper judged by a model built without it (every copy of it left out)."""

    title: str
    sections: tuple[str, ...]  # every section that holds the paper, in list order
    judgement: Judgement

    @property
    def section_right(self) -> bool:
        return self.judgement.section in self.sections


def leave_one_out(rules: Rules, examples: Sequence[LabeledPaper], folds: int | None = None) -> list[LeftOut]:
    """The list's own papers, each judged by a model that never saw it: one model per paper, or per fold of papers
    (every `folds`-th distinct paper left out together) when `folds` is given. A secondary figure: the list's papers
    are what the rules were written from."""
    units = positive_examples(examples, ())
    count = len(units) if folds is None else min(folds, len(units))
    results: list[LeftOut] = []
    for fold in range(count):
        held = [paper for index, paper in enumerate(units) if index % count == fold]
        abstracts = {paper.abstract for paper in held}
        model = build_model(rules, [example for example in examples if example.abstract not in abstracts])
        judgements = model.judge_many([PaperText(paper.title, paper.abstract) for paper in held])
        results += [
            LeftOut(paper.title, paper.sections, judgement) for paper, judgement in zip(held, judgements, strict=True)
        ]
    return results
