"""Keyword rules from feeds/rules.toml: modality terms, interpretability terms, exclusions and section hints.

Pure: a `Rules` value is compiled once into regular expressions and then only matched against text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RULES_FILE = "rules.toml"


class RulesError(Exception):
    """The rules file is missing or malformed; the message is one line naming the file and the problem."""


def _term_pattern(term: str) -> str:
    # "interpret*" matches any ending; otherwise whole words only. Short all-caps acronyms (SAE, VLM, CLIP) are
    # matched case-sensitively so that "sae" or "clip" inside ordinary prose does not count.
    stem = term.rstrip("*")
    body = re.escape(stem).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?")
    tail = r"[\w-]*" if term.endswith("*") else r"(?![\w])"
    return rf"(?<![\w]){body}{tail}"


@dataclass(frozen=True)
class TermSet:
    """A named group of terms compiled into one matcher; `find` returns the terms that occur, in rule order."""

    terms: tuple[str, ...]
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(cls, terms: list[str] | tuple[str, ...]) -> TermSet:
        patterns = []
        for term in terms:
            case_sensitive = len(term.rstrip("s*")) <= 5 and term.rstrip("s*").isupper()
            flags = 0 if case_sensitive else re.IGNORECASE
            patterns.append(re.compile(_term_pattern(term), flags))
        return cls(tuple(terms), tuple(patterns))

    def find(self, text: str) -> list[str]:
        return [term for term, pattern in zip(self.terms, self._patterns, strict=True) if pattern.search(text)]


@dataclass(frozen=True)
class Rules:
    modality: TermSet
    interpretability: TermSet
    exclusions: TermSet
    sections: dict[str, TermSet]

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: str = RULES_FILE) -> Rules:
        def terms(table: str) -> list[str]:
            value = data.get(table, {})
            items = value.get("terms", []) if isinstance(value, dict) else None
            if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
                raise RulesError(f"{source}: [{table}] terms must be a list of non-empty strings")
            return items

        sections_table = data.get("sections", {})
        if not isinstance(sections_table, dict):
            raise RulesError(f"{source}: [sections] must map section names to lists of terms")
        sections: dict[str, TermSet] = {}
        for name, hints in sections_table.items():
            if not isinstance(hints, list) or not all(isinstance(item, str) and item.strip() for item in hints):
                raise RulesError(f"{source}: [sections] {name!r} must be a list of non-empty strings")
            sections[name] = TermSet.of(hints)
        return cls(
            modality=TermSet.of(terms("modality")),
            interpretability=TermSet.of(terms("interpretability")),
            exclusions=TermSet.of(terms("exclusions")),
            sections=sections,
        )


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
