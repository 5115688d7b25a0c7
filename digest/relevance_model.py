"""What the relevance model learns from examples: word log-odds of the list against a background, and one
tf-idf centroid per section. Pure Python over plain data; fast enough to rebuild on every poll.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from digest import resources

_WORD = re.compile(r"[a-z0-9]+")
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


def document_terms(title: str, abstract: str) -> Terms:
    """Words and word pairs of a paper; the title counts twice because it says what the paper is about."""
    words = [word for word in _WORD.findall(f"{title} {title} {abstract}".lower()) if word not in _STOP]
    words = [word for word in words if not word.isdigit()]
    terms: Terms = Counter(words)
    terms.update(f"{first}_{second}" for first, second in itertools.pairwise(words))
    return terms


@dataclass(frozen=True)
class BackgroundPaper:
    arxiv_id: str
    title: str
    abstract: str


def background_path() -> Path:
    return resources.PACKAGE_DIR / "data" / "relevance_background.jsonl.gz"


@lru_cache(maxsize=1)
def background_papers() -> tuple[BackgroundPaper, ...]:
    """A small random sample of real arXiv papers (cs, 2024-2026) used as negatives; shipped with the package."""
    with gzip.open(background_path(), "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return tuple(BackgroundPaper(row["arxiv_id"], row["title"], row["abstract"]) for row in rows)


@lru_cache(maxsize=1)
def background_terms() -> tuple[Terms, ...]:
    return tuple(document_terms(paper.title, paper.abstract) for paper in background_papers())


@dataclass(frozen=True)
class LogOdds:
    """How much more often each word occurs in the list's papers than in the background (presence, not counts)."""

    weights: dict[str, float]

    def score(self, terms: Iterable[str]) -> float:
        positive = sorted((self.weights.get(term, 0.0) for term in terms), reverse=True)[:_TOP_WORDS]
        return sum(weight for weight in positive if weight > 0)


def train_log_odds(positives: Sequence[Terms], negatives: Sequence[tuple[Terms, float]]) -> LogOdds:
    """`negatives` are (terms, weight): a maintainer's rejection weighs more than a random background paper."""
    positive_df: Counter[str] = Counter()
    for terms in positives:
        positive_df.update(terms.keys())
    negative_df: dict[str, float] = {}
    negative_total = 0.0
    for terms, weight in negatives:
        negative_total += weight
        for term in terms:
            negative_df[term] = negative_df.get(term, 0.0) + weight
    positive_total = len(positives) + 1.0
    negative_total += 1.0
    weights = {
        term: math.log(((count + _PRIOR) / positive_total) / ((negative_df.get(term, 0.0) + _PRIOR) / negative_total))
        for term, count in positive_df.items()
    }
    return LogOdds(weights)


@dataclass(frozen=True)
class SectionCentroids:
    """One tf-idf centroid per section, built from the section's own papers."""

    idf: dict[str, float]
    centroids: dict[str, dict[str, float]]

    def similarities(self, terms: Terms) -> dict[str, float]:
        vector = _unit({term: (1 + math.log(count)) * self.idf.get(term, 0.0) for term, count in terms.items()})
        return {
            section: sum(weight * centroid.get(term, 0.0) for term, weight in vector.items())
            for section, centroid in self.centroids.items()
        }


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(value * value for value in vector.values()))
    return {term: value / norm for term, value in vector.items() if value} if norm else {}


def train_centroids(
    labeled: Sequence[tuple[Terms, Sequence[str]]], corpus_size: int, df: Counter[str]
) -> SectionCentroids:
    idf = {term: math.log((corpus_size + 1) / (count + 1)) + 1 for term, count in df.items()}
    sums: dict[str, dict[str, float]] = {}
    for terms, sections in labeled:
        vector = _unit({term: (1 + math.log(count)) * idf.get(term, 0.0) for term, count in terms.items()})
        for section in sections:
            total = sums.setdefault(section, {})
            for term, value in vector.items():
                total[term] = total.get(term, 0.0) + value
    return SectionCentroids(idf, {section: _unit(total) for section, total in sums.items()})
