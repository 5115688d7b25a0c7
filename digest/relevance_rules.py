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


@dataclass(frozen=True)
class Words:
    """A text split into words once, in original case and lower case, for every term set to match against."""

    original: tuple[str, ...]
    lower: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Words:
        original = tuple(_TOKEN.findall(text))
        return cls(original, tuple(word.lower() for word in original))


@dataclass(frozen=True)
class _Term:
    index: int
    parts: tuple[str, ...]  # lower case unless case-sensitive; a trailing "*" on a part matches any ending
    case_sensitive: bool

    def matches_at(self, words: Words, start: int) -> bool:
        source = words.original if self.case_sensitive else words.lower
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


class TermSet:
    """A named group of terms; `find` returns the terms that occur in a text, in rule order, each once.

    A term is split into words like the text ("vision-language model*" is three words, the last a prefix), so one
    pass over the words with dictionary lookups finds every term, however many there are.
    """

    def __init__(self, terms: Sequence[str]) -> None:
        self.terms = tuple(terms)
        self._exact: dict[str, list[_Term]] = {}
        self._prefix: dict[str, list[_Term]] = {}
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
            entry = _Term(index, tuple(parts), case_sensitive)
            first = parts[0]
            if first.endswith("*"):
                self._prefix.setdefault(first[:-1].lower(), []).append(entry)
            else:
                self._exact.setdefault(first.lower(), []).append(entry)
        self._prefix_lengths = sorted({len(stem) for stem in self._prefix})

    def find(self, words: Words) -> list[str]:
        found: set[int] = set()
        for start, word in enumerate(words.lower):
            for entry in self._exact.get(word, ()):
                if entry.index not in found and entry.matches_at(words, start):
                    found.add(entry.index)
            for length in self._prefix_lengths:
                if length > len(word):
                    break
                for entry in self._prefix.get(word[:length], ()):
                    if entry.index not in found and entry.matches_at(words, start):
                        found.add(entry.index)
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
