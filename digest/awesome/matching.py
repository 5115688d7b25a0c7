"""How an import knows what the database already holds, over plain keys. Pure.

A paper is its normalised title; a title edited by hand (a typo fixed) is still the same paper when it links the
same arXiv ID.
"""

from __future__ import annotations

from collections.abc import Mapping


def renamed_papers(held: Mapping[str, str | None], listed: Mapping[str, str | None]) -> dict[str, str]:
    """New title key -> the held paper's title key it renames: a title the list now names but the database does
    not hold, linking the arXiv ID of a held paper whose own title the list no longer names. Both maps are
    title key -> arXiv ID (or None); each held paper is renamed at most once, the first held one first."""
    gone: dict[str, list[str]] = {}
    for key, arxiv_id in held.items():
        if arxiv_id and key not in listed:
            gone.setdefault(arxiv_id, []).append(key)
    renamed: dict[str, str] = {}
    for key, arxiv_id in listed.items():
        if key not in held and arxiv_id and gone.get(arxiv_id):
            renamed[key] = gone[arxiv_id].pop(0)
    return renamed
