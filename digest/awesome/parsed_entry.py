"""One entry of the list read from its lines (pure): which list item is an entry, and its short name, title link,
date, badges and other links (`ParsedEntry`), with the Markdown link, badge and escape patterns they are written in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from digest.titles import arxiv_id_from_url, title_key

# A list item's start: a bullet, or a number of an ordered list ('1. [Title](url)').
ENTRY_START = re.compile(r"^(?P<marker>[+*-]|(?P<number>[0-9]{1,9})[.)])[ \t]+")
BADGE = re.compile(r"\[!\[(?P<alt>[^\]]*)\]\((?P<image>[^()\s]*)\)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))*)\)")
_LEADING_BADGES = re.compile(rf"^(?:{BADGE.pattern}[ \t]*)*")
# A link as CommonMark writes it: its target bare or in <...>, and a hover title after it ('(url "Title")').
LINK = re.compile(
    r"(?<!!)\[(?P<text>(?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*)\]\([ \t]*"
    r"(?P<url><[^<>\n]*>|(?:[^()\s]|\([^()\s]*\))*)"
    r"""(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*\)"""
)
# The start of a link to somewhere else than this page, however its target is written ('(url "hover text")').
_LINK_OPENING = re.compile(r"\[(?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*\]\((?![ \t]*<?#)")
# What may come before the title link of a '+' entry edited by hand: badges, a **short name**, emoji, emphasis
# ('+ 🔥 *[Title](url)*'); no word outside the short name.
# A venue or year tag before the title is decoration too: '[ICLR 2024]' (no link), '`NeurIPS 2021`', '(AAAI 2021)';
# not a task list's '[ ]' or '[x]', nor words in parentheses ('(optional) [Open an issue](...)' is prose).
_DECORATION = re.compile(
    rf"^(?:{BADGE.pattern}|\*\*(?:\\.|[^*\\])+\*\*|\[[^\[\]]{{2,}}\](?!\()|`[^`]*`|\([^()]*[0-9][^()]*\)|[^\w\[]|_)*"
)
_SHORT_NAME = re.compile(r"^\*\*(?P<short>(?:\\.|[^*\\])+)\*\*\s*")
_BOLD_BEFORE = re.compile(r"\*\*(?P<short>(?:\\.|[^*\\])+)\*\*\s*$")
_ENTRY_HEAD = re.compile(r"^(?P<marker>[+*-]|[0-9]{1,9}[.)])[ \t]+(?P<short>\*\*(?:\\.|[^*\\])+\*\*\s*)?")
# Link text that names what the link leads to, not the paper ('- **Title** [[Paper]](url) [[Code]](url)', the way
# many paper lists write entries): the bold text before it is then the paper's title.
_LABEL = re.compile(
    r"^\[.*\]$|^(?:paper|pdf|arxiv|abs|link|html|openreview|project|project page|page|website|blog|code|github)$",
    re.IGNORECASE | re.DOTALL,
)
# The date in parentheses ending the line, not the target of a link there ("[[Code]](https://...)").
_DATE_AT_END = re.compile(r"(?<!\])\((?P<date>[^()]*)\)\s*$")
_FULL_DATE = re.compile(r"^(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})$")
_YEAR = re.compile(r"^(?P<year>\d{4})$")
# '2024-01-05' (or with '/' or '.'), and the month alone: '2024-01', '2024.01', 'Jan. 2024'.
_NUMERIC_DATE = re.compile(r"^(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?:(?P=sep)(?P<day>\d{1,2}))?$")
_MONTH_YEAR = re.compile(r"^(?P<month>[A-Za-z]+)\.?,?\s+(?P<year>\d{4})$")
# A line that cannot go on with the paragraph above it (a blank line, a new list item, a heading, HTML, a quote).
_NOT_CONTINUATION = re.compile(r"^\s*$|^ {0,3}(?:[-+*][ \t]|\d{1,9}[.)][ \t]|[>#<]|```|~~~)")
_WRAPPED_LINES = 4  # how many lines a wrapped title may run on to (an editor that wraps at 80 columns needs two)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# `&amp;` before what reads as an entity: how entry.escape_text keeps a title's "&lt;" from becoming "<".
_ESCAPED_AMPERSAND = re.compile(r"&amp;(?=#?\w+;)")
_MONTHS = {
    month: number
    for number, month in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}


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

    @property
    def arxiv_id(self) -> str | None:
        return arxiv_id_from_url(self.url) if self.url else None

    @property
    def badge_arxiv_id(self) -> str | None:
        return arxiv_id_from_url(self.badge_url) if self.badge_url else None

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


def link_target(link: re.Match[str]) -> str:
    """The address a LINK match points at, without the <...> it may be written in."""
    url = link["url"]
    return url[1:-1] if url.startswith("<") and url.endswith(">") else url


def unescape(text: str) -> str:
    """The text behind Markdown's escapes: the inverse of entry.escape_text (the ampersands it wrote first, as it
    wrote them last), so an entry the service wrote reads back as the title it was given."""
    return _ESCAPED.sub(r"\1", _ESCAPED_AMPERSAND.sub("&", text))


def parse_date(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of 'Apr. 4, 2025' or '2025-04-04', (year, month, 0) of 'Apr. 2025' or '2025.04', (year, 0, 0)
    of '2025'; None for anything else, a day the month does not have ('Feb. 30, 2024') included."""
    text = text.strip()
    numeric, full, month_year = _NUMERIC_DATE.match(text), _FULL_DATE.match(text), _MONTH_YEAR.match(text)
    found = numeric or full or month_year
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


