"""One entry of the list read from its lines (pure): its short name, title link, date, badges and other links
(`ParsedEntry`), and the dates and escapes they are written in. Which list item is an entry is shapes.py's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import NamedTuple

# Which list item is an entry, and the patterns a line is read with, live in shapes.py; importable from here as before.
from digest.awesome.authored import authored_title, paper_link
from digest.awesome.blocks import shown_text
from digest.awesome.shapes import BADGE as BADGE
from digest.awesome.shapes import ENTRY_START as ENTRY_START
from digest.awesome.shapes import LINK as LINK
from digest.awesome.shapes import TASK_BOX, LineShape, read_shapes, shaped_head, without_badges
from digest.awesome.shapes import entry_marker as entry_marker
from digest.awesome.shapes import is_entry_line as is_entry_line
from digest.awesome.shapes import item_head as item_head
from digest.awesome.shapes import link_target as link_target
from digest.awesome.shapes import marker_kind as marker_kind
from digest.titles import arxiv_id_from_url, title_key

_SHORT_NAME = re.compile(r"^\*\*(?P<short>(?:\\.|[^*\\])+)\*\*\s*")
_BOLD_BEFORE = re.compile(r"\*\*(?P<short>(?:\\.|[^*\\])+)\*\*\s*$")
# Link text that names what the link leads to, not the paper ('- **Title** [[Paper]](url) [[Code]](url)', the way
# many paper lists write entries): the bold text before it is then the paper's title.
_LABEL = re.compile(
    r"^\[.*\]$|^(?:paper|pdf|arxiv|abs|link|html|openreview|project|project page|page|website|blog|code|github)$",
    re.IGNORECASE | re.DOTALL,
)
# The date in parentheses ending the line, not the target of a link there ("[[Code]](https://...)"), in italics or
# bold or not ('*(Jan. 5, 2024)*'), and before a line break forced there ('\' or '<br>': GitHub shows it last).
# In a code span too ('`(Jan. 5, 2024)`').
_DATE_AT_END = re.compile(
    r"(?<!\])(?P<em>\*{1,2}|_{1,2}|`)?\((?P<date>[^()]*)\)(?(em)(?P=em))(?:\\|<br\s*/?>)?\s*$", re.IGNORECASE
)
# A date written other common ways, read where it reads as a date: in brackets ('[Jan. 5, 2024]', not a link's text),
# or after a comma or a dash (', Jan. 5, 2024', ' - Jan. 5, 2024'); ending the line as _DATE_AT_END's does.
_DATE_BOXED = re.compile(r"(?<!\])\[(?P<date>[^\[\]()]*)\](?:\\|<br\s*/?>)?\s*$", re.IGNORECASE)
_DATE_AFTER = re.compile(r"(?:,|[ \t][-\u2013\u2014])[ \t]+(?P<date>[^\[\]()`*_]*?)(?:\\|<br\s*/?>)?\s*$", re.I)
_FULL_DATE = re.compile(r"^(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})$")
# The day first, as most of the world writes dates: '5 Jan 2024', '05 January, 2024'.
_DAY_FIRST = re.compile(r"^(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>\d{4})$")
_YEAR = re.compile(r"^(?P<year>\d{4})$")
# The words of a date ('Sept.', 'June', the 'th' of '5th'): what is left of a date without them is numbers.
_DATE_WORD = re.compile(r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|(?<=\d)(?:st|nd|rd|th)\b")
_WORD_LETTER = re.compile(r"[^\W\d_]")
# '2024-01-05' (or with '/' or '.'), and the month alone: '2024-01', '2024.01', 'Jan. 2024'.
_NUMERIC_DATE = re.compile(r"^(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?:(?P=sep)(?P<day>\d{1,2}))?$")
_MONTH_YEAR = re.compile(r"^(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>\d{4})$")
# An arXiv ID written beside the entry's link ('[Title](https://openreview.net/...) arXiv:2501.01234').
_ARXIV_IN_TEXT = re.compile(r"(?<![\w./])arxiv:?[ \t]*(?P<id>[0-9]{4}\.[0-9]{4,5})(?:v[0-9]+)?(?![\w.])", re.I | re.A)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# `&amp;` before what reads as an entity: how entry.escape_text keeps a title's "&lt;" from becoming "<".
_ESCAPED_AMPERSAND = re.compile(r"&amp;(?=#?\w+;)")
# The months' names as a new entry writes them ('April', 'Apr'), and as dates are read (by their first three letters).
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
)  # fmt: skip
_MONTHS = {name[:3].casefold(): number for number, name in enumerate(MONTH_NAMES, start=1)}
_FULL_NAMES = frozenset(name.casefold() for name in MONTH_NAMES)


@dataclass
class ParsedEntry:
    line: int  # 1-based line of the list item
    raw: str  # the entry's lines and the blank lines after it, verbatim
    short_name: str | None = None
    title: str | None = None  # Markdown escapes removed
    title_markdown: str | None = None  # the link text as written
    url: str | None = None  # the title link
    date_text: str | None = None
    date_parts: tuple[int, int, int] | None = None  # (year, month, day); month/day 0 when only a year is given
    badge_url: str | None = None
    code_url: str | None = None
    star_image: str | None = None
    other_links: list[str] = field(default_factory=list)
    date_column: str | None = None  # a table's row: the column its date is read from ('Date'), when the table has one

    @property
    def arxiv_id(self) -> str | None:
        return arxiv_id_from_url(self.url) if self.url else None

    @property
    def badge_arxiv_id(self) -> str | None:
        return arxiv_id_from_url(self.badge_url) if self.badge_url else None

    @property
    def paper_arxiv_id(self) -> str | None:
        """The paper the entry is for, as the list is read: its title link's arXiv ID, else its badge's, else the one
        written beside its link. Any form of link names it (abs, pdf, html, Hugging Face, alphaXiv, DOI)."""
        return self.arxiv_id or self.badge_arxiv_id or self.text_arxiv_id

    @property
    def text_arxiv_id(self) -> str | None:
        """The arXiv ID written in the text of the entry's first line ('arXiv:2501.01234'), not in a note under it. Only
        what GitHub shows (blocks.shown_text): one in an HTML comment or a code span names no paper, as for the poll."""
        found = _ARXIV_IN_TEXT.search(shown_text(self.raw).split("\n", 1)[0])
        return found["id"] if found else None

    @property
    def gives_date(self) -> bool:
        """Whether the entry gives a date, read or not: in its table's Date column, or in parentheses after its title
        a date or a try at one (numbers and month names: 'Feb. 30, 2024'), not its venue or a note ('(ICLR 2024)',
        '(oral)')."""
        text = self.date_text
        if text is None or self.date_parts is not None or self.date_column is not None:
            return text is not None
        return any(ch.isdigit() for ch in text) and not _WORD_LETTER.search(_DATE_WORD.sub("", text))

    @property
    def published(self) -> date | None:
        if self.date_parts is None or self.date_parts[1] == 0:
            return None
        try:
            return date(*self.date_parts)
        except ValueError:
            return None

    @property
    def key(self) -> str:
        """Paper identity: the normalised title (the URL when the title has no letters at all)."""
        return title_key(self.title or "") or (self.url or f"line-{self.line}")


def unescape(text: str) -> str:
    """The text behind Markdown's escapes: the inverse of entry.escape_text (the ampersands it wrote first, as it
    wrote them last), so an entry the service wrote reads back as the title it was given."""
    if "\\" not in text and "&amp;" not in text:
        return text
    return _ESCAPED.sub(r"\1", _ESCAPED_AMPERSAND.sub("&", text))


def parse_date(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of 'Apr. 4, 2025', '4 Apr 2025' or '2025-04-04', (year, month, 0) of 'Apr. 2025' or
    '2025.04', (year, 0, 0) of '2025'; None for anything else, a day the month does not have ('Feb. 30, 2024')
    included."""
    text = text.strip()
    numeric, full = _NUMERIC_DATE.match(text), _FULL_DATE.match(text) or _DAY_FIRST.match(text)
    found = numeric or full or _MONTH_YEAR.match(text)
    if found is None:
        year = _YEAR.match(text)
        return (int(year["year"]), 0, 0) if year else None
    month = int(found["month"]) if numeric else _MONTHS.get(found["month"][:3].casefold())
    day = int(found["day"] or 0) if numeric or full else 0
    try:
        date(int(found["year"]), month or 0, day or 1)
    except ValueError:
        return None
    return (int(found["year"]), month or 0, day)


