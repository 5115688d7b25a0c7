"""Keyword rules from feeds/rules.toml: modality terms, interpretability terms, exclusions and section hints.

Pure: a `Rules` value is compiled once into word lookups and then only matched against text. (Its index remembers
what each word it met is, a cache that changes no answer; a pickled `Rules` holds only its terms.)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from digest.config.problems import FEEDS_FILE, toml_file_problem
from digest.relevance.gate import TermGate
from digest.relevance.terms import TermIndex, TermSet, Words
from digest.relevance.terms import _Term as _Term  # a model pickled before terms.py names it here
from digest.resources import read_small_file, toml_text

# TermGate, TermSet and Words are the rules' vocabulary: importable from here as before (a model or rules pickled by an
# earlier version name them here).
__all__ = [
    "RULES_FILE",
    "RuleTerms",
    "Rules",
    "RulesError",
    "TermGate",
    "TermSet",
    "Words",
    "load_rules",
    "parse_rules",
    "rules_bytes",
]

RULES_FILE = "rules.toml"


class RulesError(Exception):
    """The rules file is missing or malformed; the message is one line naming the file and the problem."""


class RuleTerms(NamedTuple):
    """The terms of each of the rules' sets that occur in a text (each in rule order; see `Rules.find`)."""

    modality: list[str]
    weak_modality: list[str]
    interpretability: list[str]
    weak_interpretability: list[str]
    penalties: list[str]
    general: list[str]
    internals: list[str]


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

    def __getstate__(self) -> dict[str, Any]:
        # Pickled with a saved model without the index: it is built again on first use, remembering no words yet.
        return {name: value for name, value in self.__dict__.items() if name != "_index"}

    @cached_property
    def _index(self) -> TermIndex:
        return TermIndex(
            self.modality_strong,
            self.modality_weak,
            self.interpretability_strong,
            self.interpretability_weak,
            self.penalties,
            self.general,
            self.internals,
        )

    def find(self, words: Words) -> RuleTerms:
        """What each set's `find` returns, in one pass over the words (the section hints are left out)."""
        return RuleTerms(*self._index.find(words))

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
            raise RulesError(f"{source}: [modality] and [interpretability] need strong terms{_unread(data)}")
        if misread := _misspelt(data):  # `[penalty]` for [penalties]: its terms would be dropped, unsaid
            raise RulesError(f"{source}: {misread}")
        return rules


_TABLES = ("modality", "interpretability", "penalties", "general", "sections", "internals")
_KEYS = {"modality": ("strong", "weak"), "interpretability": ("strong", "weak")}  # the others: terms ([sections]: any)


def _misspelt(data: dict[str, Any]) -> str:
    """The first table or key the rules do not read, said with those they do; "" when there is none."""
    for table, value in data.items():
        if table not in _TABLES:
            return f"[{table}] is not a table the rules read ({', '.join(f'[{name}]' for name in _TABLES)}): a typo?"
        wanted = _KEYS.get(table, ("terms",))
        for key in value if isinstance(value, dict) and table != "sections" else ():
            if key not in wanted:
                return f"[{table}] {key} is not a key the rules read (only {' and '.join(wanted)}): a typo?"
    return ""


def _unread(data: dict[str, Any]) -> str:
    """What to say of tables the rules do not read (a topic's sides named for it: [retrieval], [generation])."""
    unknown = [f"[{name}]" for name, value in data.items() if isinstance(value, dict) and name not in _TABLES]
    if not unknown:
        return ""
    return (
        f"; the file's {', '.join(unknown)} are not read: whatever the topic, its two sides' terms go under "
        "[modality] and [interpretability]"
    )


def rules_bytes(feeds_dir: Path) -> bytes:
    """The bytes of `<feeds_dir>/rules.toml`: what a built model depends on (see relevance_db's model cache)."""
    path = feeds_dir / RULES_FILE
    try:
        return read_small_file(path)
    except OSError as exc:  # missing, too large, an edit as another user left it owner-only, a folder in its place
        raise RulesError(toml_file_problem(path, exc, FEEDS_FILE)) from exc


@lru_cache(maxsize=4)
def parse_rules(data: bytes, source: str) -> Rules:
    """Rules from the bytes of a rules file; raises RulesError with one line when they are malformed. The same
    bytes give the same (immutable) rules without compiling them again: a model rebuilt after an approval reuses
    them."""
    try:
        raw = tomllib.loads(toml_text(data))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:  # said as config check says it, in one place
        raise RulesError(toml_file_problem(Path(source), exc, FEEDS_FILE)) from exc
    return Rules.from_mapping(raw, source)


def load_rules(feeds_dir: Path) -> Rules:
    """Reads `<feeds_dir>/rules.toml`; raises RulesError with one line when it is missing or malformed."""
    return parse_rules(rules_bytes(feeds_dir), str(feeds_dir / RULES_FILE))
