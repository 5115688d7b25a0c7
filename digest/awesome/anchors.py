"""The anchors a link within the page reaches (#papers): GitHub's ids of the list's headings, and the ids and <a name>s
of the HTML written in it. Pure."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict

from digest.awesome.blocks import hidden_lines, split_lines
from digest.awesome.headings import without_emphasis
from digest.awesome.parse import ParsedSection, repair_mojibake

_INLINE_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# An element's own id, or an <a name>, that a link within the page may reach ('<a name="c"></a>' above a heading).
_HTML_ANCHOR = re.compile(
    r"""<[A-Za-z][^<>]*?\s(?:id|name)\s*=\s*(?:"(?P<q>[^"]*)"|'(?P<s>[^']*)'|(?P<u>[^\s"'<>=`]+))"""
)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
# The Unicode categories of the word characters GitHub keeps in a heading's id: letters, marks, digits, '_'.
_ANCHOR_CATEGORIES = ("L", "M", "Nd", "Nl", "Pc")


def github_anchor(heading: str) -> str:
    """GitHub's heading id: link markup reduced to its text, HTML tags dropped ('<img src="icon.png"> Tools'),
    lowercased, punctuation and emoji dropped, spaces -> -. GitHub keeps the word characters of its regex: letters,
    marks (a Hindi vowel sign; the U+FE0F after an emoji such as '🛠️'), digits and '_', besides '-' and spaces."""
    # The text GitHub reads is the heading's rendered text: a tag's place keeps the space after it ('-tools').
    text = _HTML_TAG.sub("", _INLINE_LINK.sub(r"\1", heading.strip())).replace("`", "")
    text = without_emphasis(text).replace("*", "")
    kept = (ch for ch in text.lower() if ch in "- " or unicodedata.category(ch).startswith(_ANCHOR_CATEGORIES))
    return "".join(kept).replace(" ", "-")


def heading_anchors(sections: list[ParsedSection]) -> set[str]:
    """Every anchor the headings define, as written and with mojibake emoji repaired (GitHub numbers repeats)."""
    anchors: set[str] = set()
    for variant in (lambda h: h, repair_mojibake):
        seen: dict[str, int] = defaultdict(int)
        for section in (section for section in sections if not section.html_heading):  # GitHub gives those none
            anchor = github_anchor(variant(section.heading))
            anchors.add(anchor if seen[anchor] == 0 else f"{anchor}-{seen[anchor]}")
            seen[anchor] += 1
    return anchors


def html_anchors(text: str) -> set[str]:
    """The ids and <a name>s of the HTML written in the list (outside code and comments), which links reach too."""
    lines = split_lines(text)
    return html_anchor_names(lines, hidden_lines(lines))


def html_anchor_names(lines: list[str], hidden: list[bool]) -> set[str]:
    return {
        found["q"] or found["s"] or found["u"] or ""
        for line, is_hidden in zip(lines, hidden, strict=True)
        if not is_hidden and "<" in line
        for found in _HTML_ANCHOR.finditer(line)
    }


def nearest_anchor_step(fragment: str, anchors: set[str]) -> str:
    """What to do about a link within the page to `fragment`, which no anchor is: change it to the anchor it most
    likely means, else to a heading's."""
    near = difflib.get_close_matches(fragment.lower(), sorted(anchors), n=1, cutoff=0.6)
    return f"change it to #{near[0]}" if near else "change it to a heading's anchor (see its link icon) or remove it"
