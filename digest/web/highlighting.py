"""Matched terms marked in feed text (a candidate's abstract on /review and on an approval link's page) as the keyword
rules match them. Pure: plain text in, escaped Markup out."""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from digest.web.review_filters import MAX_TEXT

_MAX_TERMS = 24


def marked_terms(terms: Iterable[str]) -> tuple[list[str], list[str]]:
    """The terms `highlight` marks, each once in the order given (the longest kept when there are too many), and those
    it leaves unmarked: a card lists what its abstract marks."""
    words = [word for word in dict.fromkeys(" ".join(term.split()) for term in terms) if 0 < len(word) <= MAX_TEXT]
    kept = set(sorted(words, key=len, reverse=True)[:_MAX_TERMS])
    return [word for word in words if word in kept], [word for word in words if word not in kept]


def highlight(text: str, terms: Iterable[str]) -> Markup:
    """`text` escaped, with each occurrence of a term wrapped in <mark>.

    Matches are found on the raw text and every piece is escaped on its own, so neither the feed's text nor a term
    can open a tag, and a term can never match inside an escape such as `&amp;`.
    """
    words = sorted(marked_terms(terms)[0], key=len, reverse=True)
    if not words or not text:
        return escape(text)
    alternatives = "|".join(filter(None, map(_term_pattern, words)))
    if not alternatives:
        return escape(text)
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)
    pieces: list[Markup] = []
    position = 0
    for found in pattern.finditer(text):
        if found.end() == found.start():
            continue
        pieces.append(escape(text[position : found.start()]))
        pieces.append(Markup("<mark>{}</mark>").format(found.group(0)))
        position = found.end()
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def _term_pattern(term: str) -> str:
    """A term as the keyword rules match it: its words apart by spaces or hyphens ("vision-language" and "vision
    language" alike), a last word ending in "*" a prefix of any ending ("neuron*": "neurons"); '' for no words."""
    parts = [part for part in re.split(r"[\s\-]+", term) if part]
    prefix = bool(parts) and parts[-1].endswith("*") and len(parts[-1]) > 1
    if prefix:
        parts[-1] = parts[-1][:-1]
    if not parts:
        return ""
    return r"[\s\-]+".join(map(re.escape, parts)) + (r"\w*" if prefix else "")
