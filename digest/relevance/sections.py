"""Which section a paper belongs in: learned from the list's entries and the approvals by section (the closeness
to each section's papers and to its nearest papers) plus the section hints of the rules. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from digest.relevance.rules import Rules, TermSet, Words
from digest.relevance.section_keys import section_key as section_key  # named here for its users

_CENTROID, _VOTE, _NEAREST = 1.0, 0.5, 3
# Hint weights chosen on the yes papers of the first half of the development decisions (section top-1 there
# 0.41 -> 0.55; on the later half, not used to choose, 0.53 -> 0.58).
_HINT, _TITLE_HINT = 0.16, 0.3
_TOLD_APART = re.compile(r" \([^()]*\)$")  # what a label adds to a repeated heading's name (sectionlabels)


class SectionRanker:
    def __init__(self, rules: Rules, words: sparse.csr_matrix, labels: Sequence[Sequence[str]]) -> None:
        self.sections: list[str] = []
        for names in labels:
            self.sections.extend(name for name in names if name not in self.sections)
        self.labels = [tuple(names) for names in labels]
        rows = []
        for name in self.sections:
            members = [index for index, names in enumerate(labels) if name in names]
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
        for name, hints in self._hints.items():
            scores[name] += _HINT * len(hints.find(words)) + _TITLE_HINT * len(hints.find(title))
        return [name for name in sorted(scores, key=lambda name: -scores[name]) if scores[name] > 0]
