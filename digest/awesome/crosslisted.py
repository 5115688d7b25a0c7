"""Papers the list holds in more than one section: where each is first, and where it is again. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from digest.awesome.parse import ParsedEntry, ParsedSection


def crosslisted(
    sections: Sequence[ParsedSection],
) -> list[tuple[ParsedEntry, ParsedSection, ParsedEntry, ParsedSection]]:
    """Each paper's first entry in a section after the one that lists it first: (that entry, its section, this entry,
    its section). A second copy within one section is lint's duplicate-in-section, not said here again."""
    first: dict[str, tuple[ParsedEntry, ParsedSection]] = {}
    placed: set[tuple[str, int]] = set()
    found = []
    for index, section in enumerate(sections):
        for entry in section.entries:
            if entry.title is None or (entry.key, index) in placed:
                continue
            placed.add((entry.key, index))
            earlier = first.setdefault(entry.key, (entry, section))
            if earlier[1] is not section:
                found.append((*earlier, entry, section))
    return found
