"""One item of an arXiv answer (a feedparser entry) into an `ArxivPaper`, and the paper's own date.

Pure: the text rules every field of an answer is read with (invisible characters blanked, spaces collapsed) live here.
"""

from __future__ import annotations

import calendar
import html
import re
import xml.sax
from datetime import UTC, datetime
from typing import Any

from digest.arxiv.accents import tex_accents_as_letters
from digest.arxiv.papers import ArxivPaper
from digest.arxiv.texmath import tex_as_text
from digest.arxiv_references import parse_arxiv_reference
from digest.text import blank_invisible, composed
from digest.titles import arxiv_id_month, split_arxiv_id

ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")
# "arXiv:2604.22002v1 Announce Type: new \nAbstract: ..." opens every description of the new-format feeds.
_ANNOUNCE_PREFIX = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?", re.IGNORECASE
)
# Bounds past any paper arXiv holds (its titles stay under 300 characters, its abstracts under 2,000 words): a longer
# field is a broken or hostile answer, cut so no page, list entry or email carries megabytes of it.
TITLE_MAX = 300
ABSTRACT_MAX = 20_000
AUTHOR_MAX, AUTHORS_MAX = 200, 10_000  # the largest collaborations sign some 5,000 names
COMMENTS_MAX = 2_000
REFERENCE_MAX = 500  # a journal reference or a DOI: arXiv's longest run to some 300 characters
ELLIPSIS = "…"


def datetime_from_struct(parsed: Any) -> datetime | None:
    """One of feedparser's time structs (UTC) as a datetime, or None, also for a date outside years 1 to 9999 once in
    UTC (a zero date written east of it, 0001-01-01T00:00:00+01:00, is in year 0): no datetime holds it."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def date_out_of_range(container: Any, key: str) -> str | None:
    """The date as written when feedparser read `key` ("published", "updated") of a feed but no datetime
    holds it (see datetime_from_struct); None otherwise."""
    parsed = dict.get(container, f"{key}_parsed")
    if not parsed or datetime_from_struct(parsed) is not None:
        return None
    return clean_text(dict.get(container, key))[:60] or "?"


class DateCache:
    """feedparser's time structs as datetimes; a day's feed gives every item the same date, so each is built once."""

    def __init__(self) -> None:
        self._seen: dict[Any, datetime | None] = {}

    def __call__(self, parsed: Any) -> datetime | None:
        if not parsed:
            return None
        found = self._seen.get(parsed)
        if found is None:
            found = self._seen[parsed] = datetime_from_struct(parsed)
        return found


def clean_text(value: Any) -> str:
    """A field of an answer as one line of visible text: invisible characters blanked, runs of spaces made one."""
    if not value:  # most optional fields are absent: no regular expression for them
        return ""
    # str.split() and the pattern `\s` ask Unicode the same question (white space as str.isspace reads it); a join is
    # a third of the time of a substitution per run of spaces, on every abstract of a poll.
    return " ".join(blank_invisible(str(value or ""), keep_line_breaks=True).split())


def shown_text(value: Any) -> str:
    """A title or an author's name as arXiv's pages show it: `clean_text`, its TeX accents the letters they make, its
    formulas and TeX markup plain text (`tex_as_text`), in one spelling (`composed`) so a search finds what a reader
    sees."""
    return _as_shown(clean_text(value))


def _as_shown(text: str) -> str:
    return composed(tex_as_text(tex_accents_as_letters(text))).strip()


def shortened(text: str, limit: int) -> str:
    """The text, or its start cut at a space (when one is near) with an ellipsis, `limit` characters at most."""
    if len(text) <= limit:
        return text
    start = text[: limit - len(ELLIPSIS)]
    space = start.rfind(" ")
    if space > limit * 3 // 4:
        start = start[:space]
    return start.rstrip() + ELLIPSIS


def _cut_fields(title: str, abstract: str) -> tuple[str, str, list[str]]:
    """The title and abstract within their bounds, and what was cut, a clause each."""
    cut = [
        f"{name} of {len(text):,} characters cut to {limit:,}"
        for name, text, limit in (("title", title, TITLE_MAX), ("abstract", abstract, ABSTRACT_MAX))
        if len(text) > limit
    ]
    return shortened(title, TITLE_MAX), shortened(abstract, ABSTRACT_MAX), cut


def _bounded_extras(authors: list[str], comments: str | None, cut: list[str]) -> tuple[list[str], str | None]:
    """The byline and comments within their bounds (past any arXiv paper's); what was cut is added to `cut`."""
    if len(authors) > AUTHORS_MAX:
        cut.append(f"{len(authors):,} authors cut to {AUTHORS_MAX:,}")
    long_names = sum(len(name) > AUTHOR_MAX for name in authors)
    if long_names:
        cut.append(f"{long_names:,} author name{'s' if long_names > 1 else ''} cut to {AUTHOR_MAX} characters")
    return [shortened(name, AUTHOR_MAX) for name in authors[:AUTHORS_MAX]], _bounded(
        "comments", comments, COMMENTS_MAX, cut
    )


def _bounded(name: str, text: str | None, limit: int, cut: list[str]) -> str | None:
    """`text` within `limit` characters, with an ellipsis; what was cut is added to `cut`."""
    if text is None or len(text) <= limit:
        return text
    cut.append(f"{name} of {len(text):,} characters cut to {limit:,}")
    return shortened(text, limit)


def _optional(value: Any) -> str | None:
    text = clean_text(value)
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
        names.extend(part for part in (shown_text(p) for p in text.split(",")) if part)
    return names


def read_leniently(parsed: Any) -> bool:
    """Whether feedparser fell back to its lenient (HTML-like) parser: no encoding found, or the XML was broken."""
    return not parsed.get("encoding") or isinstance(parsed.get("bozo_exception"), xml.sax.SAXException)


def entry_label(entry: Any, index: int) -> str:
    """How a problem line names an item: its place in the answer, its ID or link and the start of its title."""
    # Both cut short: a line names the item, and a broken or hostile answer may give either megabytes.
    ident = shortened(clean_text(entry.get("id") or entry.get("link")), 100)
    title = clean_text(entry.get("title"))[:80]
    return f"item {index + 1} ({ident or 'no id'}{', ' + repr(title) if title else ''})"


def parse_entry(
    entry: Any, index: int, *, loose: bool = False, dates: DateCache | None = None
) -> tuple[ArxivPaper | None, str | None]:
    """One feedparser entry into a paper, or None and the reason it was skipped. `loose`: the feed was read by
    feedparser's lenient parser (see `read_leniently`). Entries are read with dict.get: none of the keys read here
    is one of FeedParserDict's aliases, and its own lookup costs more than the rest of this function."""
    get = dict.get
    date_of = dates or DateCache()
    raw_abstract = blank_invisible(str(get(entry, "summary") or ""), keep_line_breaks=True)
    prefix = _ANNOUNCE_PREFIX.match(raw_abstract)
    named = (str(get(entry, "id") or ""), prefix.group("id") if prefix else "", str(get(entry, "link") or ""))
    found = _arxiv_id_in(named)
    if isinstance(found, str):
        return None, f"{entry_label(entry, index)}: {found}; skipped"
    arxiv_id, version = found
    if version is None:  # the announcement line names the version where the link does not
        announced = _arxiv_id_in(named[1:2])
        if not isinstance(announced, str) and announced[0] == arxiv_id:
            version = announced[1]
    title = shown_text(get(entry, "title"))
    if not title:
        return None, f"{entry_label(entry, index)}: no title; skipped"
    abstract = _as_shown(raw_abstract[prefix.end() :] if prefix else raw_abstract)
    title, abstract, cut = _cut_fields(title, abstract)
    given = get(entry, "published_parsed")
    published = date_of(given)
    authors, comments = _bounded_extras(_authors(entry, loose), _optional(get(entry, "arxiv_comment")), cut)
    reference = _optional(get(entry, "arxiv_journal_ref") or get(entry, "arxiv_journal_reference"))
    journal_ref = _bounded("journal reference", reference, REFERENCE_MAX, cut)
    doi = _bounded("DOI", _optional(get(entry, "arxiv_doi")), REFERENCE_MAX, cut)
    problems = [", ".join(cut) + " (past any arXiv paper's); kept"] if cut else []
    disagreeing = _link_disagreeing(arxiv_id, named[2])
    if disagreeing:
        problems.append(disagreeing)
    if published is None and given:
        written = clean_text(get(entry, "published"))[:60]
        problems.append(f"its date {written!r} is out of range; dated by its arXiv ID")
    problem = f"{entry_label(entry, index)}: {'; '.join(problems)}" if problems else None
    announce = _optional(get(entry, "arxiv_announce_type")) or (prefix.group("type") if prefix else None)
    announce = announce.lower()[:32] if announce else None  # Candidate.announce_type is String(32)
    categories = [str(tag.get("term")) for tag in get(entry, "tags") or [] if tag.get("term")]
    primary = get(entry, "arxiv_primary_category")
    primary_category = _optional(primary.get("term")) if isinstance(primary, dict) else None
    paper = ArxivPaper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        authors=authors,
        abstract=abstract,
        categories=categories,
        announce_type=announce,
        published=own_date(arxiv_id, announce, published),
        updated=date_of(get(entry, "updated_parsed")),
        doi=doi,
        journal_ref=journal_ref,
        comments=comments,
        primary_category=primary_category or (categories[0] if categories else None),
    )
    return paper, problem


