"""The learned relevance model: a logistic regression over the keyword-rule features, word log-odds (a naive Bayes
model of the list's words against the background's), a linear model of the words (a logistic regression on their
tf-idf vectors, as arxiv-sanity ranks papers) and the closeness to list papers and to rejected papers.

Positives are the list's papers and the approvals; negatives a background sample and the rejections. The log-odds
and closeness of each training paper are taken from models fitted without it (cross-fitting), so the regression
weighs them as they behave on new papers. Pure: numbers in, numbers out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

LEARNED_FEATURES = (
    "words like the list's",
    "closeness to list papers",
    "closer to a rejected paper than the list",
    "word model of the list and the decisions",
)
_FOLDS = 5
_NB_SCALE = 100.0  # naive Bayes log-odds are hundreds of nats; scaled to the other features' range
_SIMILARITY_SCALE = 3.0
_ROWS = 512  # papers whose closeness to the rejected papers is taken at once
# The word model's C, chosen on the first half of the development period (recall at 0.47% of its stream 0.55 -> 0.66;
# 0.1 gave 0.62, 1 and 3 0.59); the later half, not used to choose, went 0.73 -> 0.78 at the outside check's density.
_WORDS_C = 0.3


@dataclass(frozen=True)
class Weighting:
    """How much each kind of example counts. The positives together weigh `positive_share` of the background, so a
    few dozen list papers are not drowned by thousands of negatives; each rejection counts `rejection` background
    papers, and rejections together never more than `rejection_cap` of the positives, so a run of rejections cannot
    push down what resembles the list."""

    positive_share: float = 0.5
    rejection: float = 5.0
    rejection_cap: float = 0.5
    regularisation: float = 0.1  # the regression's C: small, the examples are few


@dataclass(frozen=True)
class Examples:
    """Word vectors (unit rows) and rule features of the training papers, in three groups."""

    positive_words: sparse.csr_matrix
    positive_rules: NDArray[np.float64]
    background_words: sparse.csr_matrix
    background_rules: NDArray[np.float64]
    rejected_words: sparse.csr_matrix
    rejected_rules: NDArray[np.float64]


class _Base:
    """The parts fitted on examples: naive Bayes word log-odds and the papers to measure closeness to."""

    def __init__(
        self,
        positives: sparse.csr_matrix,
        negatives: sparse.csr_matrix,
        negative_weights: NDArray[np.float64],
        rejected: sparse.csr_matrix,
    ) -> None:
        from sklearn.linear_model import LogisticRegression  # here: scoring runs without scikit-learn
        from sklearn.naive_bayes import BernoulliNB

        words = sparse.vstack([positives, negatives]).tocsr()
        labels = np.r_[np.ones(positives.shape[0]), np.zeros(negatives.shape[0])]
        weights = np.r_[
            np.full(positives.shape[0], negative_weights.sum() / max(positives.shape[0], 1)), negative_weights
        ]
        bayes = BernoulliNB(alpha=0.1).fit(words > 0, labels, sample_weight=weights)
        # Bernoulli naive Bayes is linear in word presence: log-odds = presence . w + b.
        present = bayes.feature_log_prob_
        absent = np.log1p(-np.exp(present))
        self.word_weights = (present[1] - absent[1]) - (present[0] - absent[0])
        self.word_bias = float(
            bayes.class_log_prior_[1] + absent[1].sum() - bayes.class_log_prior_[0] - absent[0].sum()
        )
        # The dual solver: far fewer papers than words (0.04 s against 2 s for lbfgs, the same weights). Applied as a
        # dot product, so scoring (and the pickled model) needs NumPy only. Its coordinate descent visits the papers
        # in a random order: seeded, so the same inputs build the same model.
        linear = LogisticRegression(C=_WORDS_C, solver="liblinear", dual=True, max_iter=1000, random_state=0).fit(
            words, labels, sample_weight=weights
        )
        self.linear_weights = np.asarray(linear.coef_[0], dtype=np.float64)
        self.linear_bias = float(linear.intercept_[0])
        self.positives = positives
        self.rejected = rejected

    def features(self, words: sparse.csr_matrix) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The learned features of papers, and their similarity to each positive (for the nearest papers)."""
        presence = sparse.csr_matrix(words, copy=True)
        presence.data[:] = 1.0
        log_odds = (presence @ self.word_weights + self.word_bias) / _NB_SCALE
        to_positives = np.asarray((words @ self.positives.T).todense())
        closest = to_positives.max(axis=1) if to_positives.shape[1] else np.zeros(words.shape[0])
        closest_rejected = closest_to(words, self.rejected)
        excess = np.maximum(closest_rejected - closest, 0.0)
        linear = words @ self.linear_weights + self.linear_bias
        learned = np.column_stack([log_odds, closest * _SIMILARITY_SCALE, excess * _SIMILARITY_SCALE, linear])
        return learned, to_positives


