"""A heading's text as GitHub shows it: the section's readable name, without emoji (real, written as a shortcode, or
saved as Mac Roman mojibake) and without its markup. Pure."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence

_HEADING_MARKUP = (
    (re.compile(r"</?[A-Za-z][^<>]*>"), ""),
    (re.compile(r"!\[[^\]]*\]\([^()]*\)"), ""),
    (re.compile(r"\[([^\]]*)\]\([^()]*\)"), r"\1"),
    (re.compile(r":[a-z0-9_+-]+:"), ""),
    (re.compile(r"\*\*|`"), ""),
)
# Links to a place on the page after the heading's words ('## Graph RAG [🔝](#contents)', '[back to top](#top)', an
# HTML '<a href="#top">↑</a>'): a way back to the table of contents, not part of the section's name.
_BACK_LINKS = re.compile(
    r"""(?:[ \t]*(?:\[[^\]]*\]\([ \t]*<?#[^()]*\)|<a[ \t][^<>]*href[ \t]*=[ \t]*["']?#[^<>]*>[^<>]*</a>))+[ \t]*$""",
    re.IGNORECASE,
)
# Emphasis and strikethrough GitHub shows as their text ('*Vision*', '_notes_' but not 'pre_training', '~~Old~~'), then
# a character escaped with a backslash ('Tools \\& Data').
_EMPHASIS = (
    (re.compile(r"(\*{1,3})(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<!\w)(_{1,3})(?=\S)(.+?)(?<=\S)\1(?!\w)"), r"\2"),
    (re.compile(r"(~~?)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"\\([!-/:-@\[-`{-~])"), r"\1"),
)

# An entity as CommonMark reads one: with its ';' ('&amp' alone is text, though html.unescape would decode it).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def repair_mojibake(text: str) -> str:
    """UTF-8 read as Mac Roman ('üìö' for 📚) put back; text that is not such mojibake comes back unchanged."""
    try:
        repaired = text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    return repaired


def without_emphasis(text: str) -> str:
    """A heading's text without its emphasis, strikethrough and backslash escapes, and its entities ('&amp;') as the
    characters GitHub shows: its name, and its anchor, are made of those."""
    for markup, kept in _EMPHASIS:
        text = markup.sub(kept, text)
    return _ENTITY.sub(lambda entity: html.unescape(entity[0]), text)


def section_name(heading: str) -> str:
    """'üìú Sparse Autoencoder ' -> 'Sparse Autoencoder': emoji (real or mojibake, or written ':books:'), colons and
    spaces dropped, and the heading's markup: HTML ('<a name="cpp"></a>', an '<img>' icon), images, links (their
    text kept; links back up the page after its words dropped: 'Graph RAG [🔝](#contents)' -> 'Graph RAG'),
    emphasis, strikethrough, code marks, backslash escapes and entities."""
    text = repair_mojibake(heading)
    text = _BACK_LINKS.sub("", text) if _BACK_LINKS.sub("", text).strip() else text
    for markup, kept in _HEADING_MARKUP:
        text = markup.sub(kept, text)
    text = without_emphasis(text)
    start = 0
    while start < len(text) and (
        text[start].isspace() or unicodedata.category(text[start])[0] in "SC" or text[start] in "\ufe0f\u200d"
    ):
        start += 1
    return text[start:].strip().rstrip(":").strip() or heading.strip()


_HEADING_LINE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*)$", re.MULTILINE)


def heading_emoji(intro: str) -> str:
    """The emoji a section's heading opens with, as readers of the list see it ('### üìú Sparse Autoencoder' -> '📜'),
    from its heading line and the text around it (Section.intro_raw); '' for a heading without one, or one written as
    a shortcode (':books:', which only GitHub draws)."""
    found = _HEADING_LINE.search(intro)
    text = repair_mojibake(found[1]) if found else ""
    end = 0
    while end < len(text) and (unicodedata.category(text[end]) in ("So", "Sk") or text[end] in "\ufe0f\u200d"):
        end += 1
    return text[:end]


def heading_emojis(headings: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Each section's name (name, intro_raw in the list's order) -> the emoji its heading in the list opens with; a
    name the list repeats, the first such heading's."""
    emojis: dict[str, str] = {}
    for name, intro in headings:
        emojis.setdefault(name, heading_emoji(intro))
    return emojis
