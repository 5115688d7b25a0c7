"""The awesome-list Markdown, parsed into verbatim pieces: preamble, sections (heading + intro) and entries.

Pure: text in, dataclasses out. Joining `preamble + (intro_raw + entry raws per section) + trailer` gives back
the input byte for byte, which is what lets the service rewrite the maintainers' file without disturbing it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from digest.awesome.blocks import find_headings, hidden_lines, item_end
from digest.awesome.limits import MAX_LIST_BYTES as MAX_LIST_BYTES  # re-exported for awesome_lint
from digest.titles import arxiv_id_from_url, title_key

_ENTRY_START = re.compile(r"^(?P<marker>[+*-])[ \t]+")
_BADGE = re.compile(r"\[!\[(?P<alt>[^\]]*)\]\((?P<image>[^()\s]*)\)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))*)\)")
_LEADING_BADGES = re.compile(rf"^(?:{_BADGE.pattern}[ \t]*)*")
_LINK = re.compile(
    r"(?<!!)\[(?P<text>(?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))*)\)"
)
# The start of a link to somewhere else than this page, however its target is written ('(url "hover text")').
_LINK_OPENING = re.compile(r"\[(?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*\]\((?![ \t]*<?#)")
# What may come before the title link of a '+' entry edited by hand: badges, a **short name**, emoji, emphasis
# ('+ 🔥 *[Title](url)*'); no word outside the short name.
_DECORATION = re.compile(rf"^(?:{_BADGE.pattern}|\*\*(?:\\.|[^*\\])+\*\*|[^\w\[]|_)*")
_SHORT_NAME = re.compile(r"^\*\*(?P<short>(?:\\.|[^*\\])+)\*\*\s*")
_ENTRY_HEAD = re.compile(r"^(?P<marker>[+*-])[ \t]+(?P<short>\*\*(?:\\.|[^*\\])+\*\*\s*)?")
_DATE_AT_END = re.compile(r"\((?P<date>[^()]*)\)\s*$")
_FULL_DATE = re.compile(r"^(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})$")
_YEAR = re.compile(r"^(?P<year>\d{4})$")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# `&amp;` before what reads as an entity: how entry.escape_text keeps a title's "&lt;" from becoming "<".
_ESCAPED_AMPERSAND = re.compile(r"&amp;(?=#?\w+;)")
_BOM = "\ufeff"
_ANCHOR_LINK = re.compile(r"\[[^\[\]]*\]\(#[^()\s]*\)")
_WORD = re.compile(r"\w")
_MONTHS = {
    month: number
    for number, month in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}


class ListFormatError(Exception):
    """The bytes are not an awesome list the service can keep (one line, with a line number when there is one)."""


@dataclass
class Link:
    text: str
    url: str
    line: int


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


@dataclass
class ParsedSection:
    line: int
    level: int
    heading: str  # heading text as written (may hold emoji or mojibake)
    name: str  # readable name: "Sparse Autoencoder"
    intro_raw: str  # (carried text before the heading +) heading line + text before the first entry
    entries: list[ParsedEntry] = field(default_factory=list)
    awaits_entries: bool = False  # no entries yet, no sub-sections and no text: a new section for papers

    @property
    def kind(self) -> str:
        lowered = self.name.casefold()
        for word, kind in (("survey", "surveys"), ("blog", "blog"), ("tool", "tool")):
            if word in lowered:
                return kind
        return "papers" if self.entries or self.awaits_entries else "text"


@dataclass
class ParsedList:
    preamble: str
    sections: list[ParsedSection]
    trailer: str
    links: list[Link]  # every Markdown link in the document, for lint

    def joined(self) -> str:
        parts = [self.preamble]
        for section in self.sections:
            parts.append(section.intro_raw)
            parts.extend(entry.raw for entry in section.entries)
        parts.append(self.trailer)
        return "".join(parts)


def decode_list(data: bytes, source: str) -> str:
    """UTF-8 text of a list file, or one clear line saying why not."""
    if len(data) > MAX_LIST_BYTES:
        raise ListFormatError(
            f"{source}: {len(data):,} bytes is over the {MAX_LIST_BYTES // (1024 * 1024)} MB limit for a list file"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        raise ListFormatError(f"{source}:{line}: not UTF-8 (byte 0x{byte:02x}); save the file as UTF-8") from None
    if "\x00" in text:  # kept verbatim, it could not be stored (PostgreSQL refuses NUL in text) nor shown
        line = text[: text.index("\x00")].count("\n") + 1
        raise ListFormatError(f"{source}:{line}: a NUL character (byte 0x00), which a list cannot hold; remove it")
    return text


def split_lines(text: str) -> list[str]:
    """Lines with their endings; only '\\n' ends a line (str.splitlines also splits on U+2028 and friends)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unescape(text: str) -> str:
    """The text behind Markdown's escapes: the inverse of entry.escape_text (the ampersands it wrote first, as it
    wrote them last), so an entry the service wrote reads back as the title it was given."""
    return _ESCAPED.sub(r"\1", _ESCAPED_AMPERSAND.sub("&", text))


