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
    InverseFrequency,
    LogOdds,
    Neighbours,
    Terms,
    background_frequency,
    build_neighbours,
    document_terms,
    terms_of_words,
    tokens,
    train_log_odds,
)
from digest.relevance_rules import Rules, RulesError, TermGate, TermSet, Words, load_rules

__all__ = [
    "THRESHOLD",
    "Feedback",
    "Judgement",
    "LabeledPaper",
    "LeftOut",
    "RelevanceModel",
    "Rules",
    "RulesError",
    "Weights",
    "build_model",
    "leave_one_out",
    "load_rules",
    "model_for_database",
]

ON_TOPIC_CATEGORY = re.compile(r"^(cs\.|stat\.ML|eess\.IV|eess\.AS|q-bio\.NC)")


@dataclass(frozen=True)
class Weights:
    """How the evidence adds up. Chosen on the list's papers (leave-one-out) against one half of a real arXiv
    sample and checked on the other half: see bench/bench_relevance.py for the figures."""

    modality: float = 4.0  # per strong modality term (up to terms_cap)
    interpretability: float = 15.0  # per strong interpretability term (up to terms_cap)
    weak_interpretability: float = 6.0  # per weak interpretability term (up to terms_cap)
    terms_cap: int = 3
    both_sides: float = 60.0  # a strong modality term and a strong interpretability term
    general: float = 60.0  # a survey or agenda of interpretability, without a modality term
    title_modality: float = 8.0  # the title names a modality (strong or weak term)
    title_interpretability: float = 6.0  # the title names interpretability (strong or weak term)
    title_both: float = 20.0  # the title names both
    penalty: float = 15.0  # per application or engineering term
    off_topic_category: float = 20.0
    neighbour: float = 400.0  # times the cosine similarity to the closest list paper (capped, see below)
    similarity_cap: float = 0.25  # above any similarity seen between distinct papers; makes the cheap gate exact
    rejected: float = 400.0  # times the cosine similarity to the closest rejected paper
    threshold: float = 207.0
    rejection_weight: float = 5.0  # a rejection counts as this many background papers in the log-odds
    centroid: float = 1.0  # section: cosine similarity to the section's centroid
    vote: float = 0.5  # section: similarity of the nearest list papers in the section
    nearest: int = 3  # how many nearest list papers vote
    hint: float = 0.08  # section: per hint term of the section in the title or abstract
    title_hint: float = 0.3  # section: per hint term of the section in the title ("A Survey on", "Neurons in")


WEIGHTS = Weights()
THRESHOLD = WEIGHTS.threshold


@dataclass(frozen=True)
class Judgement:
    relevant: bool
    score: float  # 1.0 is the threshold: relevant when score >= 1
    section: str | None
    sections: list[str]  # ranked, most likely first
    matched: list[str]


_NOT_ON_TOPIC = Judgement(relevant=False, score=0.0, section=None, sections=[], matched=[])


def not_on_topic() -> Judgement:
    """A paper that names neither side of the topic: no term matched, no section, no score worth computing.
    Most of a day's feed gets this answer, so it is one shared value (its empty lists are only ever read)."""
    return _NOT_ON_TOPIC


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
    def __init__(
        self,
        rules: Rules,
        log_odds: LogOdds,
        neighbours: Neighbours,
        rejected: Neighbours | None,
        sections: Sequence[str],
        weights: Weights = WEIGHTS,
    ) -> None:
        self.rules = rules
        self.log_odds = log_odds
        self.neighbours = neighbours
        self.rejected = rejected
        self.sections = list(sections)
        self.weights = weights
        self._hints: dict[str, TermSet] = {}
        for name in self.sections:
            key = section_key(name)
            for hint_name, hints in rules.sections.items():
                hint_key = section_key(hint_name)
                if key == hint_key or key.endswith(" " + hint_key):
                    self._hints[name] = hints
        self._strong_terms = TermGate(rules.modality_strong, rules.interpretability_strong)

    def judge(self, title: str, abstract: str, categories: Sequence[str] = (), *, gate: bool = True) -> Judgement:
        """A paper must name the topic (a strong modality or interpretability term) to be relevant. One regular
        expression over the raw text proves most of a day's feed does not, before any word is split (`gate`
        False skips only that shortcut: the decision is the same). Then the cheap evidence (keywords, log-odds);
        the nearest list papers and the section ranking only for a paper that could still reach the threshold."""
        if gate and not self._strong_terms.may_match(f"{title}\n{abstract}"):
            return not_on_topic()
        rules, weights = self.rules, self.weights
        title_words, abstract_words = tokens(title), tokens(abstract)
        words = Words(title_words + abstract_words)
        modality = rules.modality_strong.find(words)
        interpretability = rules.interpretability_strong.find(words)
        if not modality and not interpretability:
            return not_on_topic()
        cap = weights.terms_cap
        total = weights.modality * min(len(modality), cap) + weights.interpretability * min(len(interpretability), cap)
        total += weights.weak_interpretability * min(len(rules.interpretability_weak.find(words)), cap)
        title_only = Words(title_words)
        if modality and interpretability:
            total += weights.both_sides
        elif len(interpretability) >= 2 and rules.general.find(title_only):
            total += weights.general
        title_modality = bool(rules.modality_strong.find(title_only) or rules.modality_weak.find(title_only))
        title_interpretability = bool(
            rules.interpretability_strong.find(title_only) or rules.interpretability_weak.find(title_only)
        )
        total += weights.title_modality * title_modality + weights.title_interpretability * title_interpretability
        total += weights.title_both * (title_modality and title_interpretability)
        total -= weights.penalty * len(rules.penalties.find(words))
        if categories and not any(ON_TOPIC_CATEGORY.match(category) for category in categories):
            total -= weights.off_topic_category
        terms = terms_of_words(words.lower[: len(title_words)], words.lower[len(title_words) :])
        total += self.log_odds.score(set(terms))
        matched = modality + interpretability
        if total + weights.neighbour * weights.similarity_cap < weights.threshold:
            return Judgement(False, round(total / weights.threshold, 4), None, [], matched)
        vector = self.neighbours.vector(Counter(terms))
        similarities = self.neighbours.similarities(vector)
        total += weights.neighbour * min(max(similarities, default=0.0), weights.similarity_cap)
        if self.rejected is not None:
            total -= weights.rejected * min(
                max(self.rejected.similarities(vector), default=0.0), weights.similarity_cap
            )
        relevant = total >= weights.threshold
        ranked = self.rank_sections(words, title_only, vector, similarities) if relevant else []
        return Judgement(
            relevant=relevant,
            score=round(total / weights.threshold, 4),
            section=ranked[0] if ranked else None,
            sections=ranked[:3],
            matched=matched,
        )

    def rank_sections(
        self, words: Words, title: Words, vector: dict[str, float], similarities: list[float]
    ) -> list[str]:
        weights = self.weights
        scores = {name: 0.0 for name in self.sections}
        for name, similarity in self.neighbours.centroid_similarities(vector).items():
            scores[name] += weights.centroid * similarity
        nearest = sorted(range(len(similarities)), key=lambda index: -similarities[index])[: weights.nearest]
        for index in nearest:
            for name in self.neighbours.labels[index]:
                scores[name] += weights.vote * similarities[index]
        for name, hints in self._hints.items():
            scores[name] += weights.hint * len(hints.find(words)) + weights.title_hint * len(hints.find(title))
        return [name for name in sorted(scores, key=lambda name: -scores[name]) if scores[name] > 0]


