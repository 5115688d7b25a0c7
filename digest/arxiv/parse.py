"""arXiv answers (RSS 2.0 and Atom from rss.arxiv.org, Atom from the API, old and new format) into dataclasses.

Pure: bytes in, `ParsedFeed` out; knows no network and no database. One bad item is a problem line, not a failure.
"""

from __future__ import annotations

import calendar
import html
import re
import xml.sax
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from digest.text import blank_invisible
from digest.titles import arxiv_abs_url, arxiv_id_month, split_arxiv_id

ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")
# "arXiv:2604.22002v1 Announce Type: new \nAbstract: ..." opens every description of the new-format feeds.
_ANNOUNCE_PREFIX = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?", re.IGNORECASE
)
_SPACES = re.compile(r"\s+")
# A title that can do something where it is shown: Markdown links/emphasis, HTML, mass mentions.
_MARKUP = re.compile(r"<[a-z/!?]|\]\(|\]\]>|`|\*\*|@(?:everyone|here)\b|https?://", re.IGNORECASE)
# How arXiv marks a withdrawn version: its abstract (or comments) say so, "This paper has been withdrawn by ...".
_WITHDRAWN = re.compile(
    r"\A\W*(?:this (?:paper|article|manuscript|submission|work|version) (?:has been|is|was) withdrawn|withdrawn\b)",
    re.IGNORECASE,
)
_ERROR_TITLE = re.compile(r"^\s*(feed error|error)\b", re.IGNORECASE)
# A numeric character reference (&#xD800;, &#1114112;): feedparser's lenient reader raises on one that names a
# surrogate or a number past Unicode, so no item of that answer, nor any later source of the pass, would be read.
_CHARACTER_REFERENCE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_REPLACEMENT_REFERENCE = b"&#xFFFD;"


@dataclass(frozen=True)
class ArxivPaper:
    arxiv_id: str  # without version
    version: int | None
    title: str
    authors: list[str]
    abstract: str
    categories: list[str]
    announce_type: str | None  # new | cross | replace | replace-cross | None (API)
    published: datetime | None
    updated: datetime | None
    doi: str | None
    journal_ref: str | None
    comments: str | None
    primary_category: str | None

    @property
    def abs_url(self) -> str:
        return arxiv_abs_url(self.arxiv_id)

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def title_has_markup(self) -> bool:
        return bool(_MARKUP.search(self.title))

    @property
    def withdrawn(self) -> bool:
        """Whether this version withdraws the paper: its abstract or comments open with the notice."""
        return any(_WITHDRAWN.match(text) for text in (self.abstract, self.comments or ""))


@dataclass(frozen=True)
class ParsedFeed:
    kind: str  # rss | atom | api | unknown
    feed_date: datetime | None
    skip_days: tuple[str, ...]
    papers: list[ArxivPaper]
    problems: list[str] = field(default_factory=list)  # one line per item skipped or oddity found
    error: str | None = None  # the whole answer is unusable (error feed, HTML page, not XML)
    title: str = ""
    total_results: int | None = None  # API answers: opensearch:totalResults
    well_formed: bool = True
    cut_off: int = 0  # items the answer ends inside (a dropped connection): left out, and what followed never came
    skipped: int = 0  # whole items left out (no arXiv ID, no title): read, but no paper

    @property
    def items_read(self) -> int:
        """The items read whole, papers or not: where the next page of an API answer starts."""
        return len(self.papers) + self.skipped


def _datetime(parsed: Any) -> datetime | None:
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


class _Dates:
    """feedparser's time structs as datetimes; a day's feed gives every item the same date, so each is built once."""

    def __init__(self) -> None:
        self._seen: dict[Any, datetime | None] = {}

    def __call__(self, parsed: Any) -> datetime | None:
        if not parsed:
            return None
        found = self._seen.get(parsed)
        if found is None:
            found = self._seen[parsed] = _datetime(parsed)
        return found


def _text(value: Any) -> str:
    if not value:  # most optional fields are absent: no regular expression for them
        return ""
    return _SPACES.sub(" ", blank_invisible(str(value or ""), keep_line_breaks=True)).strip()


def _optional(value: Any) -> str | None:
    text = _text(value)
    return text or None


def _authors(entry: Any, loose: bool) -> list[str]:
    names: list[str] = []
    for author in dict.get(entry, "authors") or []:
        name = author.get("name") if isinstance(author, dict) else None
        if not name:
            continue
        # feedparser's lenient parser (a feed that is not well-formed XML) leaves the character references of a
        # name as written (`&lt;img`, `&amp;`) where it decodes those of titles and abstracts: decode them once, so
        # the name is the text arXiv wrote either way.
        text = html.unescape(str(name)) if loose else str(name)
        # The RSS feeds put every author in one dc:creator, separated by commas.
        names.extend(part for part in (_text(p) for p in text.split(",")) if part)
    return names


