"""The width of the weekly email's text part: a paragraph wrapped to lines a text mail reader shows whole. Pure."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

# RFC 5322 asks for lines of at most 78 characters; 72 leaves room for the "> " of a reply quoting them.
EMAIL_WIDTH = 72
# Joins the words of a unit the wrapper keeps on one line ("(score 1.42)": a number alone on the next line reads as
# nothing); a plain space again once the text is wrapped.
_UNBROKEN = "\u00a0"


def unbroken(text: object) -> str:
    """`text` as one unit for `wrapped`: never broken between its words."""
    return str(text).replace(" ", _UNBROKEN)


def wrapped(text: object, indent: str = "", width: int = EMAIL_WIDTH) -> str:
    """`text` in lines of at most `width` characters, the lines after the first starting with `indent` (the first is
    where the template put it, after its own indent). A word longer than a line, a URL most often, is kept whole on a
    line of its own: broken, it would no longer open."""
    lines = textwrap.wrap(
        str(text),
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(lines)[len(indent) :].replace(_UNBROKEN, " ")


def heading(phrases: Iterable[object], width: int = EMAIL_WIDTH) -> str:
    """A heading of `phrases` (the list's title, its week, the edition) in lines of at most `width` characters, broken
    only between phrases where a reader would break it: "(maintainers' edition)" is never split after its first word.
    A phrase wider than a line alone is wrapped on its own words; empty phrases are left out."""
    lines: list[str] = []
    for phrase in (str(phrase).strip() for phrase in phrases):
        if not phrase:
            continue
        if lines and len(lines[-1]) + 1 + len(phrase) <= width:
            lines[-1] += " " + phrase
        else:
            lines.extend(wrapped(phrase, width=width).split("\n"))
    return "\n".join(lines)
