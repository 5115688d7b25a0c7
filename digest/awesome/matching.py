"""How an import knows what the database already holds, over plain keys. Pure.

A paper is its normalised title; a title edited by hand (a typo fixed) is still the same paper when it links the
same arXiv ID, or (a paper without one: a blog post, an OpenReview page) the same address.
A section is its name, and among sections of one name, the one holding the same papers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from digest.titles import title_key


def paper_identity(arxiv_id: str | None, url: str | None) -> str | None:
    """What names a paper whatever its title says: its arXiv ID, else the address its title links."""
    if arxiv_id:
        return f"arxiv:{arxiv_id}"
    return f"url:{url.strip()}" if url and url.strip() else None


def renamed_papers(held: Mapping[str, str | None], listed: Mapping[str, str | None]) -> dict[str, str]:
    """New title key -> the held paper's title key it renames: a title the list now names but the database does
    not hold, with the identity (`paper_identity`, or a bare arXiv ID) of a held paper whose own title the list no
    longer names. Both maps are title key -> identity (or None); each held paper is renamed at most once, the first
    held one first."""
    gone: dict[str, list[str]] = {}
    for key, identity in held.items():
        if identity and key not in listed:
            gone.setdefault(identity, []).append(key)
    renamed: dict[str, str] = {}
    for key, identity in listed.items():
        if key not in held and identity and gone.get(identity):
            renamed[key] = gone[identity].pop(0)
    return renamed


@dataclass(frozen=True)
class SectionKeys:
    """A section as matching sees it: its name's key (title_key), its slug and its papers' title keys."""

    name: str
    slug: str
    papers: frozenset[str]


def matched_sections(held: Sequence[SectionKeys], listed: Sequence[SectionKeys]) -> list[int | None]:
    """For each listed section, the index of the held section it is (or None: a new one). Sections of one name can
    repeat (year blocks, each with its "Probing"), so a listed section is first the held one of its name that shares
    the most papers with it, then the held one of its name and slug, then the first free one of its name."""
    found: list[int | None] = [None] * len(listed)
    free = set(range(len(held)))
    shared = sorted(
        (-len(mine.papers & theirs.papers), mine.slug != theirs.slug, i, j)
        for i, mine in enumerate(listed)
        for j, theirs in enumerate(held)
        if mine.name == theirs.name and mine.papers & theirs.papers
    )
    for _, _, i, j in shared:
        if found[i] is None and j in free:
            found[i] = j
            free.remove(j)
    for by_slug in (True, False):
        for i, mine in enumerate(listed):
            if found[i] is None:
                found[i] = _take(free, (j for j in sorted(free) if _same(mine, held[j], by_slug=by_slug)))
    return found


def renamed_sections(
    held: Sequence[SectionKeys], listed: Sequence[SectionKeys], found: Sequence[int | None]
) -> dict[int, int]:
    """Listed index -> held index of a section whose heading was renamed: a listed section `matched_sections` found no
    held one for, and the held section no listed one took that shares the most papers with it (the first, on a tie)."""
    free = set(range(len(held))) - {j for j in found if j is not None}
    renamed: dict[int, int] = {}
    for i, mine in enumerate(listed):
        shared = sorted((-len(mine.papers & held[j].papers), j) for j in free if mine.papers & held[j].papers)
        if found[i] is None and shared:
            renamed[i] = shared[0][1]
            free.remove(shared[0][1])
    return renamed


def _same(mine: SectionKeys, theirs: SectionKeys, *, by_slug: bool) -> bool:
    return mine.name == theirs.name and (mine.slug == theirs.slug or not by_slug)


def _take(free: set[int], choices: Iterator[int]) -> int | None:
    chosen = next(choices, None)
    if chosen is not None:
        free.remove(chosen)
    return chosen


# models.Section.slug is String(200): PostgreSQL refuses a longer slug where SQLite stores it. A name within its own
# 200 characters can make one: a heading repeated in each year's block ("-2" added), or in Hangul (each syllable's
# letters apart) or with a "ß" (written "ss").
SLUG_MAX = 200


def slugify(name: str, taken: set[str]) -> str:
    """A slug for a section's name that is not in `taken` (and is then taken): "probing", "probing-2"; at most
    SLUG_MAX characters, the number kept whole."""
    base = title_key(name).replace(" ", "-")[:SLUG_MAX].rstrip("-") or "section"
    slug, number = base, 1
    while slug in taken:
        number += 1
        suffix = f"-{number}"
        slug = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
    taken.add(slug)
    return slug


def pair_moves(
    added: list[dict[str, Any]], removed: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """An entry that left one section and arrived in another is reported once, as moved."""
    moved: list[dict[str, Any]] = []
    still_removed = list(removed)
    still_added: list[dict[str, Any]] = []
    for item in added:
        match = next((r for r in still_removed if title_key(r["title"]) == title_key(item["title"] or "")), None)
        if match is None:
            still_added.append(item)
            continue
        still_removed.remove(match)
        moved.append({"title": item["title"], "from": match["section"], "to": item["section"], "line": item["line"]})
    return still_added, moved, still_removed
