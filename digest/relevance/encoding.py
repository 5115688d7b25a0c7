"""Papers encoded for the relevance model (word vectors, rule features, matched terms), and the shipped background
papers and the rules' gate encoded once per process and rules: the model is built again after every decision, and
this work is the same for the same rules every time (relevance/shipped_cache.py keeps it between processes). Pure.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from digest.relevance.features import WordVectors, background_sample, rule_matrix, word_vectors
from digest.relevance.rules import Rules, TermGate
from digest.relevance.types import PaperText


@dataclass(frozen=True)
class Encoded:
    words: sparse.csr_matrix
    rules: NDArray[np.float64]
    terms: list[tuple[str, ...]]


def encode(rules: Rules, vectors: WordVectors, papers: Sequence[PaperText]) -> Encoded:
    matrix, terms = rule_matrix(rules, papers)
    return Encoded(vectors.transform(papers), matrix, terms)


_shipped_cache: dict[tuple[int, str], tuple[Rules, Encoded]] = {}
_shipped_lock = threading.Lock()


def shipped(rules: Rules, role: str) -> Encoded:
    """The shipped background papers of one role, encoded once per process and rules (rules are compiled once)."""
    key = (id(rules), role)
    with _shipped_lock:
        found = _shipped_cache.get(key)
        if found is None:
            papers = [PaperText(paper.title, paper.abstract) for paper in background_sample() if paper.role == role]
            if len(_shipped_cache) > 8:
                _shipped_cache.clear()
            found = _shipped_cache[key] = (rules, encode(rules, word_vectors(), papers))
    return found[1]


_gate_cache: dict[int, tuple[Rules, TermGate]] = {}
_named_cache: dict[int, tuple[Rules, NDArray[np.bool_]]] = {}


def compiled_gate(rules: Rules) -> TermGate:
    """The rules' gate, compiled once per process and rules (a model is built again after every decision)."""
    with _shipped_lock:
        found = _gate_cache.get(id(rules))
        if found is None:
            if len(_gate_cache) > 8:
                _gate_cache.clear()
            found = _gate_cache[id(rules)] = (rules, TermGate(rules.modality_strong, rules.interpretability_strong))
    return found[1]


@dataclass(frozen=True)
class ShippedEncoding:
    """The shipped papers encoded for one set of rules, and which of the stream's stand-ins the gate lets through:
    most of a model build's time in a new process (about 1.5 s), kept on disk by relevance.shipped_cache."""

    train: Encoded
    calibrate: Encoded
    named: NDArray[np.bool_]


def shipped_encoding(rules: Rules) -> ShippedEncoding:
    """This process's encoding of the shipped papers for `rules`, worked out now if it was not yet."""
    return ShippedEncoding(shipped(rules, "train"), shipped(rules, "calibrate"), shipped_names_topic(rules))


def shipped_encoded_already(rules: Rules) -> bool:
    with _shipped_lock:
        roles = all((id(rules), role) in _shipped_cache for role in ("train", "calibrate"))
        return roles and id(rules) in _named_cache


def reuse_shipped_encoding(rules: Rules, kept: ShippedEncoding) -> None:
    """Takes an encoding an earlier process kept instead of working it out again. The caller's key vouches that it was
    made for these rules by this code from these shipped files."""
    with _shipped_lock:
        if len(_shipped_cache) > 8:
            _shipped_cache.clear()
        if len(_named_cache) > 8:
            _named_cache.clear()
        _shipped_cache[(id(rules), "train")] = (rules, kept.train)
        _shipped_cache[(id(rules), "calibrate")] = (rules, kept.calibrate)
        _named_cache[id(rules)] = (rules, kept.named)


def shipped_names_topic(rules: Rules) -> NDArray[np.bool_]:
    """Which papers of the shipped sample the gate lets through: worked out once per process and rules, and only
    when a model is built (a model loaded from its file, as `digest score` loads it, never needs it)."""
    term_gate = compiled_gate(rules)
    with _shipped_lock:
        found = _named_cache.get(id(rules))
        if found is None:
            papers = [paper for paper in background_sample() if paper.role == "calibrate"]
            named = np.array([term_gate.may_match(f"{paper.title}\n{paper.abstract}") for paper in papers], dtype=bool)
            if len(_named_cache) > 8:
                _named_cache.clear()
            found = _named_cache[id(rules)] = (rules, named)
    return found[1]
