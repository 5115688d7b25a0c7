"""The blank lines that end an entry's text and what a section keeps of them once its entries are gone: the rule
rendering (the list without its pending approvals) and removal share, so both leave the same Markdown. Pure."""

from __future__ import annotations

from digest.awesome.parse import split_lines


def trailing_blank_lines(raw: str) -> str:
    """The blank lines an entry's text ends in (those between it and what follows)."""
    lines = split_lines(raw)
    index = len(lines)
    while index > 1 and not lines[index - 1].strip():
        index -= 1
    return "".join(lines[index:])


def end_left_by_entries(intro: str, blank_lines: str) -> str:
    """The blank lines a section's last entry ended in, once the section holds no entry: what must still follow its
    text (a table's header and separator, the next heading else sticking to them), unless that ends in one already."""
    return "" if trailing_blank_lines(intro) else blank_lines
