"""arXiv answers (RSS 2.0 and Atom from rss.arxiv.org, Atom from the API, old and new format) into dataclasses.

Pure: bytes in, `ParsedFeed` out; knows no network and no database. One bad item is a problem line, not a failure.
"""

from __future__ import annotations

import re
from typing import Any

from digest.arxiv.answer_bytes import as_utf8
from digest.arxiv.entries import (
    ANNOUNCE_TYPES,
    DateCache,
    clean_text,
    date_out_of_range,
    datetime_from_struct,
    entry_label,
    own_date,
    parse_entry,
    read_leniently,
    shortened,
)
from digest.arxiv.papers import ArxivPaper, ParsedFeed
from digest.arxiv.reading import read_answer
from digest.arxiv.windows import API_RESULT_LIMIT
from digest.record_ids import parse_record_id

# The paper, the answer and the entry reader live in papers.py and entries.py: importable from here as before.
__all__ = [
    "ANNOUNCE_TYPES",
    "ArxivPaper",
    "ParsedFeed",
    "own_date",
    "parse_entry",
    "parse_feed",
    "read_leniently",
]

_ERROR_TITLE = re.compile(r"^\s*(feed error|error)\b", re.IGNORECASE)
# A numeric character reference (&#xD800;, &#1114112;): feedparser's lenient reader raises on one that names a
# surrogate or a number past Unicode, so no item of that answer, nor any later source of the pass, would be read.
_CHARACTER_REFERENCE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_REPLACEMENT_REFERENCE = b"&#xFFFD;"
# How a whole answer ends (RSS 2.0, Atom, RSS 1.0): its closing tag, near the end (a comment or spaces may follow).
_CLOSING = re.compile(rb"</(?:rss|feed|rdf:RDF)>")
# A run of letters in an element naming a person (author, editor, publisher): feedparser looks for an e-mail address
# in it with a regular expression that takes time growing with the square of the run (a 200 KB name held a poll for
# minutes). No name has such a word.
_ENDLESS = 256  # characters of a word no name holds
_ENDLESS_WORD = re.compile(rb"[\w.+-]{%d,}" % _ENDLESS)
# Each byte of _ENDLESS_WORD's words made "w", every other byte a space: an endless word is then one substring search.
_WORD_BYTES = bytes(
    ord("w") if chr(byte).isascii() and (chr(byte).isalnum() or chr(byte) in "_.+-") else 32 for byte in range(256)
)
_AUTHOR_ELEMENT = re.compile(
    rb"<((?:[\w-]+:)?(?:creator|name|author|email|managingEditor|webMaster|publisher|contributor|owner))\b[^>]*>"
    rb"(.*?)</\1>",
    re.DOTALL,
)
# Each item's licence as arXiv writes it (RSS): nothing here reads it, and feedparser takes it as content (a copy, a
# type guess and an HTML check each), a twelfth of its parse of a 2,000-item feed. Plain text only: an element with
# markup or a CDATA section inside is left to feedparser.
_LICENCE = re.compile(rb"<dc:rights>[^<]*</dc:rights>")
_QUOTED_MAX = 200  # characters of an error answer's own text quoted in its one line
# An item's start tag. arXiv gives no answer of more items than its API's limit (a category's daily feed has a few
# thousand): an answer of more is no arXiv answer, and reading each would hold the poll for minutes and a gigabyte of
# memory (53,000 small items in 20 MB: 4 minutes, 1 GB, every one a candidate).
_ITEM_START = re.compile(rb"<(?:entry|item)[\s>/]")


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
        return f"not an RSS or Atom feed ({clean_text(reason)[:120] or 'unrecognised document'})"
    # The answer's own words, cut short: they become the source's one-line message, in the log and on status pages.
    title = shortened(clean_text(parsed.get("feed", {}).get("title")), _QUOTED_MAX)
    if title.lower().startswith("feed error"):
        return f"error feed: {title}"
    entries = parsed.get("entries") or []
    # The API reports a bad query as a single entry titled "Error" whose id points at /api/errors.
    if entries and all("/api/errors" in str(e.get("id", "")) for e in entries):
        said = clean_text(entries[0].get("summary")) or clean_text(entries[0].get("title"))
        return f"API error: {shortened(said, _QUOTED_MAX)}"
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


def _without_endless_words(data: bytes) -> bytes:
    """The answer with each endless word in an author's element cut to its first 200 characters and an ellipsis."""
    # Whether there is one at all, at C speed: the regular expression's search tries every byte of every word as a
    # start (a 3.7 MB feed of 2,000 papers: 130 ms, an eighth of its parse; the translated search takes 4 ms).
    if b"w" * _ENDLESS not in data.translate(_WORD_BYTES):
        return data

    def cut(element: re.Match[bytes]) -> bytes:
        words = _ENDLESS_WORD.sub(lambda word: word[0][:200] + "…".encode(), element[2])
        return element[0][: element.start(2) - element.start(0)] + words + f"</{element[1].decode()}>".encode()

    return _AUTHOR_ELEMENT.sub(cut, data)


def _too_many_items(data: bytes) -> str | None:
    """Why the answer is refused unread when it holds more items than arXiv gives in one, else None. Two byte counts
    at C speed; the items are counted exactly only past the limit."""
    if data.count(b"<entry") + data.count(b"<item") <= API_RESULT_LIMIT:
        return None
    items = len(_ITEM_START.findall(data))
    if items <= API_RESULT_LIMIT:
        return None
    return f"the answer holds {items:,} items, more than arXiv gives in one ({API_RESULT_LIMIT:,}); refused"