def read_leniently(parsed: Any) -> bool:
    """Whether feedparser fell back to its lenient (HTML-like) parser: no encoding found, or the XML was broken."""
    return not parsed.get("encoding") or isinstance(parsed.get("bozo_exception"), xml.sax.SAXException)


def _kind(parsed: Any) -> str:
    version = str(parsed.get("version") or "")
    if version.startswith("rss"):
        return "rss"
    if version.startswith("atom"):
        feed = parsed.get("feed", {})
        if "opensearch_totalresults" in feed or "/api" in str(feed.get("id", "")):
            return "api"
        return "atom"
    return "unknown"


def _entry_label(entry: Any, index: int) -> str:
    ident = _text(entry.get("id") or entry.get("link"))
    title = _text(entry.get("title"))[:80]
    return f"item {index + 1} ({ident or 'no id'}{', ' + repr(title) if title else ''})"


def parse_entry(
    entry: Any, index: int, *, loose: bool = False, dates: _Dates | None = None
) -> tuple[ArxivPaper | None, str | None]:
    """One feedparser entry into a paper, or None and the reason it was skipped. `loose`: the feed was read by
    feedparser's lenient parser (see `read_leniently`). Entries are read with dict.get: none of the keys read here
    is one of FeedParserDict's aliases, and its own lookup costs more than the rest of this function."""
    get = dict.get
    date_of = dates or _Dates()
    raw_abstract = blank_invisible(str(get(entry, "summary") or ""), keep_line_breaks=True)
    prefix = _ANNOUNCE_PREFIX.match(raw_abstract)
    ident_text = str(get(entry, "id") or "") or (prefix.group("id") if prefix else "") or str(get(entry, "link") or "")
    try:
        arxiv_id, version = split_arxiv_id(ident_text)
    except ValueError:
        return None, f"{_entry_label(entry, index)}: no arXiv ID; skipped"
    if version is None and prefix:
        version = _version_of(prefix.group("id"))
    title = _text(get(entry, "title"))
    if not title:
        return None, f"{_entry_label(entry, index)}: no title; skipped"
    abstract = raw_abstract[prefix.end() :] if prefix else raw_abstract
    announce = _optional(get(entry, "arxiv_announce_type")) or (prefix.group("type") if prefix else None)
    announce = announce.lower()[:32] if announce else None  # Candidate.announce_type is String(32)
    categories = [str(tag.get("term")) for tag in get(entry, "tags") or [] if tag.get("term")]
    primary = get(entry, "arxiv_primary_category")
    primary_category = _optional(primary.get("term")) if isinstance(primary, dict) else None
    paper = ArxivPaper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        authors=_authors(entry, loose),
        abstract=abstract.strip(),
        categories=categories,
        announce_type=announce,
        published=own_date(arxiv_id, announce, date_of(get(entry, "published_parsed"))),
        updated=date_of(get(entry, "updated_parsed")),
        doi=_optional(get(entry, "arxiv_doi")),
        journal_ref=_optional(get(entry, "arxiv_journal_ref") or get(entry, "arxiv_journal_reference")),
        comments=_optional(get(entry, "arxiv_comment")),
        primary_category=primary_category or (categories[0] if categories else None),
    )
    return paper, None


def own_date(arxiv_id: str, announce_type: str | None, given: datetime | None) -> datetime | None:
    """When the paper itself appeared. arXiv's feeds date every item by the day they announce it: for a `new` item
    that is the paper's day, but a cross-list or a new version of an older paper (`cross`, `replace`,
    `replace-cross`) is not from that day, and its ID's month (when its first version was submitted) is what the feed
    tells. The API's `<published>` (no announce type) is the first version's own date. Never before the ID's month."""
    month = arxiv_id_month(arxiv_id)
    if month is None:
        return given
    issued = datetime(*month, 1, tzinfo=UTC)
    if given is None or given < issued or announce_type not in (None, "new"):
        return issued
    return given


def _version_of(text: str) -> int | None:
    try:
        return split_arxiv_id(text)[1]
    except ValueError:
        return None


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]


