"""Why a paper was flagged: the terms that matched, the parts of its score and the nearest papers in the list.

A leaf: plain data with a JSON form (stored on the candidate) and the lines shown on the review page, in Discord,
in the weekly digest and by `digest score`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from digest.text import one_line


@dataclass(frozen=True)
class Neighbour:
    """A list paper close to the candidate (cosine similarity of their words), with its section."""

    title: str
    section: str | None
    similarity: float


@dataclass(frozen=True)
class Why:
    terms: tuple[str, ...] = ()  # keyword-rule terms found in the title or abstract
    parts: tuple[tuple[str, float], ...] = ()  # the score's largest contributions, most positive first
    nearest: tuple[Neighbour, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "terms": list(self.terms),
            "parts": [[name, round(value, 3)] for name, value in self.parts],
            "nearest": [
                {"title": item.title, "section": item.section, "similarity": round(item.similarity, 3)}
                for item in self.nearest
            ],
        }

    def lines(self, shown: int = 8) -> list[str]:
        """Short plain-text lines for a reader (escape them for the medium: Markdown, HTML, Discord). A list paper's
        title is the list's own text, kept as the maintainer wrote it (a bidi override and all): here each line is
        made one line without invisible characters, so no U+202E reverses it on the review page or in `digest
        score`. The stored `why` keeps the title as it is. The first `shown` terms are named, and how many more
        matched."""
        found: list[str] = []
        if self.terms:
            more = len(self.terms) - shown
            found.append("matched: " + ", ".join(self.terms[:shown]) + (f" and {more} more" if more > 0 else ""))
        pushed = [f"{name} {value:+.2f}" for name, value in self.parts if value > 0][:4]
        if pushed:
            found.append("pushed up by: " + "; ".join(pushed))
        if self.nearest:
            found.append(
                "nearest in the list: "
                + "; ".join(f"{item.title} ({item.section})" if item.section else item.title for item in self.nearest)
            )
        return [one_line(line) for line in found]


def why_from_json(value: object) -> Why:
    """The stored form back; anything missing or malformed (an older row, a hand-edited database) reads as empty."""
    if not isinstance(value, Mapping):
        return Why()
    terms = tuple(str(term) for term in value.get("terms") or () if isinstance(term, str))
    parts: list[tuple[str, float]] = []
    for part in value.get("parts") or ():
        if isinstance(part, list | tuple) and len(part) == 2 and isinstance(part[1], int | float):
            parts.append((str(part[0]), float(part[1])))
    nearest: list[Neighbour] = []
    for item in value.get("nearest") or ():
        if isinstance(item, Mapping) and isinstance(item.get("title"), str):
            section = item.get("section")
            similarity = item.get("similarity")
            nearest.append(
                Neighbour(
                    item["title"],
                    section if isinstance(section, str) else None,
                    float(similarity) if isinstance(similarity, int | float) else 0.0,
                )
            )
    return Why(terms, tuple(parts), tuple(nearest))
