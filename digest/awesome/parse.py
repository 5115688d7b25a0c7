"""The awesome-list Markdown, parsed into verbatim pieces: preamble, sections (heading + intro) and entries.

Pure: text in, dataclasses out. Joining `preamble + (intro_raw + entry raws per section) + trailer` gives back
the input byte for byte, which is what lets the service rewrite the maintainers' file without disturbing it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from digest.awesome.blocks import find_headings, hidden_lines, item_end, starts_block
from digest.awesome.blocks import split_lines as split_lines
from digest.awesome.headings import repair_mojibake as repair_mojibake
from digest.awesome.headings import section_name as section_name
from digest.awesome.limits import MAX_LIST_BYTES as MAX_LIST_BYTES  # re-exported for awesome_lint

# One entry's reading lives in parsed_entry.py; its names are importable from here as before.
from digest.awesome.parsed_entry import ENTRY_START, link_target
from digest.awesome.parsed_entry import ParsedEntry as ParsedEntry
from digest.awesome.parsed_entry import date_order as date_order
from digest.awesome.parsed_entry import is_entry_line as is_entry_line
from digest.awesome.parsed_entry import oldest_first as oldest_first
from digest.awesome.parsed_entry import parse_date as parse_date
from digest.awesome.parsed_entry import parse_entry as parse_entry
from digest.awesome.parsed_entry import unescape as unescape
from digest.awesome.references import with_inline_links
from digest.awesome.shapes import LineShape, own_item, read_shape, starts_entry
from digest.awesome.tables import empty_table_end, empty_tables, parse_row, table_rows
from digest.sizes import shown_size

_BOM = "\ufeff"
_ANCHOR_LINK = re.compile(r"\[[^\[\]]*\]\(#[^()\s]*\)")
_WORD = re.compile(r"\w")


class ListFormatError(Exception):
    """The bytes are not an awesome list the service can keep (one line, with a line number when there is one)."""


@dataclass
class Link:
    text: str
    url: str
    line: int


@dataclass
class ParsedSection:
    line: int
    level: int
    heading: str  # heading text as written (may hold emoji or mojibake)
    name: str  # readable name: "Sparse Autoencoder"
    intro_raw: str  # (carried text before the heading +) heading line + text before the first entry
    entries: list[ParsedEntry] = field(default_factory=list)
    awaits_entries: bool = False  # no entries yet, no sub-sections and no text: a new section for papers
    html_heading: bool = False  # headed in HTML ('<h2>Papers</h2>'): GitHub gives it no anchor of its own

    @property
    def kind(self) -> str:
        lowered = self.name.casefold()
        for word, kind in (("survey", "surveys"), ("blog", "blog"), ("tool", "tool")):
            if word in lowered:
                return kind
        return "papers" if self.entries or self.awaits_entries else "text"


# The kind of paper a section of each kind holds (ParsedSection.kind); a section of papers holds a "paper".
PAPER_KIND = {"surveys": "survey", "blog": "blog", "tool": "tool"}


@dataclass
class ParsedList:
    preamble: str
    sections: list[ParsedSection]
    trailer: str
    links: list[Link]  # every Markdown link in the document, for lint

    @property
    def sections_with_entries(self) -> int:
        """The sections as a maintainer counts them, and the list page shows them: those holding entries; a heading
        over text alone (the title, News, Table of Contents, a parent heading like Papers) is none."""
        return sum(1 for section in self.sections if section.entries)

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
            f"{source}: {shown_size(len(data))} is over the {shown_size(MAX_LIST_BYTES)} limit for a list file"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = len(split_lines(data[: exc.start].decode("utf-8") + "?"))
        byte = data[exc.start]
        raise ListFormatError(f"{source}:{line}: not UTF-8 (byte 0x{byte:02x}); save the file as UTF-8") from None
    if "\x00" in text:  # kept verbatim, it could not be stored (PostgreSQL refuses NUL in text) nor shown
        line = len(split_lines(text[: text.index("\x00") + 1]))
        raise ListFormatError(f"{source}:{line}: a NUL character (byte 0x00), which a list cannot hold; remove it")
    return text


def parse_list(text: str) -> ParsedList:
    """Splits the text into verbatim pieces. Never fails: what is not understood stays as text."""
    # A byte order mark (saved by Windows editors) is no part of the first line: it would hide a heading there.
    bom = _BOM if text.startswith(_BOM) else ""
    lines = split_lines(text[len(bom) :])
    hidden = hidden_lines(lines)
    # The lines entries are read from: a link by reference ('[Title][sae]') as the inline link it stands for.
    reading = with_inline_links(lines, hidden)
    # Each line is read once: the questions below (the list's marker, the entries' starts, the entries) reuse it.
    shapes = [read_shape(line) for line in reading]
    links: list[Link] = []
    for number, (shape, is_hidden) in enumerate(zip(shapes, hidden, strict=True), start=1):
        if not is_hidden:
            links.extend(Link(m["text"], link_target(m), number) for m in shape.links)
            links.extend(Link(m["alt"], m["url"], number) for m in shape.badges)
    headings = find_headings(lines, hidden)
    own_marker = _own_marker(shapes, hidden)
    preamble = bom + "".join(lines[: headings[0].index] if headings else lines)
    sections: list[ParsedSection] = []
    carry, shaped = "", Shaped(reading, shapes, hidden)
    for position, heading in enumerate(headings):
        following = headings[position + 1] if position + 1 < len(headings) else None
        end = following.index if following else len(lines)
        entry_starts = _entry_starts(shaped, heading.end, end, own_marker)
        rows = table_rows(reading, hidden, shapes, heading.end, end)  # papers in a table: '| [Title](url) | 2024 |'
        if rows:
            entry_starts = sorted({*entry_starts, *rows})
        # A table with no row yet ends the section's own text: its first paper goes right under it, as a row.
        intro_end = entry_starts[0] if entry_starts else empty_table_end(lines, heading.end, end)
        section = ParsedSection(
            line=heading.index + 1,
            level=heading.level,
            heading=heading.text,
            name=section_name(heading.text),
            intro_raw=carry + "".join(lines[heading.index : intro_end]),
            html_heading=heading.html,
        )
        carry = "".join(lines[intro_end:end]) if not entry_starts else ""
        for number, entry_start in enumerate(entry_starts):
            entry_end = entry_starts[number + 1] if number + 1 < len(entry_starts) else end
            if number + 1 == len(entry_starts):
                # Text after the section's last entry (a '----' rule) belongs before the next heading, so a
                # new oldest entry can go after the last one without moving that text.
                own_end = item_end(lines, hidden, entry_start, entry_end)
                carry = "".join(lines[own_end:entry_end])
                entry_end = own_end
            section.entries.append(_read_entry(shaped, lines, rows, entry_start, entry_end))
        has_sub_sections = following is not None and following.level > heading.level
        section.awaits_entries = (
            not entry_starts
            and not has_sub_sections
            and _WORD.search(section.name) is not None
            and _holds_no_text(lines[heading.end : end], hidden[heading.end : end])
        )
        sections.append(section)
    return ParsedList(preamble=preamble, sections=sections, trailer=carry, links=links)


@dataclass(frozen=True)
class Shaped:
    """The list's lines with each one's shape and whether it is code or comment."""

    lines: list[str]
    shapes: list[LineShape]
    hidden: list[bool]


def _read_entry(shaped: Shaped, lines: list[str], rows: dict[int, list[str]], start: int, end: int) -> ParsedEntry:
    """The entry (a row of a table, or a list item) on the lines from `start` to `end`, read from `shaped`, whose links
    by reference are inline; its text as written (`lines`), references kept."""
    read = shaped.lines[start:end]
    if start in rows:
        entry = parse_row(read, start + 1, rows[start])
    else:
        entry = parse_entry(read, start + 1, shaped.shapes[start:end])
    entry.raw = "".join(lines[start:end])
    return entry


def _entry_starts(shaped: Shaped, start: int, end: int, own_marker: str) -> list[int]:
    """The lines that start entries: items at the first column in the entry shape, and the items of a sub-list under
    a category bullet, an item that links nowhere ('- **Vision**' over '  - [Title](url)'): GitHub shows those papers
    as the others. A sub-list under an entry ('  - [Code](url)') is that entry's."""
    lines, shapes, hidden = shaped.lines, shaped.shapes, shaped.hidden
    starts: list[int] = []
    category = False
    for index in range(start, end):
        line = lines[index]
        if hidden[index] or not line.strip():
            continue
        if line[0] in " \t":
            # a sub-list's entry under a category bullet, or an entry typed a space or three in
            if _sub_entry(line, shapes[index], own_marker) if category else own_item(lines, index, start, own_marker):
                starts.append(index)
            continue
        if category and lines[index - 1].strip() and not hidden[index - 1] and not starts_block(line):
            continue  # a note under a sub-list's entry, unindented: that entry's text (GitHub's lazy continuation)
        shape = shapes[index]
        category = shape.marker is not None and not shape.raw_link and _opens_sub_entries(shaped, index, end)
        if not category and starts_entry(lines, shapes, index, end, own_marker):
            starts.append(index)
    return _with_task_papers(shaped, starts, start, end)


