"""The rules' gate: whether any strong term of the topic could occur in a raw text, answered by one regular expression
at C speed before the text is split into words (most of a day's feed names none). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from digest.relevance.terms import TermSet
from digest.relevance.tokeniser import WORD_BYTES

_ANY_ENDING, _SEPARATOR = "[a-z0-9]*", "[^a-z0-9]+"


def _atoms(parts: Sequence[str]) -> list[str]:
    atoms: list[str] = []
    for position, part in enumerate(parts):
        if position:
            atoms.append(_SEPARATOR)
        atoms.extend(re.escape(char) for char in part.lower().rstrip("*"))
        if part.endswith("*"):
            atoms.append(_ANY_ENDING)
    return atoms


def _trie_pattern(node: dict[str, Any]) -> str:
    # Alternatives that share a beginning share one branch, so the engine tries one branch per letter of the text
    # instead of every term: the difference between ~100 and ~10 microseconds for an abstract.
    ends = "" in node
    branches = [atom + _trie_pattern(child) for atom, child in sorted(node.items()) if atom]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and not ends else "(?:" + "|".join(branches) + ")"
    return body + ("?" if ends else "")


# The only characters outside ASCII whose lower case holds an ASCII letter (checked over all of Unicode in the
# tests): lowering a text that holds one could join a word to its neighbour, so such a text is matched as written.
_LOWERS_TO_ASCII = ("\u0130", "\u212a")

# An ASCII text's bytes as the lower-case pattern sees them: letters lowered, digits kept, any other byte a space.
_SPACED = WORD_BYTES.lower()
_LOWER_GATE = "[^a-z0-9](?:{body})(?![a-z0-9])"  # the gate on a lower-case text (with a space in front)


class TermGate:
    """Whether any term of the sets could occur in a raw text: one regular expression searched at C speed before
    the text is split into words. It matches a superset of what `TermSet.find` finds (case is ignored, separators
    are any non-word characters), so "no" proves that `find` finds nothing."""

    def __init__(self, *term_sets: TermSet) -> None:
        trie: dict[str, Any] = {}
        for term_set in term_sets:
            for parts in term_set.parts:
                node = trie
                for atom in _atoms(parts):
                    node = node.setdefault(atom, {})
                node[""] = {}
        self._compile(_trie_pattern(trie) or "(?!)")

    def _compile(self, body: str) -> None:
        self._body = body
        # On an ASCII text with every character but a lower-case letter or a digit made a space (_SPACED), a term
        # follows a space: a literal the engine skips to several times faster than to a character of a class.
        self._spaced = re.compile(f" (?:{body})(?![a-z0-9])".encode("ascii"))

    # The patterns for a text outside ASCII (rare) are compiled when one comes: `digest score` loads a gate each run.
    @cached_property
    def _lower(self) -> re.Pattern[str]:
        # On lower-case text with a space in front, a term must follow a non-word character: the engine skips to
        # those quickly, where a look-behind would be tried at every character.
        return re.compile(_LOWER_GATE.format(body=self._body), re.ASCII)

    @cached_property
    def _any_case(self) -> re.Pattern[str]:
        return re.compile(f"(?<![a-z0-9])(?:{self._body})(?![a-z0-9])", re.IGNORECASE | re.ASCII)

    def __getstate__(self) -> dict[str, str]:
        return {"body": self._body}  # a saved model holds the gate's terms, and compiles its patterns when loaded

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A gate pickled by older code (in a model it saved) holds its compiled patterns: the terms are read back
        # from the lower-case one.
        if "body" in state:
            self._compile(state["body"])
        else:
            prefix, suffix = _LOWER_GATE.split("{body}")
            self._compile(state["_lower"].pattern.removeprefix(prefix).removesuffix(suffix))

    def may_match(self, text: str) -> bool:
        if text.isascii():
            return self._spaced.search(b" " + text.encode("ascii").translate(_SPACED)) is not None
        if any(char in text for char in _LOWERS_TO_ASCII):
            return self._any_case.search(text) is not None
        return self._lower.search(" " + text.lower()) is not None
