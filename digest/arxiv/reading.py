"""feedparser's reading of an answer: the options the pass asks it for, and the indentation it is spared.

Pure: bytes in, feedparser's result out.
"""

from __future__ import annotations

import re
from typing import Any

import feedparser

from digest.arxiv.entries import read_leniently

# The line break and indentation after an item's elements as arXiv lays them out (`</title>\n      <link>`): to
# feedparser each is a run of text in the item, handed over, kept and thrown away at the item's end (22 of the 31 runs
# an item of arXiv's RSS hands it), an eighth of its parse. Only after the end of an element that holds text alone (and
# the start of an item), so the run is never part of a field.
_ITEM_PARTS = (
    b"</title>",
    b"</link>",
    b"</description>",
    b"</guid>",
    b"</category>",
    b"</pubDate>",
    b"</arxiv:announce_type>",
    b"</arxiv:DOI>",
    b"</arxiv:journal_reference>",
    b"</dc:creator>",
    b"</dc:rights>",
    b"</item>",
    b"<item>",
)
# `>` first: the search looks for that one byte, and only then at what it ends.
_INDENTATION = re.compile(
    rb">(?:" + rb"|".join(rb"(?<=" + re.escape(part) + rb")" for part in _ITEM_PARTS) + rb")[ \t\r\n]+(?=<)"
)
# Markup whose text may hold `</title>` and a line break that are no element's end (a CDATA section, a comment, a
# processing instruction, a document type): an answer with any is read as it came.
_ASIDE = (b"<!", b"<?")


def without_indentation(data: bytes) -> bytes:
    """The answer without the white space between an item's elements; the same bytes when it holds other markup
    than elements and character references (after its XML declaration)."""
    start = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
    if start == 1 or any(data.find(aside, start) >= 0 for aside in _ASIDE):
        return data
    return _INDENTATION.sub(b">", data)


def read_answer(data: bytes) -> Any:
    """feedparser's reading of the answer, as arXiv wrote it: no HTML sanitising (it would turn `a <b <= c` into
    `a <b><= c`), no relative URIs resolved. The white space between an item's elements is left out when the XML is
    well-formed (there it is no field's text); an answer read leniently is read again as it came, so that what a
    broken answer yields, and the line and column its problem names, are its own."""
    spared = without_indentation(data)
    parsed = feedparser.parse(spared, sanitize_html=False, resolve_relative_uris=False)
    if spared is not data and read_leniently(parsed):
        parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    return parsed
