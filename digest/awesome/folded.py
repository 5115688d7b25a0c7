"""The entries a section folds away under its shown ones ('<details><summary>Older work</summary>' after its first
entries): a new paper goes among the shown entries, not into the fold. Pure: over the raw text of the section."""

from __future__ import annotations

import re
from collections.abc import Sequence

from digest.awesome.blocks import split_lines

_OPEN = re.compile(r"<details\b", re.IGNORECASE)
_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)


def _depth(text: str) -> int:
    return len(_OPEN.findall(text)) - len(_CLOSE.findall(text))


def fold_start(intro: str, raws: Sequence[str]) -> tuple[int, int] | None:
    """Where the section's fold starts: (the index of its first folded entry, the offset in the entry above of the line
    opening it); None when no '<details>' opens after one of its entries (a section folded whole is one fold)."""
    depth = _depth(intro)
    for index, raw in enumerate(raws[:-1]):
        offset = 0
        for line in split_lines(raw):
            if depth == 0 and offset > 0 and _depth(line) > 0:  # in the text after the entry's own line
                return index + 1, offset
            depth += _depth(line)
            offset += len(line)
    return None


def shown_index(intro: str, raws: Sequence[str], index: int) -> int:
    """`index`, or the fold's start where it falls in the fold: the new entry goes last of the shown ones."""
    fold = fold_start(intro, raws)
    return index if fold is None else min(index, fold[0])


def take_fold(intro: str, raws: Sequence[str], index: int) -> tuple[str, str] | None:
    """An entry going in at the fold's start: the entry above without the fold's opening lines, and those lines (the
    new entry's to end with); None anywhere else."""
    fold = fold_start(intro, raws)
    if fold is None or fold[0] != index:
        return None
    above = raws[index - 1]
    return above[: fold[1]], above[fold[1] :]
