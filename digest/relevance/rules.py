"""Keyword rules from feeds/rules.toml: modality terms, interpretability terms, exclusions and section hints.

Pure: a `Rules` value is compiled once into word lookups and then only matched against text.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

RULES_FILE = "rules.toml"


class RulesError(Exception):
    """The rules file is missing or malformed; the message is one line naming the file and the problem."""


_TOKEN = re.compile(r"[A-Za-z0-9]+")
_HEAD = 3


def _is_acronym(term: str) -> bool:
    # Short all-caps terms (SAE, VLM, CLIP, ViT) are matched case-sensitively so that "clip" or "sae" in ordinary
    # prose does not count.
    core = term.rstrip("*")
    core = core[:-1] if core.endswith("s") else core
    return 2 <= len(core) <= 5 and sum(ch.isupper() for ch in core) >= 2


class Words:
    """A text split into words once (original case, lower case, and their sets) for every term set to match."""

    __slots__ = ("_heads", "_lower_text", "_original_text", "lower", "lower_set", "original", "original_set")

    def __init__(self, original: Sequence[str]) -> None:
        self.original = original
        self.lower = [word.lower() for word in original]
        self.original_set = set(original)
        self.lower_set = set(self.lower)
        self._lower_text: str | None = None
        self._original_text: str | None = None
        self._heads: dict[int, dict[str, list[str]]] = {}

    def heads(self, length: int) -> dict[str, list[str]]:
        """The distinct lower-case words by their first `length` letters, built once for all the term sets."""
        found = self._heads.get(length)
        if found is None:
            found = {}
            for word in self.lower_set:
                found.setdefault(word[:length], []).append(word)
            self._heads[length] = found
        return found

    def joined(self, case_sensitive: bool) -> str:
        """The words joined by single spaces with a space at each end: a phrase is then one substring search
        (C speed) instead of a scan over every word, which a common first word ("in", "image") made costly."""
        if case_sensitive:
            if self._original_text is None:
                self._original_text = " " + " ".join(self.original) + " "
            return self._original_text
        if self._lower_text is None:
            self._lower_text = " " + " ".join(self.lower) + " "
        return self._lower_text

    @classmethod
    def of(cls, text: str) -> Words:
        return cls(_TOKEN.findall(text))


@dataclass(frozen=True)
class _Term:
    index: int
    parts: tuple[str, ...]  # lower case unless case-sensitive; a trailing "*" on a part matches any ending
    case_sensitive: bool

    needle: str = ""

    def __post_init__(self) -> None:
        # Words are joined by single spaces: the phrase with a space before it, and after it unless the last part
        # is a prefix ("model*" goes on with any ending).
        text = " " + " ".join(self.parts)
        object.__setattr__(self, "needle", text[:-1] if text.endswith("*") else text + " ")

    def occurs_in(self, words: Words) -> bool:
        return self.needle in words.joined(self.case_sensitive)


def _term_parts(term: str) -> tuple[list[str], bool]:
    """A term as words like the text's (lower case unless an acronym), the last one ending in "*" if a prefix."""
    case_sensitive = _is_acronym(term)
    raw_parts = [part for part in re.split(r"[\s\-]+", term.strip()) if part]
    parts: list[str] = []
    for position, part in enumerate(raw_parts):
        star = part.endswith("*") and position == len(raw_parts) - 1
        words = _TOKEN.findall(part)
        if not case_sensitive:
            words = [word.lower() for word in words]
        if star and words:
            words[-1] += "*"
        parts.extend(words)
    return parts, case_sensitive


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
        body = _trie_pattern(trie) or "(?!)"
        # On lower-case text with a space in front, a term must follow a non-word character: the engine skips to
        # those quickly, where a look-behind would be tried at every character.
        self._lower = re.compile(f"[^a-z0-9](?:{body})(?![a-z0-9])", re.ASCII)
        self._any_case = re.compile(f"(?<![a-z0-9])(?:{body})(?![a-z0-9])", re.IGNORECASE | re.ASCII)

    def may_match(self, text: str) -> bool:
        if any(char in text for char in _LOWERS_TO_ASCII):
            return self._any_case.search(text) is not None
        return self._lower.search(" " + text.lower()) is not None


