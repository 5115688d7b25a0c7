"""Which section a paper belongs in: learned from the list's entries and the approvals by section (the closeness
to each section's papers and to its nearest papers; a section none of whose abstracts is known, its entries' titles)
plus the section hints of the rules. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from digest.relevance.rules import Rules, TermSet, Words
from digest.relevance.section_keys import section_key as section_key  # named here for its users
from digest.relevance.terms import TermIndex

_CENTROID, _VOTE, _NEAREST = 1.0, 0.5, 3
# Hint weights chosen on the yes papers of the first half of the development decisions (section top-1 there
# 0.41 -> 0.55; on the later half, not used to choose, 0.53 -> 0.58).
_HINT, _TITLE_HINT = 0.16, 0.3
_TOLD_APART = re.compile(r" \([^()]*\)$")  # what a label adds to a repeated heading's name (sectionlabels)


@lru_cache(maxsize=4)
def _hint_index(hints: tuple[TermSet, ...]) -> TermIndex:
    """Every section's hints matched together, each distinct word of a paper looked up once for all of them: one
    index a section used to cost a look-up of every word (and a word remembered) per section. Kept for the same term
    sets (the rules' own objects, so a model rebuilt after a decision with the same rules keeps the words learnt)."""
    return TermIndex(*hints)


class SectionRanker:
    def __init__(
        self,
        rules: Rules,
        words: sparse.csr_matrix,
        labels: Sequence[Sequence[str]],
        titled: sparse.csr_matrix | None = None,
        titled_labels: Sequence[Sequence[str]] = (),
    ) -> None:
        """`words` and `labels`: the positives' (`labels` aligned with the model's closeness to them). `titled` and
        `titled_labels`: the titles alone of the list's papers whose abstract is unknown, read for the sections no
        positive is in only (a list whose abstracts arXiv never gave still has its sections, and its hints for them)."""
        self.sections: list[str] = []
        for names in labels:
            self.sections.extend(name for name in names if name not in self.sections)
        self.labels = [tuple(names) for names in labels]
        learnt = set(self.sections)
        by_title = [tuple(name for name in names if name not in learnt) for names in titled_labels]
        for names in by_title:
            self.sections.extend(name for name in names if name not in self.sections)
        if titled is not None and titled.shape[0]:
            words = sparse.vstack([words, titled], format="csr")
        every = [*self.labels, *by_title]
        rows = []
        for name in self.sections:
            members = [index for index, names in enumerate(every) if name in names]
            centroid = np.asarray(words[members].sum(axis=0)).ravel()
            norm = np.linalg.norm(centroid)
            rows.append(centroid / norm if norm else centroid)
        self._centroids = sparse.csr_matrix(np.array(rows)) if rows else None
        self._hints: dict[str, TermSet] = {}
        for name in self.sections:
            # A heading the list repeats is learnt under its label, "Probing (2024)": the rules' "Probing" is its too,
            # and a label's heading above ("Probing (Sparse Autoencoder)") lends it no hints of its own.
            key, named = section_key(name), section_key(_TOLD_APART.sub("", name))
            for hint_name, hints in rules.sections.items():
                hint_key = section_key(hint_name)
                if key == hint_key or named == hint_key or named.endswith(" " + hint_key):
                    self._hints[name] = hints

    def rank(
        self, vector: sparse.csr_matrix, to_positives: NDArray[np.float64], words: Words, title: Words
    ) -> list[str]:
        scores = {name: 0.0 for name in self.sections}
        if self._centroids is not None:
            for name, value in zip(self.sections, (self._centroids @ vector.T).toarray().ravel(), strict=True):
                scores[name] += _CENTROID * float(value)
        for index in np.argsort(-to_positives)[:_NEAREST]:
            for name in self.labels[index]:
                scores[name] += _VOTE * float(to_positives[index])
        if self._hints:
            sets = tuple(dict.fromkeys(self._hints.values()))  # a set lent to two labels of a heading is matched once
            index = _hint_index(sets)
            position = {id(hints): number for number, hints in enumerate(sets)}
            in_text, in_title = index.find(words), index.find(title)
            for name, hints in self._hints.items():
                number = position[id(hints)]
                scores[name] += _HINT * len(in_text[number]) + _TITLE_HINT * len(in_title[number])
        return [name for name in sorted(scores, key=lambda name: -scores[name]) if scores[name] > 0]
