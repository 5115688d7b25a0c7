"""Relevance: does a paper belong in the list, how strongly, and in which section. Pure scoring.

`build_model` combines the keyword rules (feeds/rules.toml) with what is learned from the list's own papers and
the maintainers' approvals and rejections; `model_for_database` gathers those examples from the database.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from digest.relevance_model import (
    LogOdds,
    SectionCentroids,
    Terms,
    background_terms,
    document_terms,
    train_centroids,
    train_log_odds,
)
from digest.relevance_rules import Rules, RulesError, TermSet, Words, load_rules

__all__ = [
    "THRESHOLD",
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

# The weights of the keyword features next to the learned log-odds, and the threshold on their sum. Chosen once
# on the list's papers (leave-one-out) against a sample of arXiv: see bench/bench_relevance.py for the figures.
MODALITY_WEIGHT = 2.0
INTERPRETABILITY_WEIGHT = 5.0
TERMS_CAP = 3
BOTH_SIDES_BONUS = 40.0
GENERAL_BONUS = 40.0
PENALTY_WEIGHT = 10.0
OFF_TOPIC_CATEGORY_PENALTY = 10.0
THRESHOLD = 97.0
# A maintainer's rejection counts as this many background papers, so that similar papers are pushed down.
REJECTION_WEIGHT = 5.0
# A section hint counts as this much cosine similarity to the section's papers.
HINT_WEIGHT = 0.08
ON_TOPIC_CATEGORY = re.compile(r"^(cs\.|stat\.ML|eess\.IV|eess\.AS|q-bio\.NC)")


@dataclass(frozen=True)
class Judgement:
    relevant: bool
    score: float  # 1.0 is the threshold: relevant when score >= 1
    section: str | None
    sections: list[str]  # ranked, most likely first
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


def section_key(name: str) -> str:
    """A section name without case, emoji or punctuation, so rules can name "Surveys" for "📚 Surveys:"."""
    return " ".join(re.findall(r"[a-z0-9]+", name.lower()))


class RelevanceModel:
    def __init__(self, rules: Rules, log_odds: LogOdds, centroids: SectionCentroids, sections: Sequence[str]):
        self.rules = rules
        self.log_odds = log_odds
        self.centroids = centroids
        self.sections = list(sections)
        self._hints: dict[str, TermSet] = {}
        for name in self.sections:
            key = section_key(name)
            for hint_name, hints in rules.sections.items():
                hint_key = section_key(hint_name)
                if key == hint_key or key.endswith(" " + hint_key):
                    self._hints[name] = hints

    def judge(self, title: str, abstract: str, categories: Sequence[str] = ()) -> Judgement:
        words = Words.of(f"{title}\n{abstract}")
        rules = self.rules
        modality = rules.modality_strong.find(words)
        interpretability = rules.interpretability_strong.find(words)
        penalties = rules.penalties.find(words)
        terms = document_terms(title, abstract)
        total = self.log_odds.score(terms)
        total += MODALITY_WEIGHT * min(len(modality), TERMS_CAP)
        total += INTERPRETABILITY_WEIGHT * min(len(interpretability), TERMS_CAP)
        if modality and interpretability:
            total += BOTH_SIDES_BONUS
        elif len(interpretability) >= 2 and rules.general.find(Words.of(title)):
            total += GENERAL_BONUS
        total -= PENALTY_WEIGHT * len(penalties)
        if categories and not any(ON_TOPIC_CATEGORY.match(category) for category in categories):
            total -= OFF_TOPIC_CATEGORY_PENALTY
        ranked = self.rank_sections(words, terms)
        return Judgement(
            relevant=total >= THRESHOLD,
            score=round(total / THRESHOLD, 4),
            section=ranked[0] if ranked else None,
            sections=ranked[:3],
            matched=modality + interpretability,
        )

    def rank_sections(self, words: Words, terms: Terms) -> list[str]:
        similarity = self.centroids.similarities(terms)
        scores = {
            name: similarity.get(name, 0.0)
            + HINT_WEIGHT * len(self._hints[name].find(words) if name in self._hints else [])
            for name in self.sections
        }
        return [name for name in sorted(scores, key=lambda name: -scores[name]) if scores[name] > 0]


def build_model(rules: Rules, positives: Sequence[LabeledPaper], feedback: Sequence[Feedback] = ()) -> RelevanceModel:
    """Learns from the list's papers (positives) and the maintainers' decisions; the background ships with us."""
    labeled: list[tuple[Terms, Sequence[str]]] = []
    seen: set[str] = set()
    for paper in positives:
        labeled.append((document_terms(paper.title, paper.abstract), paper.sections))
        if paper.arxiv_id:
            seen.add(paper.arxiv_id)
    negatives: list[tuple[Terms, float]] = [(terms, 1.0) for terms in background_terms()]
    for decision in feedback:
        terms = document_terms(decision.title, decision.abstract)
        if not decision.approved:
            negatives.append((terms, REJECTION_WEIGHT))
        elif decision.arxiv_id not in seen:
            labeled.append((terms, (decision.section,) if decision.section else ()))
    log_odds = train_log_odds([terms for terms, _ in labeled], negatives)
    document_frequency: Counter[str] = Counter()
    for terms, _ in labeled:
        document_frequency.update(terms.keys())
    for terms, _ in negatives:
        document_frequency.update(terms.keys())
    centroids = train_centroids(labeled, len(labeled) + len(negatives), document_frequency)
    sections: list[str] = []
    for _, names in labeled:
        sections.extend(name for name in names if name not in sections)
    return RelevanceModel(rules, log_odds, centroids, sections)


from digest.relevance_db import model_for_database  # noqa: E402  (the database side imports this module)