def repair_mojibake(text: str) -> str:
    """UTF-8 read as Mac Roman ('üìö' for 📚) put back; text that is not such mojibake comes back unchanged."""
    try:
        repaired = text.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    return repaired


def section_name(heading: str) -> str:
    """'üìú Sparse Autoencoder ' -> 'Sparse Autoencoder': emoji (real or mojibake), colons and spaces dropped."""
    text = repair_mojibake(heading)
    start = 0
    while start < len(text) and (
        text[start].isspace() or unicodedata.category(text[start])[0] in "SC" or text[start] in "\ufe0f\u200d"
    ):
        start += 1
    return text[start:].strip().rstrip(":").strip() or heading.strip()


def parse_date(text: str) -> tuple[int, int, int] | None:
    text = text.strip()
    full = _FULL_DATE.match(text)
    if full:
        month = _MONTHS.get(full["month"][:3].casefold())
        return (int(full["year"]), month, int(full["day"])) if month else None
    year = _YEAR.match(text)
    return (int(year["year"]), 0, 0) if year else None


def is_entry_line(line: str) -> bool:
    """A list item at column 0 in the list's entry shape: its title link comes first, after an optional **short
    name** and badges ('+ **SAE-V** [Title](url) (Feb. 22, 2025)'). An item with the list's own '+' marker is an
    entry too when only emoji or emphasis come before its first link ('+ 🔥 *[Title](url)*', '+ [Title](url "t")'),
    or when it has a short name but no link: an entry edited by hand, read as one or refused by import in one line,
    never text that drops the paper silently. Other bullets (a News line that links a paper further on, a '+'
    checklist, the table of contents) are text."""
    head = _ENTRY_HEAD.match(line)
    if not head:
        return False
    rest = line[head.end() :]
    title_link = _LINK.match(_LEADING_BADGES.sub("", rest, count=1))
    if title_link:
        return not title_link["url"].startswith("#")
    if head["marker"] != "+":
        return False
    return head["short"] is not None or _LINK_OPENING.match(_DECORATION.sub("", rest, count=1)) is not None


