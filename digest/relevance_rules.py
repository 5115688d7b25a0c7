"""Keyword rules from feeds/rules.toml: modality terms, interpretability terms, exclusions and section hints.

Pure: a `Rules` value is compiled once into word lookups and then only matched against text.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RULES_FILE = "rules.toml"


class RulesError(Exception):
    """The rules file is missing or malformed; the message is one line naming the file and the problem."""


_TOKEN = re.compile(r"[A-Za-z0-9]+")


def _is_acronym(term: str) -> bool:
    # Short all-caps terms (SAE, VLM, CLIP, ViT) are matched case-sensitively so that "clip" or "sae" in ordinary
    # prose does not count.
    core = term.rstrip("*")
    core = core[:-1] if core.endswith("s") else core
    return 2 <= len(core) <= 5 and sum(ch.isupper() for ch in core) >= 2


class Words:
    """A text split into words once (original case, lower case, and their sets) for every term set to match."""

    __slots__ = ("lower", "lower_set", "original", "original_set")

    def __init__(self, original: Sequence[str]) -> None:
        self.original = original
        self.lower = [word.lower() for word in original]
        self.original_set = set(original)
        self.lower_set = set(self.lower)

    @classmethod
    def of(cls, text: str) -> Words:
        return cls(_TOKEN.findall(text))


@dataclass(frozen=True)
class _Term:
    index: int
    parts: tuple[str, ...]  # lower case unless case-sensitive; a trailing "*" on a part matches any ending
    case_sensitive: bool

    def matches_at(self, source: Sequence[str], start: int) -> bool:
        if start + len(self.parts) > len(source):
            return False
        for offset, part in enumerate(self.parts):
            word = source[start + offset]
            if part.endswith("*"):
                if not word.startswith(part[:-1]):
                    return False
            elif word != part:
                return False
        return True

    def occurs_in(self, words: Words) -> bool:
        source = words.original if self.case_sensitive else words.lower
        first = self.parts[0]
        return any(word == first and self.matches_at(source, start) for start, word in enumerate(source))


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
        for index, term in enumerate(self.terms):
            case_sensitive = _is_acronym(term)
            raw_parts = [part for part in re.split(r"[\s\-]+", term.strip()) if part]
            parts = []
            for position, part in enumerate(raw_parts):
                star = part.endswith("*") and position == len(raw_parts) - 1
                words = _TOKEN.findall(part)
                if not case_sensitive:
                    words = [word.lower() for word in words]
                if star and words:
                    words[-1] += "*"
                parts.extend(words)
            if not parts:
                continue
            if len(parts) > 1:
                self._phrases.setdefault(parts[0].lower(), []).append(_Term(index, tuple(parts), case_sensitive))
            elif parts[0].endswith("*") and case_sensitive:
                self._acronym_stems.append((index, parts[0][:-1]))
            elif parts[0].endswith("*"):
                stems.setdefault(parts[0][:-1], []).append(index)
            else:
                (self._acronyms if case_sensitive else self._words).setdefault(parts[0], []).append(index)
        # Stems are looked up by their first letters (as many as the shortest stem has): one dictionary lookup per
        # distinct word of the text, then a startswith on the few stems sharing those letters.
        self._head = min((len(stem) for stem in stems), default=1) or 1
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
            head, heads = self._head, self._stems
            for word in words.lower_set:
                for stem, indices in heads.get(word[:head], ()):
                    if word.startswith(stem):
                        found.update(indices)
        for index, stem in self._acronym_stems:
            if any(word.startswith(stem) for word in words.original_set):
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
        )
        if not rules.modality_strong.terms or not rules.interpretability_strong.terms:
            raise RulesError(f"{source}: [modality] and [interpretability] need strong terms")
        return rules


def load_rules(feeds_dir: Path) -> Rules:
    """Reads `<feeds_dir>/rules.toml`; raises RulesError with one line when it is missing or malformed."""
    path = feeds_dir / RULES_FILE
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise RulesError(f"{path}: no keyword rules file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML ({exc})") from exc
    return Rules.from_mapping(data, str(path))
