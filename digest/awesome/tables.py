"""Papers written as the rows of a Markdown table ('| Title | Venue | Date | Code |', as many paper lists keep them):
which lines are such rows, one row read as an entry by its table's header, and a new entry written as a row of its
table. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from digest.awesome.blocks import hidden_lines, split_lines, starts_block
from digest.awesome.parsed_entry import ParsedEntry, parse_date, take_badge, unescape
from digest.awesome.references import with_inline_links
from digest.awesome.shapes import BADGE, LINK, LineShape, link_target, read_shape, without_badges

_DELIMITER = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_CELL_BORDER = re.compile(r"(?<!\\)\|")
_TITLE = re.compile(r"^(?:paper\s+)?(?:title|name)s?$|^papers?$", re.IGNORECASE)
_PAPER_LINK = re.compile(r"^(?:papers?|pdf|arxiv|links?|urls?)$", re.IGNORECASE)
_DATE = re.compile(r"^(?:date|published|time|year|month)$", re.IGNORECASE)
_CODE = re.compile(r"^(?:code|github|repo|repository|implementation)s?$", re.IGNORECASE)
_VENUE = re.compile(r"^(?:venue|conference|journal|publication)$", re.IGNORECASE)
_BOLD = re.compile(r"^(\*\*|__)(?P<text>.+)\1$")
_DATE_AT_END = re.compile(r"(?<!\])\((?P<date>[^()]*)\)\s*$")
_AROUND_NAME = re.compile(r"^[\W_]+|[\W_]+$")  # emphasis, emoji, punctuation: '**📅 Date**'
_NO_VALUE = frozenset({"", "-", "—", "–", "n/a", "/"})


def split_cells(line: str) -> list[str]:
    """The cells of a table line, without the outer pipes and spaces (an escaped '\\|' stays in its cell)."""
    text = line.strip()
    text = text[1:] if text.startswith("|") else text
    text = text[:-1] if text.endswith("|") and not text.endswith("\\|") else text
    return [cell.strip() for cell in _CELL_BORDER.split(text)]


def table_rows(
    lines: Sequence[str], hidden: Sequence[bool], shapes: Sequence[LineShape], start: int, end: int
) -> dict[int, list[str]]:
    """The rows between `start` and `end` of the tables there that link somewhere else than this page (a table of
    contents is no papers) and name a paper in their title column (a row without one goes on with the paper above),
    each with its table's header cells: a table is a header line, a delimiter line ('| --- | :---: |') of as many
    cells, and the lines under them up to a blank line or a line that starts another block."""
    rows: dict[int, list[str]] = {}
    index = start + 1
    while index < end:
        line = lines[index]
        if "|" not in line or hidden[index] or hidden[index - 1] or not _DELIMITER.match(line.rstrip("\r\n")):
            index += 1
            continue
        header = split_cells(lines[index - 1])
        if "|" not in lines[index - 1] or len(header) != len(split_cells(line)):
            index += 1
            continue
        index, title_at = index + 1, _column(header, _TITLE, 0) or 0
        while index < end and lines[index].strip() and not hidden[index] and "|" in lines[index]:
            if starts_block(lines[index]):  # a list item right under the table ends it, as on GitHub
                break
            cells = split_cells(lines[index])
            titled = title_at < len(cells) and cells[title_at].lower() not in _NO_VALUE
            if titled and any(not link_target(link).startswith("#") for link in shapes[index].links):
                rows[index] = header
            index += 1
    return rows


def row_header(before: str, raw: str, targets: Mapping[str, str] | None = None) -> list[str] | None:
    """The header cells of the table whose row the entry `raw` is, `before` being the section's text above it (its
    heading, text, other tables and entries); None when the entry is no row of a table. `targets`: the list's link
    reference definitions (references.definitions), so that a row linking its paper by reference is read as parse
    reads it."""
    lines = split_lines(before + raw)
    hidden = hidden_lines(lines)
    reading = with_inline_links(lines, hidden, targets)
    rows = table_rows(reading, hidden, [read_shape(line) for line in reading], 0, len(lines))
    return rows.get(len(split_lines(before)))


def empty_tables(lines: Sequence[str]) -> set[int]:
    """The header and delimiter lines of the tables in `lines` with no row yet (a blank line, or the end, right under
    the delimiter); a header of links (a table of contents) is none."""
    return {
        at
        for index, line in enumerate(lines[1:], start=1)
        if "|" in line and "|" in lines[index - 1] and "](" not in lines[index - 1] and _DELIMITER.match(line.rstrip())
        if len(split_cells(lines[index - 1])) == len(split_cells(line))
        if index + 1 == len(lines) or not lines[index + 1].strip()
        for at in (index - 1, index)
    }


def empty_table_header(intro: str) -> list[str] | None:
    """The header cells of the table with no row yet that a section's text (`intro`, no entries) ends in, blank lines
    aside: where its first paper goes, as a row."""
    lines = split_lines(intro.rstrip("\r\n \t"))
    return split_cells(lines[-2]) if len(lines) > 1 and empty_tables(lines[-2:]) else None


def empty_table_end(lines: Sequence[str], start: int, end: int) -> int:
    """Where a section's text (`lines[start:end]`, no entries) ends when its last lines, blank lines aside, are a
    table with no row yet: right under that table's delimiter line; else at `end`."""
    last = end
    while last > start and not lines[last - 1].strip():
        last -= 1
    return last if last - start >= 2 and empty_tables(lines[last - 2 : last]) else end