def parse_entry(lines: list[str], first_line: int) -> ParsedEntry:
    entry = ParsedEntry(line=first_line, raw="".join(lines))
    head = _ENTRY_START.sub("", lines[0].rstrip("\r\n"), count=1)
    short = _SHORT_NAME.match(head)
    if short:
        entry.short_name = unescape(short["short"].strip())
        head = head[short.end() :]
    for text in lines:
        for badge in _BADGE.finditer(text):
            alt = badge["alt"].casefold()
            if alt == "arxiv" and entry.badge_url is None:
                entry.badge_url = badge["url"]
            elif alt == "star" and entry.code_url is None:
                entry.code_url, entry.star_image = badge["url"], badge["image"]
            else:
                entry.other_links.append(badge["url"])
    title_link = _LINK.search(_BADGE.sub("", head))
    if title_link:
        entry.title = " ".join(unescape(title_link["text"]).split())
        entry.title_markdown = title_link["text"]
        entry.url = title_link["url"]
        date_match = _DATE_AT_END.search(_BADGE.sub("", head)[title_link.end() :])
        if date_match:
            entry.date_text = date_match["date"].strip()
            entry.date_parts = parse_date(entry.date_text)
    for index, text in enumerate(lines):
        links = list(_LINK.finditer(_BADGE.sub("", text)))
        entry.other_links.extend(m["url"] for m in links[1 if index == 0 and title_link else 0 :])
    return entry


def parse_list(text: str) -> ParsedList:
    """Splits the text into verbatim pieces. Never fails: what is not understood stays as text."""
    # A byte order mark (saved by Windows editors) is no part of the first line: it would hide a heading there.
    bom = _BOM if text.startswith(_BOM) else ""
    lines = split_lines(text[len(bom) :])
    hidden = hidden_lines(lines)
    links: list[Link] = []
    for number, line in enumerate(lines, start=1):
        if not hidden[number - 1]:
            links.extend(Link(m["text"], m["url"], number) for m in _LINK.finditer(_BADGE.sub("", line)))
            links.extend(Link(m["alt"], m["url"], number) for m in _BADGE.finditer(line))
    headings = find_headings(lines, hidden)
    preamble = bom + "".join(lines[: headings[0].index] if headings else lines)
    sections: list[ParsedSection] = []
    carry = ""
    for position, heading in enumerate(headings):
        following = headings[position + 1] if position + 1 < len(headings) else None
        end = following.index if following else len(lines)
        entry_starts = [i for i in range(heading.end, end) if not hidden[i] and is_entry_line(lines[i])]
        intro_end = entry_starts[0] if entry_starts else end
        section = ParsedSection(
            line=heading.index + 1,
            level=heading.level,
            heading=heading.text,
            name=section_name(heading.text),
            intro_raw=carry + "".join(lines[heading.index : intro_end]),
        )
        carry = ""
        for number, entry_start in enumerate(entry_starts):
            entry_end = entry_starts[number + 1] if number + 1 < len(entry_starts) else end
            if number + 1 == len(entry_starts):
                # Text after the section's last entry (a '----' rule) belongs before the next heading, so a
                # new oldest entry can go after the last one without moving that text.
                own_end = item_end(lines, hidden, entry_start, entry_end)
                carry = "".join(lines[own_end:entry_end])
                entry_end = own_end
            section.entries.append(parse_entry(lines[entry_start:entry_end], entry_start + 1))
        has_sub_sections = following is not None and following.level > heading.level
        section.awaits_entries = (
            not entry_starts
            and not has_sub_sections
            and _WORD.search(section.name) is not None
            and _holds_no_text(lines[heading.end : end], hidden[heading.end : end])
        )
        sections.append(section)
    return ParsedList(preamble=preamble, sections=sections, trailer=carry, links=links)


def _holds_no_text(body: list[str], hidden: list[bool]) -> bool:
    """Whether a section's body is nothing but blank lines, rules, comments and links within the page
    ("([Back to Table of Contents](#table-of-contents))"): a new section, waiting for its first entry."""
    visible = [line for line, is_hidden in zip(body, hidden, strict=True) if not is_hidden]
    return not any(_ENTRY_START.match(line) or _WORD.search(_ANCHOR_LINK.sub("", line)) for line in visible)


def parse_bytes(data: bytes, source: str) -> ParsedList:
    """Decodes and parses; refuses what is not an awesome list (no section holds a linked entry)."""
    parsed = parse_list(decode_list(data, source))
    if not any(section.entries for section in parsed.sections):
        raise ListFormatError(f"{source}: not an awesome list: no heading is followed by '+ [Title](url)' entries")
    return parsed