def parse_feed(data: bytes, source: str) -> ParsedFeed:
    """Parses one answer. Abstracts and titles are kept exactly as arXiv wrote them (HTML sanitising is off:
    feedparser would otherwise turn `a <b <= c` into `a <b><= c`); everything shown later is escaped there.
    Never raises for what the bytes hold: an answer feedparser cannot read at all is an error, not an exception."""
    data, transcoded = as_utf8(data)
    data, impossible = _without_impossible_references(data)
    data = _without_endless_words(data)
    too_many = _too_many_items(data)
    if too_many:
        return ParsedFeed("unknown", None, (), [], [], too_many, "", None, False)
    if b"<dc:rights>" in data:
        data = _LICENCE.sub(b"", data)
    try:
        parsed = read_answer(data)
    except Exception as failure:  # untrusted bytes: one source's answer must not end the whole pass
        reason = clean_text(f"{type(failure).__name__}: {failure}")[:160]
        return ParsedFeed(
            "unknown", None, (), [], [], f"feedparser could not read the answer ({reason})", "", None, False
        )
    kind = _kind(parsed)
    feed = parsed.get("feed", {})
    feed_date = datetime_from_struct(dict.get(feed, "published_parsed")) or datetime_from_struct(
        dict.get(feed, "updated_parsed")
    )
    title = clean_text(feed.get("title"))
    total = feed.get("opensearch_totalresults")
    # ASCII digits within the INTEGER column backfill saves it in: '²' passes `isdigit` and fails `int`, and a number
    # past 2**31 is refused by PostgreSQL. Either is no total, as a missing one is.
    total_results = parse_record_id(total.strip()) if isinstance(total, str) else None
    error = _whole_answer_error(parsed, data, kind)
    if error:
        return ParsedFeed(kind, feed_date, (), [], [], error, title, total_results, well_formed=False)
    problems = [f"{source}: {transcoded}"] if transcoded else []
    problems += _reading_problems(parsed, source, impossible)
    well_formed = not parsed.get("bozo")
    papers, cut_off, skipped = _read_entries(parsed, data, source, well_formed, problems)
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


def _reading_problems(parsed: Any, source: str, impossible: int) -> list[str]:
    """The answer's own oddities, one line each: references to no character, bytes or XML feedparser tripped on."""
    problems: list[str] = []
    feed = parsed.get("feed", {})
    for key in ("published", "updated"):
        odd_date = date_out_of_range(feed, key)
        if odd_date:
            problems.append(f"{source}: the feed's date {odd_date!r} is out of range; not used")
    if impossible:
        problems.append(
            f"{source}: {impossible} character reference{'s' if impossible > 1 else ''} to no Unicode character "
            "(a surrogate or a number past U+10FFFF), read as U+FFFD"
        )
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        name = type(exc).__name__
        if "Encoding" in name:
            # feedparser's own words ("document declared as utf-8, but parsed as windows-1252"): the encoding it
            # names is the one it fell back to, in which the bytes are valid.
            problems.append(f"{source}: bytes that are not valid in the encoding it declares ({clean_text(exc)[:120]})")
        else:
            problems.append(f"{source}: the feed is not well-formed XML ({clean_text(exc)[:160]}); read leniently")
    return problems


def _read_entries(
    parsed: Any, data: bytes, source: str, well_formed: bool, problems: list[str]
) -> tuple[list[ArxivPaper], int, int]:
    """The answer's papers, how many items it ends inside (left out) and how many whole items gave no paper; each
    item left out adds its line to `problems`."""
    papers: list[ArxivPaper] = []
    cut_off = 0
    entries = list(parsed.get("entries") or [])
    if not well_formed:
        # A feed cut off mid-item (a dropped connection) yields a last item with half its text: leave it out.
        closed = data.count(b"</item>") + data.count(b"</entry>")
        cut_off = max(0, len(entries) - closed)
        for index in range(closed, len(entries)):
            problems.append(
                f"{source}: {entry_label(entries[index], index)}: cut off (the feed ends inside it); skipped"
            )
        entries = entries[:closed]
        if not cut_off and not _CLOSING.search(data[-1024:]):
            # Cut off between two items: each item read is whole, but what followed never came.
            cut_off = 1
            problems.append(
                f"{source}: the answer ends after item {closed}, before the feed's end; the rest is missing"
            )
    loose, dates = read_leniently(parsed), DateCache()
    skipped = 0
    places: dict[str, int] = {}  # arXiv ID -> its place in `papers`
    for index, entry in enumerate(entries):
        paper, problem = parse_entry(entry, index, loose=loose, dates=dates)
        if problem:
            problems.append(f"{source}: {problem}")
        if paper is None:
            skipped += 1
        elif paper.arxiv_id in places:
            # The same paper again (a mirror's merged feed, an API page that repeats one): one paper, counted once;
            # the newer version of the two is kept. Still an item read, for where the API's next page starts.
            skipped += 1
            place = places[paper.arxiv_id]
            if (paper.version or 0) > (papers[place].version or 0):
                papers[place] = paper
            problems.append(
                f"{source}: {entry_label(entry, index)}: {paper.arxiv_id} again in the answer; counted once"
            )
        else:
            places[paper.arxiv_id] = len(papers)
            papers.append(paper)
    return papers, cut_off, skipped
