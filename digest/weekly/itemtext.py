"""A paper's text and links as the weekly digest shows them: one line each, the abstract's first sentence, the first
authors, and URLs the URL policy accepts (digest.text), fit for Markdown and an href."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

from digest.text import acceptable_url, one_line
from digest.text import authors_line as shared_authors_line
from digest.titles import arxiv_abs_url

_SUMMARY_LIMIT = 220
# A full stop, then a capital: a sentence ends, unless the stop ends an abbreviation abstracts use mid-sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "cf.", "vs.", "Fig.", "Eq.")
_SENTENCE_END = re.compile("".join(rf"(?<!\b{re.escape(word)})" for word in _ABBREVIATIONS) + r"(?<=[.!?])\s+(?=[A-Z])")


def single_line(text: str | None) -> str:
    """Collapses every run of whitespace (newlines, tabs, control characters) into one space, by the text policy
    (digest.text): the format characters that join or hyphenate a word (U+200C in a Persian name, a soft hyphen, the
    U+200D of an emoji) stay, as the list and the feeds show them."""
    return one_line(text) if text else ""


def one_line_summary(abstract: str | None, limit: int = _SUMMARY_LIMIT) -> str:
    """The abstract's first sentence, cut at a word boundary when it runs past `limit` characters."""
    text = single_line(abstract)
    match = _SENTENCE_END.search(text[20:])
    if match:
        text = text[: 20 + match.start()]
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def authors_line(authors: Iterable[str]) -> str:
    """The authors as the list page, the feeds and Discord name them (digest.text.authors_line): every name of four,
    the first three and "et al. (N authors)" of more. The digest's own rule put "et al." in place of a fourth name
    and never said how many more there were."""
    return shared_authors_line([name for name in map(single_line, authors) if name])


def safe_url(url: str | None) -> str | None:
    """A URL the URL policy (digest.text) accepts, fit for a Markdown link or an href; anything else is dropped."""
    return quote_url(acceptable_url(url))


def quote_url(url: str | None) -> str | None:
    """Characters that could end a Markdown link or break out of an attribute percent-encoded. Alone (without the
    policy) only for this service's own links, made from the configured base URL: http://127.0.0.1:8080 is fine."""
    return None if url is None else quote(url.strip(), safe="/:?#[]@!$&'*+,;=%-._~")


def arxiv_url(arxiv_id: str | None) -> str | None:
    return safe_url(arxiv_abs_url(arxiv_id)) if arxiv_id else None