def iso_dates(texts: Iterable[str | None]) -> bool:
    """Whether most of these dates are written '2025-04-04' (the way a new entry's date is then written too)."""
    dated = [text for text in texts if text and parse_date(text)]
    return sum(bool(_NUMERIC_DATE.match(text.strip())) for text in dated) * 2 > len(dated)


def item_head(lines: list[str], start: int = 0, end: int | None = None) -> str:
    """The text an item's title link is read from: its first line, or, when the link text is wrapped onto the lines
    under it by an editor ('+ [A long title that' / '  wraps](url) (date)'), the first line and those lines up to the
    one where the link closes, as GitHub reads them (one paragraph)."""
    head = lines[start]
    marker = _ENTRY_HEAD.match(head)
    rest = head[marker.end() :] if marker else ""
    if "[" not in rest or LINK.search(BADGE.sub("", rest)):
        return head
    for line in lines[start + 1 : min(len(lines) if end is None else end, start + _WRAPPED_LINES)]:
        if _NOT_CONTINUATION.match(line):
            break
        head += line
        if LINK.search(BADGE.sub("", head)):
            return head
    return lines[start]


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


def _title_first(line: str) -> tuple[re.Match[str], str] | None:
    """The item's marker match and what follows its optional **short name** (a bold title link, '**[Title](url)**',
    is no short name: the link is the title), or None for a line that is no list item."""
    head = _ENTRY_HEAD.match(line)
    if not head:
        return None
    if head["short"] and LINK.search(head["short"]):
        return head, line[len(head["marker"]) :].lstrip(" \t")[2:]
    return head, line[head.end() :]


def marker_kind(marker: str) -> str:
    """'+', '-' or '*', and '1.' or '1)' for any number of an ordered list."""
    return marker if marker in ("+", "-", "*") else "1" + marker[-1]


def entry_marker(line: str) -> str | None:
    """The marker kind of an item that links somewhere and reads as an entry when its marker is the list's own."""
    head = _ENTRY_HEAD.match(line)
    if head is None or _LINK_OPENING.search(line) is None:
        return None
    kind = marker_kind(head["marker"])
    return kind if is_entry_line(line, kind) else None


def is_entry_line(line: str, own_marker: str = "+") -> bool:
    """A list item at column 0 in the list's entry shape: its title link comes first, after an optional **short
    name** and badges ('+ **SAE-V** [Title](url) (Feb. 22, 2025)'), or in bold ('- **[Title](url)**'). An item with
    the list's own marker (the one most of its entries are written with) is an entry too when only emoji or emphasis
    come before its first link ('+ 🔥 *[Title](url)*'), or when it has a short name but no link: an entry edited by
    hand, read as one or refused by import in one line, never text that drops the paper silently. Other bullets (a
    News line that links a paper further on, a '+' checklist, the table of contents) are text."""
    found = _title_first(line)
    if not found:
        return False
    head, rest = found
    title_link = LINK.match(_LEADING_BADGES.sub("", rest, count=1))
    if title_link:
        return not link_target(title_link).startswith("#")
    if marker_kind(head["marker"]) != own_marker:
        return False
    return head["short"] is not None or _LINK_OPENING.match(_DECORATION.sub("", rest, count=1)) is not None


def parse_entry(lines: list[str], first_line: int) -> ParsedEntry:
    entry = ParsedEntry(line=first_line, raw="".join(lines))
    head = ENTRY_START.sub("", item_head(lines).strip(" \t\r\n"), count=1)  # a sub-list's entry is indented
    short = _SHORT_NAME.match(head)
    if short and LINK.search(short["short"]):
        short = None  # '**[Title](url)**': the title link in bold
    if short:
        entry.short_name = unescape(short["short"].strip())
        head = head[short.end() :]
    for text in lines:
        for badge in BADGE.finditer(text):
            alt = badge["alt"].casefold()
            if alt == "arxiv" and entry.badge_url is None:
                entry.badge_url = badge["url"]
            elif alt == "star" and entry.code_url is None:
                entry.code_url, entry.star_image = badge["url"], badge["image"]
            else:
                entry.other_links.append(badge["url"])
    title_link = LINK.search(BADGE.sub("", head))
    if title_link:
        entry.title_markdown = title_link["text"]
        bold = short or _BOLD_BEFORE.search(BADGE.sub("", head)[: title_link.start()])
        if bold and _LABEL.match(title_link["text"].strip()):
            entry.title_markdown, entry.short_name = bold["short"].strip(), None
        entry.title = " ".join(unescape(entry.title_markdown).split())
        entry.url = link_target(title_link)
        date_match = _DATE_AT_END.search(BADGE.sub("", head)[title_link.end() :])
        if date_match:
            entry.date_text = date_match["date"].strip()
            entry.date_parts = parse_date(entry.date_text)
    for index, text in enumerate(lines):
        links = list(LINK.finditer(BADGE.sub("", text)))
        entry.other_links.extend(link_target(m) for m in links[1 if index == 0 and title_link else 0 :])
    return entry
