"""Discord-Markdown-safe text: arXiv's and the list's text escaped, mentions defused, and cut to Discord's limits as
Discord counts them. Pure."""

from __future__ import annotations

import re

from digest.text import blank_invisible

_MARKDOWN_CHARACTERS = re.compile(r"([\\*_~`|>\[\]()<#])")
_LINE_START_MARKERS = re.compile(r"^(\s*)([-+]|\d+\.)(?=\s)")
# @everyone, @here, and a user's or a role's mention: <@123>, <@!123> (the nickname form, which pings the same), <@&1>.
_MENTION = re.compile(r"@(everyone|here|[&!]?\d)", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def escape(text: str) -> str:
    """Discord-Markdown-safe, one-line text: formatting characters escaped, mentions defused, whitespace collapsed."""
    text = _WHITESPACE.sub(" ", blank_invisible(text)).strip()
    text = _MARKDOWN_CHARACTERS.sub(r"\\\1", text)
    text = _LINE_START_MARKERS.sub(r"\1\\\2", text)
    # allowed_mentions already stops pings; the zero-width space also stops a copy-paste of the text from pinging.
    return _MENTION.sub("@\u200b\\1", text)


def units(text: str) -> int:
    """The length Discord counts for its limits: UTF-16 code units (an emoji or a mathematical letter 𝐀 is two)."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def clip(text: str, limit: int) -> str:
    """The longest start of `text` Discord counts as at most `limit` (never half of a character)."""
    total = 0
    for kept, c in enumerate(text):
        total += 2 if ord(c) > 0xFFFF else 1
        if total > limit:
            return text[:kept]
    return text


def cut(text: str, limit: int) -> str:
    """Escaped text of at most `limit` (as Discord counts, `units`), shortened at a word boundary with an ellipsis when
    too long."""
    escaped = escape(text)
    if units(escaped) <= limit:
        return escaped
    plain = _WHITESPACE.sub(" ", blank_invisible(text)).strip()
    keep = min(len(plain), limit)
    while keep > 0:
        head = plain[:keep].rsplit(" ", 1)[0] if " " in plain[:keep] else plain[:keep]
        shortened = escape(head.rstrip(" ,.;:")) + "…"
        if units(shortened) <= limit:
            return shortened
        keep -= max(1, (units(shortened) - limit + 1) // 2)  # a character is one or two units: never too many
    return "…"
