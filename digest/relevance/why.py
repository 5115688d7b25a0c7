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
class EarlierVerdict:
    """A maintainer's verdict on the paper from before it was found, brought in by `digest decisions import`."""

    approved: bool
    section: str | None  # the section's label when it was imported
    source: str  # the file's name

    def line(self) -> str:
        into = f" into {self.section}" if self.section else ""
        verdict = "approved" if self.approved else "rejected"
        return f"earlier verdict: {verdict}{into} (imported from {self.source} by digest decisions import)"

    def to_json(self) -> dict[str, Any]:
        return {"decision": "approve" if self.approved else "reject", "section": self.section, "source": self.source}


@dataclass(frozen=True)
class Why:
    terms: tuple[str, ...] = ()  # keyword-rule terms found in the title or abstract
    parts: tuple[tuple[str, float], ...] = ()  # the score's largest contributions, most positive first
    nearest: tuple[Neighbour, ...] = field(default=())
    earlier: EarlierVerdict | None = None  # an imported verdict on the paper (a poll offers an approved one)
    # Said by `digest score` only, and not stored (to_json): the threshold is fitted again after every poll.
    skipped: bool = False  # the pre-filter gave it its one score unread: no strong term of the topic (TermGate)
    baseline: tuple[float, float] | None = None  # the model's constant and the review threshold, its parts' origin

    def to_json(self) -> dict[str, Any]:
        earlier = {"earlier": self.earlier.to_json()} if self.earlier else {}
        return {
            "terms": list(self.terms),
            "parts": [[name, round(value, 3)] for name, value in self.parts],
            "nearest": [
                {"title": item.title, "section": item.section, "similarity": round(item.similarity, 3)}
                for item in self.nearest
            ],
            **earlier,
        }

    def lines(self, shown: int = 8, *, against: bool = False) -> list[str]:
        """Short plain-text lines for a reader (escape them for the medium: Markdown, HTML, Discord). A list paper's
        title is the list's own text, kept as the maintainer wrote it (a bidi override and all): here each line is
        made one line without invisible characters, so no U+202E reverses it on the review page or in `digest
        score`. The stored `why` keeps the title as it is. The first `shown` terms are named, and how many more
        matched; `against` (`digest score`) names every part, those that pushed the score down too (most first), and
        the baseline they start from."""
        found: list[str] = [self.earlier.line()] if self.earlier else []
        if self.terms:
            more = len(self.terms) - shown
            found.append("matched: " + ", ".join(self.terms[:shown]) + (f" and {more} more" if more > 0 else ""))
        if self.skipped:
            found.append(SKIPPED)
        # `digest score` (against) names every part and the baseline, so that they add up to the score it prints
        cap = None if against else 4
        pushed = [f"{name} {value:+.2f}" for name, value in self.parts if value > 0][:cap]
        if pushed:
            found.append("pushed up by: " + "; ".join(pushed))
        # `digest score` (against): a paper far under the threshold said only what pushed it up, by too little
        pulled = [f"{name} {value:+.2f}" for name, value in reversed(self.parts) if value <= -0.005]
        if against and pulled:
            found.append("pushed down by: " + "; ".join(pulled))
        if against and self.baseline is not None:
            found.append(self._baseline_line(self.baseline))
        if self.nearest:
            found.append(
                "nearest in the list: "
                + "; ".join(f"{item.title} ({item.section})" if item.section else item.title for item in self.nearest)
            )
        return [one_line(line) for line in found]

    def _baseline_line(self, baseline: tuple[float, float]) -> str:
        """The model's constant less the review threshold: with it, the parts add up to how far the paper is from
        the threshold in the model's units, which the shown score is 1 + a quarter of (0 at the lowest)."""
        constant, threshold = baseline
        total = constant - threshold + sum(value for _, value in self.parts)
        return (
            f"baseline: {constant - threshold:+.2f} (the model's constant {constant:+.2f} less the review threshold "
            f"{threshold:.2f}); in all {total:+.2f} units from the threshold"
        )


# The pre-filter's rule (relevance/gate.py), in a maintainer's words: which terms, where, and what the score then is.
SKIPPED = (
    "not scored: the title and abstract hold none of the topic's strong terms ([modality] and [interpretability] "
    "strong in rules.toml), so the model skipped it and gave it the one score such papers get, far under the threshold"
)


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
    return Why(terms, tuple(parts), tuple(nearest), _earlier_from_json(value.get("earlier")))


def _earlier_from_json(value: object) -> EarlierVerdict | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("source"), str):
        return None
    section = value.get("section")
    return EarlierVerdict(
        value.get("decision") == "approve", section if isinstance(section, str) else None, value["source"]
    )
