"""Whether a list file that ends without a line end looks cut off there, and what lint says of that end. Pure.

Many editors save a file so, and GitHub only marks it (the service keeps the end as written): lint warns only when
the last line itself looks cut off (a link, code span, tag or bold opened and not closed, an entry without its link).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from digest.awesome.parse import ParsedList, split_lines

_ESCAPED = re.compile(r"\\.")
_CODE_SPAN = re.compile(r"`[^`]*`")
_TAG_START = re.compile(r"<[A-Za-z/!]")
# What lint finds on an entry a cut leaves half written, said as what its last line lacks.
_ENTRY_SIGNS = {
    "no-link": "its entry has no [Title](url) link",
    "empty-link": "its entry's link is empty",
    "bad-date": "its entry's date is not a whole date",
    "malformed-url": "its entry's link is malformed",
}


def cut_off_sign(parsed: ParsedList, text: str, found: Iterable[tuple[int, str]]) -> str | None:
    """What makes the last line of `text` (parsed as `parsed`) look cut off, or None when it looks whole; `found` is
    lint's other findings as (line, code), those of the entry the last line ends telling a half-written one."""
    lines = split_lines(text)
    sign = _markup_sign(lines)
    if sign is not None:
        return sign
    entries = [entry for section in parsed.sections for entry in section.entries]
    if not entries or entries[-1].line + len(split_lines(entries[-1].raw)) - 1 < len(lines):
        return None  # the last line is no entry's
    codes = {code for line, code in found if line == entries[-1].line}
    return next((said for code, said in _ENTRY_SIGNS.items() if code in codes), None)


def _markup_sign(lines: list[str]) -> str | None:
    """Markup the last line opens and does not close (escaped marks and code spans aside)."""
    line = _ESCAPED.sub("", lines[-1] if lines else "")
    if line.count("`") % 2:
        return "a code span's ` is not closed"
    line = _CODE_SPAN.sub("", line)
    if line.rfind("[") > line.rfind("]"):
        return "a [ is not closed"
    if line.rfind("(") > line.rfind(")"):
        return "a ( is not closed"
    tags = list(_TAG_START.finditer(line))
    if tags and tags[-1].start() > line.rfind(">"):
        return "an HTML tag is not closed"
    if line.count("**") % 2:
        return "a bold ** is not closed"
    above = lines[-2].strip() if len(lines) > 1 else ""
    if line.lstrip().startswith("|") and not line.rstrip().endswith("|") and above.endswith("|"):
        return "its table row lacks the closing | the rows above have"
    return None


def file_end_message(sign: str | None) -> str:
    """What lint says of a file without a final line end: a warning naming `sign` when the last line looks cut off,
    else a notice that nothing needs doing."""
    if sign is None:
        return (
            "file ends without a line end; its last line looks whole (many editors save so, GitHub only marks it):"
            " nothing to do, or end it with one"
        )
    cut = f"file ends without a line end and its last line looks cut off ({sign})"
    return f"{cut}; check that it is whole and end it with one"
