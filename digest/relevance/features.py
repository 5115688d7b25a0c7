"""What the learned relevance model sees of a paper: keyword-rule features (feeds/rules.toml) and its words as a
tf-idf vector. Pure: the word vectoriser is fitted once per process on the shipped background and the bundled list.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from digest import resources
from digest.relevance.rules import Rules, Words
from digest.relevance.tokeniser import tokens
from digest.relevance.types import PaperText

ON_TOPIC_CATEGORY = re.compile(r"^(cs\.|stat\.ML|eess\.IV|eess\.AS|q-bio\.NC)")
_CAP = 3

# One column per rule feature; the model learns a weight for each (see relevance/learned.py).
RULE_FEATURES = (
    "modality terms",
    "weak modality terms",
    "interpretability terms",
    "weak interpretability terms",
    "modality and interpretability",
    "modality and weak interpretability",
    "weak modality and interpretability",
    "title names a modality",
    "title names interpretability",
    "title names both",
    "title names a modality (strong)",
    "title names interpretability (strong)",
    "interpretability survey",
    "application or engineering terms",
    "off-topic category",
    "hand-set keyword score",
    "internals terms",
    "modality and internals",
    "title names internals",
    "strength of both sides together",
)
# The last feature multiplies the strength of the two sides (the columns below added up). The rule features enter a
# linear model, which alone can only add evidence; the product lets it ask for both sides at once, and for much of
# both, as the papers that belong do. Chosen on the first half of the development period: the list's model ranking
# its stream, recall of `yes` in the top 0.3-0.5% 0.503 -> 0.559 on average (19 of 29 against 15-17 at 0.45-0.5%);
# the product and the weaker side together, or a log or a cap on the sides, did no better, and the replay of that
# half (bench --tune) chose the product alone over both. The later half, not used to choose: bench_relevance.py.
_MODALITY_SIDE = tuple(
    RULE_FEATURES.index(name)
    for name in ("modality terms", "weak modality terms", "title names a modality", "title names a modality (strong)")
)
_INTERPRETABILITY_SIDE = tuple(
    RULE_FEATURES.index(name)
    for name in (
        "interpretability terms",
        "weak interpretability terms",
        "title names interpretability",
        "title names interpretability (strong)",
        "internals terms",
    )
)

# The keyword score the rules were hand-tuned with (points; ~207 was the old threshold): one feature among the rest.
_HAND = {"modality": 4.0, "interpretability": 15.0, "weak": 6.0, "both": 60.0, "general": 60.0}
_HAND_TITLE = {"modality": 8.0, "interpretability": 6.0, "both": 20.0, "penalty": 15.0, "category": 20.0}


@dataclass(frozen=True)
class RuleMatch:
    values: tuple[float, ...]  # in RULE_FEATURES order
    terms: tuple[str, ...]  # the strong terms found (modality, interpretability), then the words for internals


def rule_match(rules: Rules, paper: PaperText) -> RuleMatch:
    title_words = tokens(paper.title)
    found = rules.find(Words(title_words + tokens(paper.abstract)))
    in_title = rules.find(Words(title_words))
    modality, interpretability, internal_terms = found.modality, found.interpretability, found.internals
    weak_modality, weak_interpretability = len(found.weak_modality), len(found.weak_interpretability)
    strong_title_modality, strong_title_interpretability = bool(in_title.modality), bool(in_title.interpretability)
    title_modality = strong_title_modality or bool(in_title.weak_modality)
    title_interpretability = strong_title_interpretability or bool(in_title.weak_interpretability)
    survey = len(interpretability) >= 2 and bool(in_title.general)
    penalties = len(found.penalties)
    internals = len(internal_terms)
    off_topic = bool(paper.categories) and not any(ON_TOPIC_CATEGORY.match(name) for name in paper.categories)
    both = bool(modality and interpretability)
    hand = (
        _HAND["modality"] * min(len(modality), _CAP)
        + _HAND["interpretability"] * min(len(interpretability), _CAP)
        + _HAND["weak"] * min(weak_interpretability, _CAP)
        + _HAND["both"] * both
        + _HAND["general"] * (survey and not both)
        + _HAND_TITLE["modality"] * title_modality
        + _HAND_TITLE["interpretability"] * title_interpretability
        + _HAND_TITLE["both"] * (title_modality and title_interpretability)
        - _HAND_TITLE["penalty"] * penalties
        - _HAND_TITLE["category"] * off_topic
    )
    values: tuple[float, ...] = (
        min(len(modality), _CAP) / _CAP,
        min(weak_modality, _CAP) / _CAP,
        min(len(interpretability), _CAP) / _CAP,
        min(weak_interpretability, _CAP) / _CAP,
        float(both),
        float(bool(modality) and weak_interpretability > 0),
        float(weak_modality > 0 and bool(interpretability)),
        float(title_modality),
        float(title_interpretability),
        float(title_modality and title_interpretability),
        float(strong_title_modality),
        float(strong_title_interpretability),
        float(survey),
        min(penalties, _CAP) / _CAP,
        float(off_topic),
        hand / 100.0,
        min(internals, _CAP) / _CAP,
        float(bool(modality) and internals > 0) * min(internals, _CAP) / _CAP,
        float(bool(in_title.internals)),
    )
    modality_side = sum(values[index] for index in _MODALITY_SIDE)
    interpretability_side = sum(values[index] for index in _INTERPRETABILITY_SIDE)
    return RuleMatch(
        (*values, modality_side * interpretability_side),
        tuple(dict.fromkeys(modality + interpretability + internal_terms)),
    )


def rule_matrix(rules: Rules, papers: Sequence[PaperText]) -> tuple[NDArray[np.float64], list[tuple[str, ...]]]:
    matches = [rule_match(rules, paper) for paper in papers]
    matrix = np.array([match.values for match in matches], dtype=np.float64).reshape(len(papers), len(RULE_FEATURES))
    return matrix, [match.terms for match in matches]


@dataclass(frozen=True)
class BackgroundPaper:
    arxiv_id: str
    title: str
    abstract: str
    role: str  # "train": a negative example; "calibrate": stands for the stream before any poll


BACKGROUND_FILE = "relevance_background.jsonl.gz"


@lru_cache(maxsize=1)
def background_sample() -> tuple[BackgroundPaper, ...]:
    """Real arXiv papers from before February 2025 shipped with the package (bench/make_background.py)."""
    with gzip.open(resources.PACKAGE_DIR / "data" / BACKGROUND_FILE, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return tuple(
        BackgroundPaper(row["arxiv_id"], row["title"], row["abstract"], row.get("role", "train")) for row in rows
    )


WORD_VECTORS_FILE = "relevance_words.json.gz"
_TOKEN_PATTERN = r"(?u)\b[A-Za-z][A-Za-z0-9]+\b"  # noqa: S105  (a regular expression)
_STOP = -2  # a stop word's mark in WordVectors.transform: left out, as the vectorizer leaves it out
# The same words in a lower-cased ASCII text, found faster: with no letter outside ASCII, Unicode's word boundaries
# are ASCII's.
_ASCII_TOKEN = re.compile(r"\b[a-z][a-z0-9]+\b", re.ASCII)
_VECTORIZER = {
    "lowercase": True,
    "stop_words": "english",
    "ngram_range": (1, 2),
    "min_df": 2,
    "sublinear_tf": True,
    "token_pattern": _TOKEN_PATTERN,
}


class WordVectors:
    """Unit tf-idf vectors of words and word pairs (sublinear term frequency, English stop words left out).

    The vocabulary and idf are fitted by scikit-learn's TfidfVectorizer on the shipped background and the bundled
    list (bench/make_background.py writes them into the package); applying them needs only NumPy, so the command
    line and the service do not load scikit-learn to score. `transform` equals the vectorizer's (a test holds it)."""

    def __init__(self, vocabulary: dict[str, int], idf: NDArray[np.float64], stop_words: frozenset[str]) -> None:
        self.idf = idf
        self.stop_words = stop_words
        self._token = re.compile(_TOKEN_PATTERN)
        self._pairs: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None
        self._size = len(vocabulary)
        # Each word's column, a stop word's _STOP: a feed's words are then looked up by one map() at C speed and the
        # stop words dropped at once, where a comprehension asked two questions of each word in Python. It is the only
        # copy of the vocabulary kept: a second dict of its 64,000 terms was 2 MB of a running service's memory (the
        # vectorizer leaves stop words out before it builds the vocabulary, so no term is both).
        self._columns = {**vocabulary, **dict.fromkeys(stop_words, _STOP)}

    @property
    def vocabulary(self) -> dict[str, int]:
        """Each term's column, made on each call from the one lookup kept."""
        return {term: column for term, column in self._columns.items() if column != _STOP}

    def _pair_columns(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The word pairs keyed by their two words' columns (first * size + second), sorted, with each pair's column;
        built on first use. The pairs of a whole feed are then looked up at once (np.searchsorted), not one by one."""
        if self._pairs is None:
            size, vocabulary = self._size, self.vocabulary
            keys, columns = [], []
            for term, column in vocabulary.items():
                first, _, second = term.partition(" ")
                if second and first in vocabulary and second in vocabulary:
                    keys.append(vocabulary[first] * size + vocabulary[second])
                    columns.append(column)
            order = np.argsort(np.array(keys, dtype=np.int64))
            # Built whole before it is published: a scoring thread never sees it half made.
            self._pairs = (np.array(keys, dtype=np.int64)[order], np.array(columns, dtype=np.int64)[order])
        return self._pairs

    def transform(self, papers: Sequence[PaperText]) -> sparse.csr_matrix:
        size, column = self._size, self._columns.get
        known: list[int] = []  # the words of every paper in order: a column, -1 outside the vocabulary, _STOP
        lengths: list[int] = []
        for paper in papers:
            text = paper.text.lower()
            words = (_ASCII_TOKEN if text.isascii() else self._token).findall(text)
            known.extend(map(column, words, repeat(-1, len(words))))
            lengths.append(len(words))
        every = np.array(known, dtype=np.int64)
        kept = every != _STOP
        words_of = every[kept]
        paper_of = np.repeat(np.arange(len(papers)), lengths)[kept]
        # A pair is two neighbouring known words of one paper, and a column only if the vocabulary holds it (each of
        # its words then does too: each occurs wherever the pair does).
        first, second = words_of[:-1], words_of[1:]
        neighbours = (first >= 0) & (second >= 0) & (paper_of[:-1] == paper_of[1:])
        keys = first[neighbours] * size + second[neighbours]
        pair_keys, pair_columns = self._pair_columns()
        at = np.minimum(np.searchsorted(pair_keys, keys), max(len(pair_keys) - 1, 0))
        is_pair = pair_keys[at] == keys if len(pair_keys) else np.zeros(len(keys), dtype=bool)
        single = words_of >= 0
        columns = np.concatenate([words_of[single], pair_columns[at[is_pair]]])
        rows = np.concatenate([paper_of[single], paper_of[:-1][neighbours][is_pair]])
        ones = np.ones(len(columns), dtype=np.float64)
        matrix = sparse.csr_matrix((ones, (rows, columns)), shape=(len(papers), size))
        matrix.sum_duplicates()  # the counts
        matrix.data = np.log(matrix.data) + 1.0
        matrix = sparse.csr_matrix(matrix @ sparse.diags(self.idf))
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)

    def to_json(self) -> dict[str, Any]:
        vocabulary = self.vocabulary
        terms = sorted(vocabulary, key=vocabulary.__getitem__)
        return {"terms": terms, "idf": [float(value) for value in self.idf], "stop_words": sorted(self.stop_words)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WordVectors:
        terms = data["terms"]
        return cls(
            {term: index for index, term in enumerate(terms)}, np.array(data["idf"]), frozenset(data["stop_words"])
        )


def word_corpus() -> list[str]:
    """What the vocabulary is fitted on: the shipped background and the bundled list's abstracts."""
    bundled = resources.curated_papers_path().read_text(encoding="utf-8").splitlines()
    corpus = [PaperText(paper.title, paper.abstract).text for paper in background_sample()]
    corpus += [
        PaperText(row["title"], row.get("abstract") or "").text for row in map(json.loads, filter(None, bundled))
    ]
    return corpus


def fit_word_vectors(corpus: Sequence[str]) -> WordVectors:
    """Fits the vocabulary with scikit-learn (a developer step, and a test's reference)."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # here: kept off the scoring path

    vectorizer = TfidfVectorizer(**_VECTORIZER)
    vectorizer.fit(corpus)
    vocabulary = {str(term): int(index) for term, index in vectorizer.vocabulary_.items()}
    stop_words = frozenset(str(word) for word in vectorizer.get_stop_words() or ())
    return WordVectors(vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), stop_words)


@lru_cache(maxsize=1)
def word_vectors() -> WordVectors:
    """The vocabulary shipped with the package (fitted once, when the background sample was drawn)."""
    with gzip.open(resources.PACKAGE_DIR / "data" / WORD_VECTORS_FILE, "rt", encoding="utf-8") as handle:
        return WordVectors.from_json(json.load(handle))