def _with_task_papers(shaped: Shaped, starts: list[int], start: int, end: int) -> list[int]:
    """`starts` with the task list's items that link a page off arXiv ('- [ ] [Title](https://openreview.net/...)'),
    where the section's task items linking arXiv make it a task list of papers (GitHub shows them alike); in a to-do
    list ('- [ ] [Add your paper](...)') they stay text."""
    if not any(shaped.shapes[index].task for index in starts):
        return starts
    tasks = (index for index in range(start, end) if shaped.shapes[index].task and not shaped.hidden[index])
    return sorted({*starts, *tasks})


def _sub_entry(line: str, shape: LineShape, own_marker: str) -> bool:
    return shape.raw_link and read_shape(line.lstrip(" \t")).is_entry(own_marker)


def _opens_sub_entries(shaped: Shaped, index: int, end: int) -> bool:
    """Whether the next line with text under line `index` is an indented entry (the item is a category bullet)."""
    following = next((number for number in range(index + 1, end) if shaped.lines[number].strip()), None)
    if following is None:
        return False
    line = shaped.lines[following]
    return line[:1] in (" ", "\t") and _sub_entry(line, shaped.shapes[following], "")


def _own_marker(shapes: list[LineShape], hidden: list[bool]) -> str:
    """The bullet most of the list's entries are written with ('+' when none is); an item written authors first counts
    only in a list with no item that links its title first."""
    shown = [shape for shape, is_hidden in zip(shapes, hidden, strict=True) if not is_hidden]
    markers = Counter(shape.entry_marker for shape in shown)
    markers.pop(None, None)
    if not markers:  # a list whose entries are all written authors or title first, the paper linked after
        markers = Counter(shape.authored_marker for shape in shown)
        markers.pop(None, None)
    return str(markers.most_common(1)[0][0]) if markers else "+"


