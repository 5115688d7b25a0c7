"""Relevance: does a paper belong in the list, how strongly, and in which section. Pure scoring.

`build_model` combines the keyword rules with what is learned from the list's own papers (and the
maintainers' approvals and rejections); `model_for_database` gathers those examples from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from digest.relevance_rules import Rules, RulesError, Words, load_rules
from digest.settings import Settings

__all__ = [
    "Feedback",
    "Judgement",
    "LabeledPaper",
    "RelevanceModel",
    "Rules",
    "RulesError",
    "build_model",
    "load_rules",
    "model_for_database",
]


@dataclass(frozen=True)
class Judgement:
    relevant: bool
    score: float
    section: str | None
    sections: list[str]
    matched: list[str]


@dataclass(frozen=True)
class LabeledPaper:
    """A positive example: one of the list's papers with the sections it sits in."""

    arxiv_id: str | None
    title: str
    abstract: str
    sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feedback:
    """A maintainer's decision on a candidate: approved (with the section chosen) or rejected."""

    arxiv_id: str
    title: str
    abstract: str
    approved: bool
    section: str | None = None


@dataclass
class RelevanceModel:
    rules: Rules
    positives: list[LabeledPaper] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)

    def judge(self, title: str, abstract: str, categories: Sequence[str] = ()) -> Judgement:
        text = Words.of(f"{title}\n{abstract}")
        modality = self.rules.modality_strong.find(text)
        interpretability = self.rules.interpretability_strong.find(text)
        excluded: list[str] = []
        matched = modality + interpretability
        relevant = bool(modality and interpretability and not excluded)
        ranked = sorted(
            ((len(hints.find(text)), name) for name, hints in self.rules.sections.items()),
            key=lambda pair: -pair[0],
        )
        sections = [name for count, name in ranked if count > 0]
        score = float(len(modality) > 0) + float(len(interpretability) > 0)
        return Judgement(relevant, score / 2, sections[0] if sections else None, sections, matched)


def build_model(rules: Rules, positives: Sequence[LabeledPaper], feedback: Sequence[Feedback] = ()) -> RelevanceModel:
    return RelevanceModel(rules, list(positives), list(feedback))


def model_for_database(session: Session, settings: Settings) -> RelevanceModel:
    return build_model(load_rules(settings.feeds_dir), [], [])
