"""What the relevance model learns from examples: word log-odds of the list against a background, and a tf-idf
index of the list's papers (nearest neighbours and one centroid per section). Pure Python over plain data.
"""

from __future__ import annotations

import gzip
import heapq
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from digest import resources

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "in",
        "on",
        "for",
        "to",
        "with",
        "by",
        "from",
        "as",
        "at",
        "is",
        "are",
        "be",
        "was",
        "were",
        "this",
        "that",
        "these",
        "those",
        "we",
        "our",
        "it",
        "its",
        "their",
        "they",
        "which",
        "can",
        "using",
        "use",
        "used",
        "via",
        "into",
        "than",
        "then",
        "also",
        "both",
        "such",
        "not",
        "but",
        "has",
        "have",
        "been",
        "how",
        "what",
        "when",
        "where",
        "while",
        "do",
        "does",
        "more",
        "most",
        "new",
        "show",
        "shows",
        "shown",
        "based",
        "approach",
        "method",
        "methods",
        "paper",
        "propose",
        "proposed",
        "results",
        "model",
        "models",
    ]
)
# Smoothing for the log-odds: a word seen in no example still gets a finite weight.
_PRIOR = 0.1
# Only the strongest words count, so a long abstract is not favoured over a short one.
_TOP_WORDS = 30

Terms = Counter[str]


def tokens(text: str) -> list[str]:
    """Words in their original case; the one tokeniser shared by the keyword rules and the learned parts."""
    return _TOKEN.findall(text)


def terms_of_words(title_words: Sequence[str], abstract_words: Sequence[str]) -> list[str]:
    """Words and word pairs (lower case, no stop words or numbers); the title twice: it says what the paper is."""
    title = [word for word in title_words if word not in _STOP and not word.isdigit()]
    words = title + title + [word for word in abstract_words if word not in _STOP and not word.isdigit()]
    pairs = [f"{first}_{second}" for first, second in itertools.pairwise(words)]
    return words + pairs


def document_terms(title: str, abstract: str) -> Terms:
    return Counter(terms_of_words(tokens(title.lower()), tokens(abstract.lower())))


@dataclass(frozen=True)
class BackgroundPaper:
    arxiv_id: str
    title: str
    abstract: str


def background_path() -> Path:
    return resources.PACKAGE_DIR / "data" / "relevance_background.jsonl.gz"


def background_papers() -> tuple[BackgroundPaper, ...]:
    """A random sample of real arXiv papers (cs, 2024-2026) used as negatives; shipped with the package."""
    with gzip.open(background_path(), "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return tuple(BackgroundPaper(row["arxiv_id"], row["title"], row["abstract"]) for row in rows)


@lru_cache(maxsize=1)
def background_frequency() -> tuple[int, dict[str, int]]:
    """How many background papers hold each term. Only the counts are kept: the papers themselves would cost
    tens of megabytes in a service that should idle small."""
    frequency: Counter[str] = Counter()
    papers = background_papers()
    for paper in papers:
        frequency.update(document_terms(paper.title, paper.abstract).keys())
    return len(papers), dict(frequency)


@dataclass(frozen=True)
class LogOdds:
    """How much more often each term occurs in the list's papers than in the background (presence, not counts).
    Only terms that favour the list are kept: the others never count."""

    weights: dict[str, float]

    def score(self, terms: Collection[str]) -> float:
        present = [self.weights[term] for term in self.weights.keys() & terms]
        if len(present) > _TOP_WORDS:
            present = heapq.nlargest(_TOP_WORDS, present)
        return sum(present)


def train_log_odds(
    positives: Sequence[Collection[str]], negative_count: float, negative_frequency: dict[str, float]
) -> LogOdds:
    """`negative_frequency` may weigh documents: a maintainer's rejection counts more than a background paper."""
    positive_df: Counter[str] = Counter()
    for terms in positives:
        positive_df.update(set(terms))
    positive_total = len(positives) + 1.0
    negative_total = negative_count + 1.0
    weights: dict[str, float] = {}
    for term, count in positive_df.items():
        weight = math.log(
            ((count + _PRIOR) / positive_total) / ((negative_frequency.get(term, 0.0) + _PRIOR) / negative_total)
        )
        if weight > 0:
            weights[term] = weight
    return LogOdds(weights)


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(value * value for value in vector.values()))
    return {term: value / norm for term, value in vector.items() if value} if norm else {}


@dataclass(frozen=True)
class Neighbours:
    """Tf-idf vectors of labelled papers, searched through an inverted index, and one centroid per label."""

    idf: InverseFrequency
    labels: tuple[tuple[str, ...], ...]
    postings: dict[str, list[tuple[int, float]]]
    centroids: dict[str, dict[str, float]]

    def vector(self, terms: Terms) -> dict[str, float]:
        return _weighted(terms, self.idf)

    def similarities(self, vector: dict[str, float]) -> list[float]:
        """Cosine similarity to each indexed paper, in index order."""
        found = [0.0] * len(self.labels)
        postings = self.postings
        for term in vector.keys() & postings.keys():
            weight = vector[term]
            for index, value in postings[term]:
                found[index] += weight * value
        return found

    def centroid_similarities(self, vector: dict[str, float]) -> dict[str, float]:
        return {
            label: sum(weight * centroid.get(term, 0.0) for term, weight in vector.items())
            for label, centroid in self.centroids.items()
        }


def build_neighbours(labeled: Sequence[tuple[Terms, Sequence[str]]], idf: InverseFrequency) -> Neighbours:
    postings: dict[str, list[tuple[int, float]]] = {}
    sums: dict[str, dict[str, float]] = {}
    for index, (terms, labels) in enumerate(labeled):
        vector = _weighted(terms, idf)
        for term, value in vector.items():
            postings.setdefault(term, []).append((index, value))
        for label in labels:
            total = sums.setdefault(label, {})
            for term, value in vector.items():
                total[term] = total.get(term, 0.0) + value
    return Neighbours(
        idf,
        tuple(tuple(labels) for _, labels in labeled),
        postings,
        {label: _unit(total) for label, total in sums.items()},
    )


class InverseFrequency:
    """Idf, log((corpus + 1) / (count + 1)) + 1, of every term seen in the background or the examples; 0.0 for a
    term never seen. Computed on lookup rather than stored: the background's vocabulary (about 130,000 words and
    pairs) would otherwise be copied into a new dictionary each time the model is rebuilt, which was most of the
    cost of a rebuild. The background counts are shared with every model; only the examples' counts are per model."""

    __slots__ = ("_background", "_base", "_examples")

    def __init__(self, corpus_size: int, background: Mapping[str, int], examples: Mapping[str, int]) -> None:
        self._base = math.log(corpus_size + 1) + 1
        self._background = background
        self._examples = examples

    def weight(self, term: str) -> float:
        count = self._background.get(term, 0) + self._examples.get(term, 0)
        return self._base - math.log(count + 1) if count else 0.0


def _weighted(terms: Terms, idf: InverseFrequency) -> dict[str, float]:
    """The unit tf-idf vector of a document's term counts (terms never seen are left out)."""
    vector: dict[str, float] = {}
    weight = idf.weight
    for term, count in terms.items():
        value = weight(term)
        if value:
            vector[term] = (1 + math.log(count)) * value
    return _unit(vector)