class TermSet:
    """A named group of terms; `find` returns the terms that occur in a text, in rule order, each once.

    A term is split into words like the text ("vision-language model*" is three words, the last a prefix). Most
    terms are one word, found by intersecting sets; only a phrase whose first word occurs is checked in place.
    """

    def __init__(self, terms: Sequence[str]) -> None:
        self.terms = tuple(terms)
        self._words: dict[str, list[int]] = {}  # one lower-case word
        self._acronyms: dict[str, list[int]] = {}  # one word, matched as written
        stems: dict[str, list[int]] = {}  # one word with "*" (lower case): stem -> terms
        self._acronym_stems: list[tuple[int, str]] = []
        self._phrases: dict[str, list[_Term]] = {}  # several words: by first word (lower case)
        self.parts: list[tuple[str, ...]] = []  # every term as words (see any_term_pattern)
        for index, term in enumerate(self.terms):
            parts, case_sensitive = _term_parts(term)
            if not parts:
                continue
            self.parts.append(tuple(parts))
            if len(parts) > 1:
                self._phrases.setdefault(parts[0].lower(), []).append(_Term(index, tuple(parts), case_sensitive))
            elif parts[0].endswith("*") and case_sensitive:
                self._acronym_stems.append((index, parts[0][:-1]))
            elif parts[0].endswith("*"):
                stems.setdefault(parts[0][:-1], []).append(index)
            else:
                (self._acronyms if case_sensitive else self._words).setdefault(parts[0], []).append(index)
        # Stems are looked up by their first letters (three, or fewer if a stem is shorter): one set intersection
        # with the text's words by the same letters (built once per text for every term set), then a startswith
        # on the few words and stems sharing them.
        self._head = min([_HEAD, *(len(stem) for stem in stems)]) or 1
        self._stems: dict[str, list[tuple[str, list[int]]]] = {}
        for stem, indices in stems.items():
            self._stems.setdefault(stem[: self._head], []).append((stem, indices))

    def find(self, words: Words) -> list[str]:
        found: set[int] = set()
        for word in self._words.keys() & words.lower_set:
            found.update(self._words[word])
        for word in self._acronyms.keys() & words.original_set:
            found.update(self._acronyms[word])
        if self._stems:
            heads = words.heads(self._head)
            for head in self._stems.keys() & heads.keys():
                for stem, indices in self._stems[head]:
                    if any(word.startswith(stem) for word in heads[head]):
                        found.update(indices)
        for index, stem in self._acronym_stems:
            if " " + stem in words.joined(case_sensitive=True):
                found.add(index)
        for first in self._phrases.keys() & words.lower_set:
            found.update(term.index for term in self._phrases[first] if term.occurs_in(words))
        return [self.terms[index] for index in sorted(found)]


@dataclass(frozen=True)
class Rules:
    """The keyword rules: each side's strong and weak terms, penalty terms, and per-section hints."""

    modality_strong: TermSet
    modality_weak: TermSet
    interpretability_strong: TermSet
    interpretability_weak: TermSet
    penalties: TermSet
    general: TermSet
    sections: dict[str, TermSet]
    internals: TermSet  # words for a model's inner parts (optional in the file: none)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: str = RULES_FILE) -> Rules:
        def terms(table: str, key: str) -> list[str]:
            value = data.get(table, {})
            items = value.get(key, []) if isinstance(value, dict) else None
            if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
                raise RulesError(f"{source}: [{table}] {key} must be a list of non-empty strings")
            return items

        sections_table = data.get("sections", {})
        if not isinstance(sections_table, dict):
            raise RulesError(f"{source}: [sections] must map section names to lists of terms")
        sections: dict[str, TermSet] = {}
        for name, hints in sections_table.items():
            if not isinstance(hints, list) or not all(isinstance(item, str) and item.strip() for item in hints):
                raise RulesError(f"{source}: [sections] {name!r} must be a list of non-empty strings")
            sections[name] = TermSet(hints)
        rules = cls(
            modality_strong=TermSet(terms("modality", "strong")),
            modality_weak=TermSet(terms("modality", "weak")),
            interpretability_strong=TermSet(terms("interpretability", "strong")),
            interpretability_weak=TermSet(terms("interpretability", "weak")),
            penalties=TermSet(terms("penalties", "terms")),
            general=TermSet(terms("general", "terms")),
            sections=sections,
            internals=TermSet(terms("internals", "terms")),
        )
        if not rules.modality_strong.terms or not rules.interpretability_strong.terms:
            raise RulesError(f"{source}: [modality] and [interpretability] need strong terms")
        return rules


def rules_bytes(feeds_dir: Path) -> bytes:
    """The bytes of `<feeds_dir>/rules.toml`: what a built model depends on (see relevance_db's model cache)."""
    path = feeds_dir / RULES_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise RulesError(f"{path}: no keyword rules file") from exc


@lru_cache(maxsize=4)
def parse_rules(data: bytes, source: str) -> Rules:
    """Rules from the bytes of a rules file; raises RulesError with one line when they are malformed. The same
    bytes give the same (immutable) rules without compiling them again: a model rebuilt after an approval reuses
    them."""
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RulesError(f"{source}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML ({exc})") from exc
    return Rules.from_mapping(raw, source)


def load_rules(feeds_dir: Path) -> Rules:
    """Reads `<feeds_dir>/rules.toml`; raises RulesError with one line when it is missing or malformed."""
    return parse_rules(rules_bytes(feeds_dir), str(feeds_dir / RULES_FILE))
