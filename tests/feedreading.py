"""What a feed reader shows of a feed's text, read with feedparser as a reader reads it: an HTML value as its text."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown_text(detail: Any) -> str:
    """The text a reader shows of a feedparser text construct (`entry.title_detail`): an HTML one rendered (its tags
    are markup, its entities characters), a plain one as it is."""
    if detail.type not in ("text/html", "application/xhtml+xml"):
        return str(detail.value)
    return html_text(str(detail.value))


def html_text(markup: str) -> str:
    """The text a browser shows of an HTML document or fragment: its tags markup, its entities characters."""
    reader = _TextOnly()
    reader.feed(markup)
    reader.close()
    return "".join(reader.parts)


def shown_names(text: str) -> str:
    """Author names as a reader draws them: without the word joiner (U+2060), which draws nothing."""
    return text.replace("\u2060", "")