def date_after(text: str) -> str | None:
    """The date ending `text` (what follows an entry's title link): the text in parentheses there, or a date in brackets
    or after a comma or a dash that reads as one (a whole day, or a month: not a venue's year)."""
    found = date_match(text)
    return found["date"].strip() if found else None


def date_match(text: str) -> re.Match[str] | None:
    """date_after's match in `text`: its group 'date', and around it how the date is set ('(', ', ', '[')."""
    found = _DATE_AT_END.search(text)
    if found:
        return found
    for other in (_DATE_BOXED.search(text), *_DATE_AFTER.finditer(text)):
        parts = parse_date(other["date"]) if other else None
        if other and parts and (parts[1] or other.re is _DATE_BOXED):
            return other
    return None


class DateShape(NamedTuple):
    """How one date is written ('Apr. 4, 2025', '2025.04', 'January 2025'): what a new entry's date copies."""

    separator: str | None  # a date in numbers: '-', '/' or '.'; None where the month is named or the year stands alone
    parts: int  # 3: day, month and year; 2: month and year; 1: the year alone
    padded: bool | None  # a day or month under 10 written with its 0 ('May. 06', '2025-04'); None: no such number
    full_name: bool | None  # the month's whole name ('April'); None where it does not tell ('May', or in numbers)
    dot: bool  # a dot after the month's name ('Apr.')
    comma: bool  # a comma before the year ('Apr. 4, 2025')
    day_first: bool = False  # the day before the month's name ('4 Apr 2025')


