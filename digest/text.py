"""Text from outside (arXiv, maintainers, readers), a leaf: the one rule for the characters that carry no meaning and
can mislead where text is shown: C0 and C1 controls, the Unicode line and paragraph separators, and the bidi
controls (U+202E makes "gnp.exe" read as "exe.png" in every page, feed, message and list entry it reaches)."""

from __future__ import annotations

import re

_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
INVISIBLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
# The same, less tab, newline and carriage return (and the Unicode separators): an arXiv abstract keeps its lines.
_INVISIBLE_BUT_LINE_BREAKS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")


def blank_invisible(text: str, *, keep_line_breaks: bool = False) -> str:
    """Each invisible character replaced by a space (so words on either side stay apart)."""
    return (_INVISIBLE_BUT_LINE_BREAKS if keep_line_breaks else INVISIBLE).sub(" ", text)


def has_invisible(text: str) -> bool:
    return INVISIBLE.search(text) is not None


def one_line(text: str) -> str:
    """Invisible characters blanked and every run of white space one space, trimmed."""
    return " ".join(blank_invisible(text).split())