def _whole_answer_error(parsed: Any, data: bytes, kind: str) -> str | None:
    """Why this answer is not a usable feed at all, or None."""
    if not data.strip():
        return "empty answer (no bytes)"
    if b"<!ENTITY" in data[:4096]:
        return "the answer declares XML entities; refused"
    if _looks_like_html(data):
        return "an HTML page, not a feed"
    if kind == "unknown":
        reason = parsed.get("bozo_exception")
        return f"not an RSS or Atom feed ({_text(reason)[:120] or 'unrecognised document'})"
    title = _text(parsed.get("feed", {}).get("title"))
    if title.lower().startswith("feed error"):
        return f"error feed: {title}"
    entries = parsed.get("entries") or []
    # The API reports a bad query as a single entry titled "Error" whose id points at /api/errors.
    if entries and all("/api/errors" in str(e.get("id", "")) for e in entries):
        return f"API error: {_text(entries[0].get('summary')) or _text(entries[0].get('title'))}"
    return None


def _skip_days(parsed: Any, data: bytes) -> tuple[str, ...]:
    if b"skipDays" not in data:
        return ()
    block = re.search(rb"<skipDays>(.*?)</skipDays>", data, re.DOTALL)
    if block is None:
        return ()
    return tuple(day.decode("ascii", "replace").strip() for day in re.findall(rb"<day>\s*(\w+)\s*</day>", block[1]))


def _without_impossible_references(data: bytes) -> tuple[bytes, int]:
    """The answer with each reference to a code point no text can hold (a surrogate, a number past U+10FFFF) written
    as U+FFFD, and how many there were."""
    if b"&#" not in data:
        return data, 0
    replaced = 0

    def mend(found: re.Match[bytes]) -> bytes:
        nonlocal replaced
        digits = found[1] or found[2]
        # More than eight digits is past Unicode whatever they say (and spares int() a number of any length).
        number = 0x110000 if len(digits) > 8 else int(digits, 16) if found[1] else int(digits)
        if 0xD800 <= number <= 0xDFFF or number > 0x10FFFF:
            replaced += 1
            return _REPLACEMENT_REFERENCE
        return found[0]

    return _CHARACTER_REFERENCE.sub(mend, data), replaced


def parse_feed(data: bytes, source: str) -> ParsedFeed:
    """Parses one answer. Abstracts and titles are kept exactly as arXiv wrote them (HTML sanitising is off:
    feedparser would otherwise turn `a <b <= c` into `a <b><= c`); everything shown later is escaped there.
    Never raises for what the bytes hold: an answer feedparser cannot read at all is an error, not an exception."""
    data, impossible = _without_impossible_references(data)
    try:
        parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    except Exception as failure:  # untrusted bytes: one source's answer must not end the whole pass
        reason = _text(f"{type(failure).__name__}: {failure}")[:160]
        return ParsedFeed(
            "unknown", None, (), [], [], f"feedparser could not read the answer ({reason})", "", None, False
        )
    kind = _kind(parsed)
    feed = parsed.get("feed", {})
    feed_date = _datetime(dict.get(feed, "published_parsed") or dict.get(feed, "updated_parsed"))
    title = _text(feed.get("title"))
    total = feed.get("opensearch_totalresults")
    total_results = int(total) if isinstance(total, str) and total.strip().isdigit() else None
    error = _whole_answer_error(parsed, data, kind)
    if error:
        return ParsedFeed(kind, feed_date, (), [], [], error, title, total_results, well_formed=False)
    problems: list[str] = []
    cut_off = 0
    if impossible:
        problems.append(
            f"{source}: {impossible} character reference{'s' if impossible > 1 else ''} to no Unicode character "
            "(a surrogate or a number past U+10FFFF), read as U+FFFD"
        )
    well_formed = not parsed.get("bozo")
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        name = type(exc).__name__
        if "Encoding" in name:
            problems.append(f"{source}: bytes that are not valid {parsed.get('encoding') or 'UTF-8'} ({name})")
        else:
            problems.append(f"{source}: the feed is not well-formed XML ({_text(exc)[:160]}); read leniently")
    papers: list[ArxivPaper] = []
    entries = list(parsed.get("entries") or [])
    if not well_formed:
        # A feed cut off mid-item (a dropped connection) yields a last item with half its text: leave it out.
        closed = data.count(b"</item>") + data.count(b"</entry>")
        cut_off = max(0, len(entries) - closed)
        for index in range(closed, len(entries)):
            problems.append(
                f"{source}: {_entry_label(entries[index], index)}: cut off (the feed ends inside it); skipped"
            )
        entries = entries[:closed]
    loose, dates = read_leniently(parsed), _Dates()
    skipped = 0
    for index, entry in enumerate(entries):
        paper, problem = parse_entry(entry, index, loose=loose, dates=dates)
        if paper is not None:
            papers.append(paper)
        else:
            skipped += 1
        if problem:
            problems.append(f"{source}: {problem}")
    return ParsedFeed(
        kind,
        feed_date,
        _skip_days(parsed, data),
        papers,
        problems,
        None,
        title,
        total_results,
        well_formed,
        cut_off,
        skipped,
    )