def table_of(intro: str, raws: Sequence[str], index: int, targets: Mapping[str, str] | None = None) -> list[str] | None:
    """The header cells of the table an entry going in at `index` among a section's entries (`raws`, under `intro`)
    is a row of: the table of the entry beside it (the one it goes above, else the last), or in a section with no
    entry yet, the table with no row its text ends in; None where it goes in no table. `targets` as for row_header."""
    if not raws:
        return empty_table_header(intro)
    beside = min(index, len(raws) - 1)
    return row_header(intro + "".join(raws[:beside]), raws[beside], targets)


def is_row(raw: str) -> bool:
    return raw.lstrip(" ").startswith("|")


def column_name(cell: str) -> str:
    """A header cell's name, without the emphasis and emoji around it ('| 📅 **Date** |' -> 'Date')."""
    return _AROUND_NAME.sub("", cell)


def _column(header: Sequence[str], pattern: re.Pattern[str], default: int | None = None) -> int | None:
    return next((index for index, name in enumerate(header) if pattern.match(column_name(name))), default)


def parse_row(lines: list[str], first_line: int, header: Sequence[str]) -> ParsedEntry:
    """A table row read as an entry: its title from the title column (its link, or its text and the row's paper
    link), its date and code link from the columns of those names, its badges as an entry's."""
    entry = ParsedEntry(line=first_line, raw="".join(lines))
    cells = split_cells(lines[0])
    cells += [""] * (len(header) - len(cells))
    title_at = _column(header, _TITLE, 0)
    code_at, date_at = _column(header, _CODE), _column(header, _DATE)
    for badge in BADGE.finditer(lines[0]):
        take_badge(entry, badge)
    links = [list(LINK.finditer(without_badges(cell))) for cell in cells]
    title_links = links[title_at] if title_at is not None and title_at < len(links) else []
    if title_links:
        entry.title_markdown, entry.url = title_links[0]["text"].strip(), link_target(title_links[0])
    elif title_at is not None and title_at < len(cells) and cells[title_at].lower() not in _NO_VALUE:
        paper_at = _column(header, _PAPER_LINK)
        paper = links[paper_at] if paper_at is not None and paper_at != title_at else []
        paper = paper or [link for at, found in enumerate(links) if at != code_at for link in found][:1]
        if not paper and code_at is not None:  # only its code linked: that is the paper's page, as in a list's entry
            paper = links[code_at][:1]
        entry.title_markdown = cells[title_at]
        entry.url = link_target(paper[0]) if paper else None
    if date_at is None and title_at is not None and title_at < len(cells):  # '| Title (May 20, 2025) |', as lint asks
        after = title_links[0].end() if title_links else 0
        dated = _DATE_AT_END.search(without_badges(cells[title_at])[after:])
        if dated and parse_date(dated["date"]) and entry.title_markdown is not None:
            entry.date_text, entry.date_parts = dated["date"].strip(), parse_date(dated["date"])
            entry.title_markdown = entry.title_markdown if title_links else cells[title_at][: dated.start()].strip()
    if entry.title_markdown is not None:
        bold = _BOLD.match(entry.title_markdown)
        entry.title_markdown = bold["text"] if bold else entry.title_markdown
        entry.title = " ".join(unescape(entry.title_markdown).split())
    entry.date_column = column_name(header[date_at]) if date_at is not None else None
    if date_at is not None and date_at < len(cells) and cells[date_at].lower() not in _NO_VALUE:
        entry.date_text = cells[date_at]
        entry.date_parts = parse_date(entry.date_text)
    if code_at is not None and code_at < len(links) and links[code_at] and entry.code_url is None:
        entry.code_url = link_target(links[code_at][0])
    taken = {entry.url, entry.code_url}
    entry.other_links.extend(url for found in links for url in map(link_target, found) if url not in taken)
    return entry


