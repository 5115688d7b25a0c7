"""Relevance: does a paper belong in the list, how strongly, in which section, and why. Pure scoring.

`build_model` learns from the list's papers and the maintainers' decisions (relevance/learned.py) and fits the
thresholds that hold the review budget on a stream of papers (the shipped sample until polls bring the real one);
`relevance.stream.model_for_database` gathers those inputs from the database and re-fits the thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from digest.config import RelevanceSettings
from digest.relevance.encoding import (
    Encoded,
    compiled_gate,
    encode,
    shipped,
    shipped_names_topic,
)
from digest.relevance.examples import (
    MIN_POSITIVES,
    learnt_from_note,
    learnt_rejections,
    positive_examples,
    stand_ins,
)
from digest.relevance.features import (
    RULE_FEATURES,
    background_sample,
    word_vectors,
)
from digest.relevance.learned import LEARNED_FEATURES, Examples, LearnedModel, Scored, Weighting
from digest.relevance.rules import Rules, RulesError, TermGate, Words, load_rules
from digest.relevance.sections import SectionRanker, section_key
from digest.relevance.tokeniser import tokens
from digest.relevance.types import (
    Budget,
    Feedback,
    Judgement,
    LabeledPaper,
    PaperText,
    Thresholds,
    Tier,
)
from digest.relevance.why import Neighbour, Why
from digest.sizes import counted

# Part of every model's key: a model saved or thresholds stored by an older version of this code, for the same
# inputs, are not read back but built again (2: the word model among the learned features; 3: the rule feature for
# the strength of both sides of the topic together).
MODEL_FORMAT = 3


def budget_of(relevance: RelevanceSettings) -> Budget:
    """The review budget the [relevance] settings ask for."""
    return Budget(relevance.daily_budget, relevance.papers_per_day, relevance.second_tier_per_week)


DEFAULT_BUDGET = budget_of(RelevanceSettings())  # the settings' defaults: one declaration of each

__all__ = [
    "Budget",
    "Feedback",
    "Judgement",
    "LabeledPaper",
    "PaperText",
    "RelevanceModel",
    "Rules",
    "RulesError",
    "Thresholds",
    "Tier",
    "build_model",
    "fit_thresholds",
    "load_rules",
    "section_key",
]

_SCORE_UNIT = 4.0  # shown score: 1.0 at the review threshold, 0.25 per unit of the model's log-odds
_NEAREST_SHOWN = 3
_BOTH_SIDES = RULE_FEATURES.index("modality and interpretability")
_GATE_MARGIN = 1.0  # how far under the second tier the shortcut's papers must have scored


DEFAULT_WEIGHTING = Weighting()


def fit_thresholds(
    raw: NDArray[np.float64], budget: Budget, source: str, gate_ceiling: float = float("-inf")
) -> Thresholds:
    """The scores that `budget` of the stream reaches: the review threshold and the second tier's. Neither falls to
    the score the gate gives papers that name no strong term of the topic (`gate_ceiling`), and the review threshold
    stays the gate's margin above it: the budget is the most a maintainer is asked, not a quota, so a stream that is
    nearly all off-topic flags fewer papers rather than papers with nothing of the topic."""
    if len(raw) == 0:
        raise ValueError("no papers to fit the thresholds on")
    review = max(float(np.quantile(raw, 1.0 - budget.review_share)), gate_ceiling + _GATE_MARGIN)
    second = max(float(np.quantile(raw, 1.0 - budget.second_share)), float(np.nextafter(gate_ceiling, np.inf)))
    return Thresholds(review, min(second, review), len(raw), source)


class RelevanceModel:
    def __init__(
        self,
        rules: Rules,
        learned: LearnedModel,
        positives: Sequence[LabeledPaper],
        ranker: SectionRanker,
        thresholds: Thresholds,
        key: str = "",
        gate_ceiling: float = float("inf"),
        gate: TermGate | None = None,
    ) -> None:
        self.key = key  # names the inputs it was built from (relevance_db); stream scores are stored under it
        self.gate = gate if gate is not None else compiled_gate(rules)
        self.gate_ceiling = gate_ceiling
        self.rules = rules
        self.learned = learned
        self.positives = list(positives)
        self.ranker = ranker
        self.thresholds = thresholds
        self.sections = ranker.sections
        self.note = learnt_from_note(self.positives)  # a new list's model: say what it stands on

    def with_thresholds(self, thresholds: Thresholds) -> RelevanceModel:
        return RelevanceModel(
            self.rules, self.learned, self.positives, self.ranker, thresholds, self.key, self.gate_ceiling, self.gate
        )

    def shown_score(self, raw: float) -> float:
        """A raw score on the scale shown to maintainers: 1.0 at the review threshold, 0 at the lowest."""
        return round(max(0.0, 1.0 + (raw - self.thresholds.review) / _SCORE_UNIT), 4)

    def _may_belong(self, papers: Sequence[PaperText]) -> list[int]:
        """The papers worth scoring in full. Most of a day's feed names no strong term of either side (one regular
        expression at C speed proves it); such papers have always scored far under the second tier (the highest of
        the shipped sample is `gate_ceiling`), and they are given that score without the work. Only while that
        holds with a margin for the fitted thresholds; otherwise every paper is scored in full."""
        if self.gate_ceiling >= self.thresholds.second - _GATE_MARGIN:
            return list(range(len(papers)))
        return [index for index, paper in enumerate(papers) if self.gate.may_match(paper.gate_text)]

    def raw_scores(self, papers: Sequence[PaperText]) -> NDArray[np.float64]:
        raw = np.full(len(papers), self.gate_ceiling)
        chosen = self._may_belong(papers)
        if chosen:
            encoded = encode(self.rules, word_vectors(), [papers[index] for index in chosen])
            raw[chosen] = self.learned.score(encoded.words, encoded.rules).raw
        return raw

    def shipped_sample_scores(self) -> NDArray[np.float64]:
        encoded = shipped(self.rules, "calibrate")
        return self.learned.score(encoded.words, encoded.rules).raw

    def judge_many(self, papers: Sequence[PaperText], *, explain_all: bool = False) -> list[Judgement]:
        """Each paper's judgement. Sections and reasons are worked out for the papers in a tier only (a poll's other
        papers need none), or with `explain_all` also for every paper that names a strong term of the topic (the
        gate's): one a maintainer adds or a reader suggests, whose section is asked for whatever its score. A paper
        naming none (a mathematics paper added by a wrong ID) is given no section: its nearest one would mean
        nothing; its why says the gate skipped it, or, read in full (the gate off), the parts of its score."""
        chosen = self._may_belong(papers)
        explained: set[int] = set()
        if explain_all:
            explained = {index for index, paper in enumerate(papers) if self.gate.may_match(paper.gate_text)}
            chosen = sorted(explained.union(chosen))
        off_topic = self.shown_score(self.gate_ceiling)
        skipped = Why(skipped=explain_all)  # what `digest score` says of a paper the model did not read
        found = [Judgement(False, round(off_topic, 4), None, [], [], None, self.gate_ceiling, skipped) for _ in papers]
        if chosen:
            subset = [papers[index] for index in chosen]
            encoded = encode(self.rules, word_vectors(), subset)
            scored = self.learned.score(encoded.words, encoded.rules)
            for position, index in enumerate(chosen):
                explain = index in explained
                found[index] = self._judgement(subset[position], encoded, scored, position, explain, explain_all)
        return found

    def judge(self, title: str, abstract: str, categories: Sequence[str] = ()) -> Judgement:
        return self.judge_many([PaperText(title, abstract, tuple(categories))])[0]

    def _judgement(
        self, paper: PaperText, encoded: Encoded, scored: Scored, index: int, explain: bool = False, parts: bool = False
    ) -> Judgement:
        """`explain`: sections and the whole why, whatever the tier; `parts`: at least the why's parts (`digest score`
        on a paper read in full, the pre-filter being off, that names no strong term: no section means anything)."""
        raw = float(scored.raw[index])
        thresholds = self.thresholds
        tier = Tier.REVIEW if raw >= thresholds.review else Tier.SECOND if raw >= thresholds.second else None
        score = self.shown_score(raw)
        matched = list(encoded.terms[index])
        if tier is None and not explain:
            why = self._why(matched, scored.contributions[index], np.zeros(0)) if parts else Why()
            return Judgement(False, score, None, [], matched, None, raw, why)
        similarities = scored.to_positives[index]
        title_words = tokens(paper.title)
        ranked = self.ranker.rank(
            encoded.words[index], similarities, Words(title_words + tokens(paper.abstract)), Words(title_words)
        )
        why = self._why(matched, scored.contributions[index], similarities)
        return Judgement(tier is Tier.REVIEW, score, ranked[0] if ranked else None, ranked[:3], matched, tier, raw, why)

    def _why(self, matched: list[str], contributions: NDArray[np.float64], similarities: NDArray[np.float64]) -> Why:
        rules_part = float(contributions[: len(RULE_FEATURES)].sum())
        learned = zip(LEARNED_FEATURES, contributions[len(RULE_FEATURES) :], strict=True)
        parts = sorted(
            [("keyword rules", rules_part), *((name, float(value)) for name, value in learned)],
            key=lambda part: -part[1],
        )
        nearest: list[Neighbour] = []
        for position in np.argsort(-similarities):
            if similarities[position] <= 0 or len(nearest) == _NEAREST_SHOWN:
                break
            paper = self.positives[position]
            if not paper.in_list:  # an approval the list does not hold, a stand-in: not "nearest in the list"
                continue
            nearest.append(
                Neighbour(paper.title, paper.sections[0] if paper.sections else None, float(similarities[position]))
            )
        baseline = (self.learned.intercept, self.thresholds.review)
        return Why(tuple(matched), tuple(parts), tuple(nearest), baseline=baseline)


def build_model(
    rules: Rules,
    examples: Sequence[LabeledPaper],
    feedback: Sequence[Feedback] = (),
    *,
    budget: Budget = DEFAULT_BUDGET,
    weighting: Weighting = DEFAULT_WEIGHTING,
) -> RelevanceModel:
    """Learns from the list's papers and the maintainers' decisions; the thresholds are fitted on the shipped
    sample of the stream (model_for_database re-fits them on the papers the polls saw). A list paper whose abstract
    is unknown (empty) is learnt from no further than its section: its title, for a section no paper with an abstract
    is in, beside the section's hints."""
    vectors = word_vectors()
    title_only = [paper for paper in examples if not paper.abstract.strip()]
    examples = [paper for paper in examples if paper.abstract.strip()]
    positives = positive_examples(examples, feedback)
    background = shipped(rules, "train")
    # A background paper that names both sides of the topic may well belong: it is no negative example.
    keep = background.rules[:, _BOTH_SIDES] == 0
    if len(positives) < MIN_POSITIVES:  # a new list: what names both sides stands in until there is more
        train = [paper for paper in background_sample() if paper.role == "train"]
        both = [(paper.title, paper.abstract) for paper, kept in zip(train, keep, strict=True) if not kept]
        positives += stand_ins(both)
        if len(positives) < MIN_POSITIVES:
            raise RulesError(
                "the relevance model has nothing to learn from: the list holds "
                f"{counted(len(positives), 'paper')} with a known abstract and no shipped paper names both sides of"
                " the topic in rules.toml"
            )
    rejections = learnt_rejections(examples, feedback)
    rejected = [PaperText(item.title, item.abstract) for item in rejections]
    positive = encode(rules, vectors, [PaperText(paper.title, paper.abstract) for paper in positives])
    negative = encode(rules, vectors, rejected)
    learned = LearnedModel(
        Examples(
            positive.words,
            positive.rules,
            background.words[keep],
            background.rules[keep],
            negative.words,
            negative.rules.reshape(len(rejected), len(RULE_FEATURES)),
        ),
        weighting,
    )
    titled = encode(rules, vectors, [PaperText(paper.title, "") for paper in title_only]).words
    labels = [paper.sections for paper in positives]
    ranker = SectionRanker(rules, positive.words, labels, titled, [paper.sections for paper in title_only])
    held_out = {paper.arxiv_id: float(raw) for paper, raw in zip(positives, learned.held_out_positives, strict=True)}
    decided = [item.arxiv_id for item in rejections]
    held_out.update(zip(decided, map(float, learned.held_out_rejected), strict=True))
    learned.held_out = {arxiv_id: raw for arxiv_id, raw in held_out.items() if arxiv_id}
    placeholder = Thresholds(0.0, 0.0, 0, "none")
    model = RelevanceModel(rules, learned, positives, ranker, placeholder)
    sample = model.shipped_sample_scores()
    named = shipped_names_topic(rules)
    ceiling = float(sample[~named].max()) if (~named).any() else float("-inf")
    thresholds = fit_thresholds(sample, budget, "shipped sample", ceiling)
    return RelevanceModel(rules, learned, positives, ranker, thresholds, "", ceiling)
