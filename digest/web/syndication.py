"""RSS 2.0 and Atom 1.0 documents from plain feed items. Pure: no database, no clock, no web framework.

Every piece of text goes through an XML serializer after characters XML cannot carry are removed and the invisible
ones blanked, so a title holding `<script>`, `]]>`, `&`, control characters or a bidi override (the list's own
titles keep what the maintainer wrote) still gives a valid, harmless document that reads as it should.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime

from digest.awesome.parse import parse_date
from digest.clock import as_utc
from digest.text import acceptable_url, authors_line, blank_invisible
from digest.titles import arxiv_id_month

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"
ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("dc", DC_NS)

# XML 1.0 allows tab, newline, carriage return and everything from U+0020 except surrogates, U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class FeedLink:
    label: str
    href: str


@dataclass(frozen=True)
class FeedItem:
    guid: str  # stable across renders: the same paper always has the same guid
    title: str
    link: str
    published: datetime
    abstract: str = ""
    authors: Sequence[str] = ()
    categories: Sequence[str] = ()  # the list sections
    links: Sequence[FeedLink] = ()  # arXiv, code, and in the private feed the approval links
    note: str = ""  # one line above the abstract (e.g. "score 0.82, suggested: Probing")
    updated: datetime | None = None  # its last change (Atom's <updated>), when later than `published`


@dataclass(frozen=True)
class Feed:
    title: str
    home_url: str  # the HTML page the feed belongs to
    self_url: str  # where the feed itself is served
    description: str
    feed_id: str  # Atom's permanent id (a tag: or https: URI)
    updated: datetime
    items: Sequence[FeedItem] = field(default_factory=tuple)


def clean_text(text: str) -> str:
    """Removes characters XML 1.0 cannot represent (NUL, most C0 controls, lone surrogates) and blanks the invisible
    ones a reader would be misled by (the text policy's: C1 controls, bidi controls as U+202E), line breaks kept."""
    return blank_invisible(_XML_ILLEGAL.sub("", text), keep_line_breaks=True)


def safe_url(url: str | None) -> str | None:
    """The URL as it is when the URL policy (digest.text) accepts it, else None: feeds and pages need no change to
    it, since the XML serializer and HTML escaping quote it where it is put."""
    return acceptable_url(url)


def paper_date(published: date | None, date_texts: Sequence[str], arxiv_id: str | None) -> datetime | None:
    """When a paper appeared, for a list paper imported from the Markdown (its import time says nothing to a reader):
    its date, else a full date written in one of its entries, else its arXiv ID's month, else a year written in an
    entry; None when nothing tells."""
    if published is not None:
        return datetime(published.year, published.month, published.day, tzinfo=UTC)
    parsed = [parts for parts in map(parse_date, date_texts) if parts is not None]
    for year, month, day in parsed:
        if month:
            try:
                return datetime(year, month, day, tzinfo=UTC)
            except ValueError:
                continue  # "Feb. 30": try the next clue
    month_of_id = arxiv_id_month(arxiv_id or "")
    if month_of_id is not None:
        return datetime(*month_of_id, 1, tzinfo=UTC)
    for year, _month, _day in parsed:
        if 1 <= year <= 9999:
            return datetime(year, 1, 1, tzinfo=UTC)
    return None


def rfc822(moment: datetime) -> str:
    return format_datetime(as_utc(moment), usegmt=True)


def rfc3339(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="seconds").replace("+00:00", "Z")


def item_html(item: FeedItem) -> str:
    """The item body as an HTML fragment; every value is escaped, so only our own markup is in it."""
    parts: list[str] = []
    if item.categories:
        parts.append(f"<p><strong>Section:</strong> {html.escape(', '.join(item.categories))}</p>")
    if item.note:
        parts.append(f"<p>{html.escape(item.note)}</p>")
    if item.authors:
        parts.append(f"<p><em>{html.escape(authors_line(item.authors))}</em></p>")
    if item.abstract:
        parts.append(f"<p>{html.escape(item.abstract)}</p>")
    if item.links:
        anchors = " · ".join(
            f'<a href="{html.escape(link.href, quote=True)}">{html.escape(link.label)}</a>' for link in item.links
        )
        parts.append(f"<p>{anchors}</p>")
    return clean_text("\n".join(parts))


def rss_title(title: str) -> str:
    """A title as RSS carries it: escaped once more as HTML where HTML would read it otherwise. Readers (feedparser,
    most others) take an RSS title for HTML, so a title holding `<i>`, `<sub>` or `&lt;` as text showed italics or lost
    words; read as HTML, this one shows the title's text as the list does, and what it holds never becomes markup.
    An `&` that starts no reference (`Vision & Language`, `Q&A`) is left as it is: HTML shows it as written, and so
    does a reader that shows RSS titles as plain text. Atom says type="text" instead."""
    text = _REFERENCE_START.sub(_escaped_reference, title)
    return text.replace("<", "&lt;").replace(">", "&gt;")


# An `&` that HTML could read as the start of a character reference: `&#`, or a name (`&lt;`, `&copy2024`, `&AMP`).
_REFERENCE_START = re.compile(r"&(#|[A-Za-z][A-Za-z0-9]*;?)")


def _escaped_reference(found: re.Match[str]) -> str:
    if found[1] == "#" or html.unescape(found[0]) != found[0]:
        return "&amp;" + found[1]
    return found[0]


def unsplit_addresses(names: str) -> str:
    """Names as a reader takes them from RSS's dc:creator: a word joiner (U+2060, drawn as nothing) before each `@`, so
    a name that looks like an e-mail address stays the name. Readers (feedparser) split an address out of a creator
    into `email` and kept the rest as the name: "A, B, carl@example.org" showed "A, B," and the name alone nothing."""
    return names.replace("@", "\u2060@")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: clean_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = clean_text(text)
    return element


def _serialize(root: ET.Element) -> bytes:
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def build_rss(feed: Feed) -> bytes:
    """RSS 2.0. An item keeps its guid for good (a reader shows a paper once); one changed since it was published (a
    title corrected, another section) says when in <atom:updated>, as the Atom entry's <updated> does, RSS having no
    such field: readers that keep an item by its guid then take its new title (feedparser's `updated`)."""
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", rss_title(feed.title))
    _sub(channel, "link", feed.home_url)
    _sub(channel, "description", feed.description)
    _sub(channel, f"{{{ATOM_NS}}}link", href=feed.self_url, rel="self", type="application/rss+xml")
    _sub(channel, "lastBuildDate", rfc822(feed.updated))
    _sub(channel, "generator", "awesome-digest")
    for item in feed.items:
        node = _sub(channel, "item")
        _sub(node, "title", rss_title(item.title))
        _sub(node, "link", item.link)
        _sub(node, "guid", item.guid, isPermaLink="false")
        _sub(node, "pubDate", rfc822(item.published))
        if item.updated is not None and item.updated > item.published:
            _sub(node, f"{{{ATOM_NS}}}updated", rfc3339(item.updated))
        if item.authors:
            # One dc:creator naming them all, as arXiv's RSS does: readers (feedparser) given one per author kept
            # only the last. A long list ends "et al. (N authors)", as the description and the Atom entry show it.
            _sub(node, f"{{{DC_NS}}}creator", unsplit_addresses(authors_line(item.authors)))
        for category in item.categories:
            _sub(node, "category", category)
        _sub(node, "description", item_html(item))
    return _serialize(rss)


def build_atom(feed: Feed) -> bytes:
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(root, f"{{{ATOM_NS}}}id", feed.feed_id)
    _sub(root, f"{{{ATOM_NS}}}title", feed.title)
    _sub(root, f"{{{ATOM_NS}}}subtitle", feed.description)
    _sub(root, f"{{{ATOM_NS}}}updated", rfc3339(feed.updated))
    _sub(root, f"{{{ATOM_NS}}}link", href=feed.self_url, rel="self", type="application/atom+xml")
    _sub(root, f"{{{ATOM_NS}}}link", href=feed.home_url, rel="alternate", type="text/html")
    author = _sub(root, f"{{{ATOM_NS}}}author")
    _sub(author, f"{{{ATOM_NS}}}name", feed.title)
    _sub(root, f"{{{ATOM_NS}}}generator", "awesome-digest")
    for item in feed.items:
        entry = _sub(root, f"{{{ATOM_NS}}}entry")
        _sub(entry, f"{{{ATOM_NS}}}id", item.guid)
        _sub(entry, f"{{{ATOM_NS}}}title", item.title, type="text")
        _sub(entry, f"{{{ATOM_NS}}}link", href=item.link, rel="alternate")
        _sub(entry, f"{{{ATOM_NS}}}published", rfc3339(item.published))
        _sub(entry, f"{{{ATOM_NS}}}updated", rfc3339(max(item.published, item.updated or item.published)))
        if item.authors:
            # One <author> naming them all, as RSS's dc:creator does: readers show one author of an entry (feedparser's
            # `author` the last <author>, others the first), so an <author> each showed one name of several, and the
            # first three of a long list read as the paper's only authors. RFC 4287 allows it: a name is free text.
            person = _sub(entry, f"{{{ATOM_NS}}}author")
            _sub(person, f"{{{ATOM_NS}}}name", authors_line(item.authors))
        for category in item.categories:
            _sub(entry, f"{{{ATOM_NS}}}category", term=category)
        _sub(entry, f"{{{ATOM_NS}}}content", item_html(item), type="html")
    return _serialize(root)