def table_row(header: Sequence[str], *, title: str, url: str, arxiv_url: str | None, date_text: str | None,
              code_url: str | None, dated_titles: bool = False, line_end: str = "\n",
              empty: str | None = None) -> str:  # fmt: skip
    """A new entry as a row of the table under `header`: each column given what its name asks for (escaped already;
    a '|' in them is escaped or encoded here, so it cannot end a cell). In a table without a Date column whose rows
    are dated after their titles (`dated_titles`: '| [Title](url) (May 20, 2025) |'), the date goes there too. A cell it
    has nothing for is written `empty` (empty_cell: as the rows beside it leave theirs), else ' - '."""
    title_at = _column(header, _TITLE, 0)
    dated_title = dated_titles and date_text is not None and _column(header, _DATE) is None
    title = title.replace("|", "\\|")
    url = url.replace("|", "%7C")
    arxiv_url, code_url = (link.replace("|", "%7C") if link else None for link in (arxiv_url, code_url))

    def cell(index: int, name: str) -> str:
        name = column_name(name)
        if index == title_at:
            return f"[{title}]({url}) ({date_text})" if dated_title else f"[{title}]({url})"
        if _DATE.match(name):
            return date_text or "-"
        if _CODE.match(name):
            return f"[Code]({code_url})" if code_url else "-"
        if _PAPER_LINK.match(name):
            return f"[arXiv]({arxiv_url})" if arxiv_url else f"[Paper]({url})"
        if _VENUE.match(name):
            return "arXiv" if arxiv_url else "-"
        return ""

    cells = [cell(index, name) for index, name in enumerate(header)]
    written = [empty if empty is not None and text in ("", "-") else f" {text} " for text in cells]
    return "|" + "|".join(written) + "|" + line_end


def empty_cell(raws: Sequence[str]) -> str | None:
    """How most of the rows `raws` write a cell they have nothing for, as written between its pipes (' ', '', ' - ',
    ' — '); None where they have no such cell."""
    found: dict[str, int] = {}
    for raw in raws:
        text = raw.strip()
        if not text.startswith("|") or not text.endswith("|") or text.endswith("\\|"):
            continue  # a row without its outer pipes: its first and last cells' spaces are not its own
        for cell in _CELL_BORDER.split(text[1:-1]):
            if cell.strip().lower() in _NO_VALUE:
                found[cell] = found.get(cell, 0) + 1
    return max(found, key=lambda cell: found[cell]) if found else None
