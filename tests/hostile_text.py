"""The set-up of the hostile text tests: what unescaped markup or a script link looks like in a message, the bidi
overrides, every tag of a page checked for anything that could run, and the text of an email's HTML or plain part."""

from __future__ import annotations

import re
from email.message import Message
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

# Markdown syntax a feed's text must never produce unescaped: a tag, a link target, an image.
UNESCAPED = re.compile(r"(?<!\\)<(?:script|img)|(?<!\\)\]\((?:javascript|https://evil)")
BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside <script>/<style> (there should be none)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


OWN_SCRIPT = ("script", [("src", "/review/shortcuts.js"), ("defer", None)])


def assert_harmless_html(page: str) -> None:
    parser = Tags()
    parser.feed(page)
    parser.close()
    assert parser.tags, "no HTML at all"
    for tag, attrs in parser.tags:
        if (tag, attrs) == OWN_SCRIPT:
            continue  # the review page's keyboard shortcuts: this site's own file, never built from feed text
        assert tag not in ("script", "img", "iframe", "object", "embed"), (tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action") and value:
                assert urlsplit(value).scheme in ("", "http", "https", "mailto"), (tag, name, value)
    assert not BIDI & set(page), "a bidi override reached the page"


def html_part(message: Message, subtype: str) -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            payload: Any = part.get_payload(decode=True)
            return str(payload.decode(part.get_content_charset() or "utf-8"))
    raise AssertionError(f"no text/{subtype} part")