def closest_to(words: sparse.csr_matrix, others: sparse.csr_matrix) -> NDArray[np.float64]:
    """Each paper's similarity to the closest of `others` (unit tf-idf rows, so 0 when they share no word), taken
    _ROWS papers at a time: the whole product is papers x others, and with tens of thousands of imported verdicts it
    held gigabytes at a build. Each row's product is the same whatever the chunk, so the values are too."""
    found = np.zeros(words.shape[0])
    if not others.shape[0]:
        return found
    transposed = others.T.tocsr()  # what each product would convert it to: once, not per chunk
    for start in range(0, words.shape[0], _ROWS):
        block = words[start : start + _ROWS] @ transposed
        found[start : start + block.shape[0]] = block.max(axis=1).toarray().ravel()
    return found


@dataclass(frozen=True)
class Scored:
    raw: NDArray[np.float64]  # the regression's log-odds of belonging
    contributions: NDArray[np.float64]  # per paper and feature: weight times value
    to_positives: NDArray[np.float64]  # similarity to each positive, in training order


class LearnedModel:
    def __init__(self, examples: Examples, weighting: Weighting) -> None:
        self.weighting = weighting
        self.held_out: dict[str, float] = {}  # by arXiv ID, filled in by the caller that knows the IDs
        pos_n, bg_n = examples.positive_words.shape[0], examples.background_words.shape[0]
        rej_n = examples.rejected_words.shape[0]
        positive_weight = weighting.positive_share * bg_n / max(pos_n, 1)
        rejection_weight = min(weighting.rejection, weighting.rejection_cap * positive_weight * pos_n / max(rej_n, 1))
        words = sparse.vstack([examples.positive_words, examples.background_words, examples.rejected_words]).tocsr()
        rules = np.vstack([examples.positive_rules, examples.background_rules, examples.rejected_rules])
        group = np.r_[np.zeros(pos_n), np.ones(bg_n), np.full(rej_n, 2)].astype(int)
        weights = np.r_[np.full(pos_n, positive_weight), np.ones(bg_n), np.full(rej_n, rejection_weight)]
        labels = (group == 0).astype(int)
        from sklearn.linear_model import LogisticRegression  # here: scoring runs without scikit-learn
        from sklearn.model_selection import StratifiedKFold

        learned = np.zeros((len(group), len(LEARNED_FEATURES)))
        folds = min(_FOLDS, max(2, pos_n))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        for train, test in splitter.split(np.zeros(len(group)), labels):
            base = self._base(words, group, weights, train)
            learned[test] = base.features(words[test])[0]
        self._base_all = self._base(words, group, weights, np.arange(len(group)))
        regression = LogisticRegression(C=weighting.regularisation, max_iter=5000)
        regression.fit(np.hstack([rules, learned]), labels, sample_weight=weights)
        self.coefficients = np.asarray(regression.coef_[0], dtype=np.float64)
        self.intercept = float(regression.intercept_[0])
        # Each training paper's score from the cross-fitted parts, which never saw it: how the model would have
        # scored it as a new paper (the threshold is fitted on the stream, where decided papers sit too).
        held_out = np.hstack([rules, learned]) @ self.coefficients + self.intercept
        self.held_out_positives = held_out[:pos_n]
        self.held_out_rejected = held_out[pos_n + bg_n :]

    @staticmethod
    def _base(
        words: sparse.csr_matrix, group: NDArray[np.int_], weights: NDArray[np.float64], rows: NDArray[np.int_]
    ) -> _Base:
        chosen = np.zeros(len(group), dtype=bool)
        chosen[rows] = True
        negatives = chosen & (group != 0)
        return _Base(words[chosen & (group == 0)], words[negatives], weights[negatives], words[chosen & (group == 2)])

    def score(self, words: sparse.csr_matrix, rules: NDArray[np.float64]) -> Scored:
        learned, to_positives = self._base_all.features(words)
        values = np.hstack([rules, learned])
        contributions = values * self.coefficients
        raw = contributions.sum(axis=1) + self.intercept
        return Scored(raw, contributions, to_positives)

    def weights(self) -> Sequence[float]:
        return [float(value) for value in self.coefficients]