def date_shape(text: str) -> DateShape | None:
    """How the date `text` is written; None when it is not a date parse_date reads."""
    text = text.strip()
    if parse_date(text) is None:
        return None
    numeric = _NUMERIC_DATE.match(text)
    if numeric:
        small = [part for part in (numeric["month"], numeric["day"]) if part and int(part) < 10]
        parts = 3 if numeric["day"] else 2
        return DateShape(numeric["sep"], parts, small[0].startswith("0") if small else None, None, False, False)
    named = _FULL_DATE.match(text) or _DAY_FIRST.match(text) or _MONTH_YEAR.match(text)
    if named is None:
        return DateShape(None, 1, None, None, False, False)
    month = named["month"].casefold()
    day = named.groupdict().get("day")
    full_name = None if month == "may" else month in _FULL_NAMES
    padded = day.startswith("0") if day and int(day) < 10 else None
    dot = text[named.end("month") :].startswith(".")
    return DateShape(None, 3 if day else 2, padded, full_name, dot, "," in text, named.re is _DAY_FIRST)


def date_order(earlier: tuple[int, int, int], later: tuple[int, int, int]) -> int:
    """1 when `later` is newer than `earlier`, -1 when older, 0 when the same (only years, when either gives no
    month)."""
    if earlier[1] == 0 or later[1] == 0:
        earlier, later = (earlier[0], 0, 0), (later[0], 0, 0)
    return (later > earlier) - (later < earlier)


def oldest_first(dates: Iterable[tuple[int, int, int] | None]) -> bool:
    """Whether a section's entries run oldest first: more of its dated entries are newer than the dated one above them
    than older. A section with as many of each, or too few dates to tell, is newest first (the usual order)."""
    known = [found for found in dates if found is not None]
    steps = [date_order(above, below) for above, below in pairwise(known)]
    return steps.count(1) > steps.count(-1)


def take_badge(entry: ParsedEntry, badge: re.Match[str]) -> None:
    """A badge read into the entry: the first arXiv badge is its badge, the first star badge its code link, any other
    badge a link it keeps (a list item's line and a table row read them alike)."""
    alt = badge["alt"].casefold()
    if alt == "arxiv" and entry.badge_url is None:
        entry.badge_url = badge["url"]
    elif alt == "star" and entry.code_url is None:
        entry.code_url, entry.star_image = badge["url"], badge["image"]
    else:
        entry.other_links.append(badge["url"])


def parse_entry(lines: list[str], first_line: int, shapes: Sequence[LineShape] | None = None) -> ParsedEntry:
    """The entry on `lines` (its list item's lines), `shapes` their shapes when the list's parse read them already."""
    shapes = read_shapes(lines) if shapes is None else shapes
    entry = ParsedEntry(line=first_line, raw="".join(lines))
    # a sub-list's entry is indented
    head = ENTRY_START.sub("", shaped_head(lines, shapes, 0).strip(" \t\r\n"), count=1)
    head = TASK_BOX.sub("", head, count=1)  # a task list's '[ ]' or '[x]'
    short = _SHORT_NAME.match(head)
    if short and LINK.search(short["short"]):
        short = None  # '**[Title](url)**': the title link in bold
    if short:
        entry.short_name = unescape(short["short"].strip())
        head = head[short.end() :]
    for shape in shapes:
        for badge in shape.badges:
            take_badge(entry, badge)
    plain_head = without_badges(head)
    title_link = first = LINK.search(plain_head)
    authored = shapes[0].authored  # '* Ying et al. **Title**. 2019. [OpenReview](url)': the paper linked after
    if title_link and (authored or (short and _LABEL.match(title_link["text"].strip()))):
        title_link = paper_link(plain_head, list(LINK.finditer(plain_head))) or title_link  # not its [Code]
    if title_link:
        entry.title_markdown = title_link["text"]
        bold = short or _BOLD_BEFORE.search(plain_head[: first.start() if first else 0])
        if bold and _LABEL.match(entry.title_markdown.strip()):
            entry.title_markdown, entry.short_name = bold["short"].strip(), None
        if authored:
            entry.title_markdown = authored_title(plain_head[: title_link.start()]) or entry.title_markdown
        entry.title = " ".join(unescape(entry.title_markdown).split())
        entry.url = link_target(title_link)
        entry.date_text = date_after(plain_head[title_link.end() :])
        entry.date_parts = parse_date(entry.date_text) if entry.date_text is not None else None
    for index, shape in enumerate(shapes):
        links = list(shape.links)
        if index == 0 and title_link:  # the title link is the entry's url, not one of its other links
            taken = next((m for m in links if m.group(0) == title_link.group(0)), links[0] if links else None)
            links = [m for m in links if m is not taken]
        entry.other_links.extend(link_target(m) for m in links)
    return entry