def _arxiv_id_in(named: tuple[str, ...]) -> tuple[str, int | None] | str:
    """The ID and version of the first of an item's fields (its id, its announcement line, its link) that names an ID
    arXiv can have issued, or why none does: a mirror's own guid, or one cut short, must not lose a paper its link
    names."""
    malformed = None
    for text in named:
        try:
            arxiv_id, version = split_arxiv_id(text)
        except ValueError:
            continue
        if parse_arxiv_reference(arxiv_id) is not None:
            return arxiv_id, version
        malformed = malformed or arxiv_id  # its shape only: a month 13, a digit missing, no such archive
    return "no arXiv ID" if malformed is None else f"{malformed!r} is no arXiv ID arXiv can have issued"


def _link_disagreeing(arxiv_id: str, link: str) -> str | None:
    """A clause when the item's link names another paper than the ID it is stored under (its id, or its announcement
    line, comes first): the paper a reader would open is not the one kept. The link is shown cut short and clean."""
    try:
        if split_arxiv_id(link)[0] == arxiv_id:
            # The link names the paper kept (nearly every item): no need to ask whether arXiv can have issued it.
            return None
    except ValueError:
        return None  # the link names no ID at all
    named = _arxiv_id_in((link,))
    if isinstance(named, str) or named[0] == arxiv_id:
        return None
    shown = shortened(clean_text(link), 100)
    return f"its link {shown!r} names {named[0]}, not {arxiv_id}; stored as {arxiv_id}"


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
