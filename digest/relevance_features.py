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

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from digest import resources
from digest.relevance_model import tokens
from digest.relevance_rules import Rules, Words

ON_TOPIC_CATEGORY = re.compile(r"^(cs\.|stat\.ML|eess\.IV|eess\.AS|q-bio\.NC)")
_CAP = 3

# One column per rule feature; the model learns a weight for each (see relevance_learned.py).
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
)

# The keyword score the rules were hand-tuned with (points; ~207 was the old threshold): one feature among the rest.
_HAND = {"modality": 4.0, "interpretability": 15.0, "weak": 6.0, "both": 60.0, "general": 60.0}
_HAND_TITLE = {"modality": 8.0, "interpretability": 6.0, "both": 20.0, "penalty": 15.0, "category": 20.0}


@dataclass(frozen=True)
class PaperText:
    """A paper as the model reads it."""

    title: str
    abstract: str
    categories: Sequence[str] = ()

    @property
    def text(self) -> str:
        # The title twice: it says what the paper is about.
        return f"{self.title} {self.title} {self.abstract}"


@dataclass(frozen=True)
class RuleMatch:
    values: tuple[float, ...]  # in RULE_FEATURES order
    terms: tuple[str, ...]  # the strong terms found, modality first


def rule_match(rules: Rules, paper: PaperText) -> RuleMatch:
    title_words, abstract_words = tokens(paper.title), tokens(paper.abstract)
    words, title = Words(title_words + abstract_words), Words(title_words)
    modality, interpretability = rules.modality_strong.find(words), rules.interpretability_strong.find(words)
    weak_modality = len(rules.modality_weak.find(words))
    weak_interpretability = len(rules.interpretability_weak.find(words))
    strong_title_modality = bool(rules.modality_strong.find(title))
    strong_title_interpretability = bool(rules.interpretability_strong.find(title))
    title_modality = strong_title_modality or bool(rules.modality_weak.find(title))
    title_interpretability = strong_title_interpretability or bool(rules.interpretability_weak.find(title))
    survey = len(interpretability) >= 2 and bool(rules.general.find(title))
    penalties = len(rules.penalties.find(words))
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
    values = (
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
    )
    return RuleMatch(values, tuple(modality + interpretability))


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


@lru_cache(maxsize=1)
def background_sample() -> tuple[BackgroundPaper, ...]:
    """Real arXiv papers from before February 2025 shipped with the package (bench/make_background.py)."""
    with gzip.open(resources.PACKAGE_DIR / "data" / "relevance_background.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return tuple(
        BackgroundPaper(row["arxiv_id"], row["title"], row["abstract"], row.get("role", "train")) for row in rows
    )


class WordVectors:
    """Unit tf-idf vectors of words and word pairs; the vocabulary and idf come from the background and the bundled
    list, fitted once per process (papers approved later are read in that vocabulary)."""

    def __init__(self, corpus: Sequence[str]) -> None:
        self._vectorizer = TfidfVectorizer(
            lowercase=True,
            stop_words="english",
            ngram_range=(1, 2),
            min_df=2,
            sublinear_tf=True,
            dtype=np.float64,
            token_pattern=r"(?u)\b[A-Za-z][A-Za-z0-9]+\b",  # noqa: S106  (a regular expression, not a password)
        )
        self._vectorizer.fit(corpus)

    def transform(self, papers: Sequence[PaperText]) -> sparse.csr_matrix:
        if not papers:
            return sparse.csr_matrix((0, len(self._vectorizer.vocabulary_)))
        return sparse.csr_matrix(self._vectorizer.transform([paper.text for paper in papers]))


@lru_cache(maxsize=1)
def word_vectors() -> WordVectors:
    bundled = resources.curated_papers_path().read_text(encoding="utf-8").splitlines()
    corpus = [PaperText(paper.title, paper.abstract).text for paper in background_sample()]
    corpus += [
        PaperText(row["title"], row.get("abstract") or "").text for row in map(json.loads, filter(None, bundled))
    ]
    return WordVectors(corpus)