def build_model(
    rules: Rules,
    positives: Sequence[LabeledPaper],
    feedback: Sequence[Feedback] = (),
    *,
    weights: Weights = WEIGHTS,
) -> RelevanceModel:
    """Learns from the list's papers (positives) and the maintainers' decisions; the background ships with us."""
    labeled: list[tuple[Terms, Sequence[str]]] = []
    seen: set[str] = set()
    for paper in positives:
        labeled.append((document_terms(paper.title, paper.abstract), paper.sections))
        if paper.arxiv_id:
            seen.add(paper.arxiv_id)
    background_size, background = background_frequency()
    negative_frequency: dict[str, float] = dict(background)
    negative_count = float(background_size)
    rejected: list[tuple[Terms, Sequence[str]]] = []
    for decision in feedback:
        terms = document_terms(decision.title, decision.abstract)
        if not decision.approved:
            rejected.append((terms, ()))
            negative_count += weights.rejection_weight
            for term in terms:
                negative_frequency[term] = negative_frequency.get(term, 0.0) + weights.rejection_weight
        elif decision.arxiv_id not in seen:
            labeled.append((terms, (decision.section,) if decision.section else ()))
    log_odds = train_log_odds([terms for terms, _ in labeled], negative_count, negative_frequency)
    positive_frequency: Counter[str] = Counter()
    for terms, _ in labeled + rejected:
        positive_frequency.update(terms.keys())
    idf = InverseFrequency(background_size + len(labeled) + len(rejected), background, positive_frequency)
    sections: list[str] = []
    for _, names in labeled:
        sections.extend(name for name in names if name not in sections)
    return RelevanceModel(
        rules,
        log_odds,
        build_neighbours(labeled, idf),
        build_neighbours(rejected, idf) if rejected else None,
        sections,
        weights,
    )


@dataclass(frozen=True)
class LeftOut:
    """One list paper judged by a model built without it (every copy of it left out)."""

    title: str
    sections: tuple[str, ...]  # every section that holds the paper, in list order
    judgement: Judgement

    @property
    def section_right(self) -> bool:
        return self.judgement.section in self.sections


def leave_one_out(rules: Rules, examples: Sequence[LabeledPaper]) -> list[LeftOut]:
    """How the model does on the list's own papers: each distinct paper (a paper in two sections, or linked twice,
    is one) judged by a model that never saw it. The measure issue 4's targets are stated in."""
    units: dict[str, list[LabeledPaper]] = {}
    for example in examples:
        units.setdefault(example.abstract, []).append(example)
    results: list[LeftOut] = []
    for abstract, copies in units.items():
        model = build_model(rules, [example for example in examples if example.abstract != abstract])
        sections = tuple(dict.fromkeys(name for copy in copies for name in copy.sections))
        results.append(LeftOut(copies[0].title, sections, model.judge(copies[0].title, abstract)))
    return results


from digest.relevance_db import model_for_database  # noqa: E402  (the database side imports this module)