def _holds_no_text(body: list[str], hidden: list[bool]) -> bool:
    """Whether a section's body is nothing but blank lines, rules, comments, links within the page ("([Back to Table
    of Contents](#table-of-contents))") and a table's header with no row: a new section, waiting for its first entry."""
    frames = empty_tables(body)
    visible = [line for at, line in enumerate(body) if not hidden[at] and at not in frames]
    return not any(ENTRY_START.match(line) or _WORD.search(_ANCHOR_LINK.sub("", line)) for line in visible)


def parse_bytes(data: bytes, source: str) -> ParsedList:
    """Decodes and parses; refuses what is not an awesome list (no section holds a linked entry)."""
    text = decode_list(data, source)
    parsed = parse_list(text)
    if not any(section.entries for section in parsed.sections):
        raise ListFormatError(f"{source}: {not_a_list(text)}")
    return parsed


def not_a_list(text: str) -> str:
    """Why `text`, in which no heading is followed by an entry, is no awesome list: the entry layouts read, written
    with the bullet most of its list items linking off the page have (its own: '*', '1.'; else any item's, else '+')."""
    lines = split_lines(text)
    shapes = [read_shape(line) for line, hidden in zip(lines, hidden_lines(lines), strict=True) if not hidden]
    shown = [shape for shape in shapes if shape.marker is not None]
    items = Counter(shape.marker for shape in shown if shape.links_out) or Counter(shape.marker for shape in shown)
    bullet = str(items.most_common(1)[0][0]) if items else "+"
    layouts = f"'{bullet} [Title](url)' or '{bullet} Authors. **Title**. [paper](url)'"
    return f"not an awesome list: no heading is followed by entries such as {layouts}"


SECTION_NAME_MAX = 200  # models.Section.name is String(200)


def check_storable(parsed: ParsedList, source: str) -> None:
    """Raises ListFormatError for what the database cannot hold: an over-long heading, an entry without a link."""
    for checked_section in parsed.sections:
        if len(checked_section.name) > SECTION_NAME_MAX:  # PostgreSQL would refuse it; SQLite would store it
            raise ListFormatError(
                f"{source}: heading {checked_section.name[:60]!r}... is over {SECTION_NAME_MAX} characters; shorten it"
            )
        for checked in checked_section.entries:
            if checked.title is None or checked.url is None:
                raise ListFormatError(
                    f"{source}:{checked.line}: entry has no [Title](url) link; fix it (see `digest list lint`)"
                )
