"""A new entry written as its section writes its own: line ends, bullet or number, indentation, date. Pure: over
the raw text of the section's entries."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from itertools import pairwise
from typing import NamedTuple

from digest.awesome.parse import split_lines
from digest.awesome.parsed_entry import ENTRY_START, MONTH_NAMES, DateShape, date_match, date_shape, marker_kind
from digest.awesome.shapes import TASK_BOX


class ListHabits(NamedTuple):
    """What the list's entries carry besides the title link, each kept in a new entry where most entries carry it (a
    list with no entries yet: everything the entry template writes)."""

    short_names: bool  # '**SARA** [SARA: ...](...)'
    arxiv_badges: bool  # the arXiv badge line under the title
    dates: bool  # '(Apr. 4, 2025)' after the title


def list_habits(entries: int, short_names: int, arxiv_badges: int, dates: int) -> ListHabits:
    """The habits of a list of `entries` entries, of which the others counts carry each part."""
    if not entries:
        return ListHabits(True, True, True)
    return ListHabits(short_names * 2 > entries, arxiv_badges * 2 > entries, dates * 2 > entries)


def entries_habits(carried: Sequence[tuple[str | None, str | None, str | None]]) -> ListHabits:
    """The habits of entries each carrying (or not: None) a short name, an arXiv badge's ID and the text in parentheses
    after its title, a date only when it reads as one (not a venue: '(ICLR 2024)')."""
    names, badges = (sum(entry[part] is not None for entry in carried) for part in range(2))
    return list_habits(len(carried), names, badges, sum(date_shape(entry[2] or "") is not None for entry in carried))


# 'Apr. 4, 2025': the bundled list's way, for a list that writes no date yet.
_DEFAULT_SHAPE = DateShape(None, 3, False, False, True, True)


def date_text(published: date | None, written: Sequence[str | None]) -> str | None:
    """The new entry's date as most of `written` (the section's dates, else the list's) are written: in numbers or
    with the month named ('2025-04-04', '2025.04', 'Apr. 4, 2025', '4 Apr 2025', 'April 2025', '2025'), and in their
    details."""
    if published is None:
        return None
    return _written_as(published, _usual_shape([shape for text in written if text and (shape := date_shape(text))]))


def _usual_shape(shapes: Sequence[DateShape]) -> DateShape:
    """The most common way of the `shapes` (in numbers, or the month named; with a day or not), and in it the details
    most of those that show one have (its 0s, the month's whole name, a dot, a comma)."""
    if not shapes:
        return _DEFAULT_SHAPE
    separator, parts = Counter((shape.separator, shape.parts) for shape in shapes).most_common(1)[0][0]
    alike = [shape for shape in shapes if (shape.separator, shape.parts) == (separator, parts)]

    def most(values: Sequence[bool | None], default: bool, told_by: int = 1) -> bool:
        told = [value for value in values if value is not None]
        return sum(told) * 2 > len(told) if len(told) >= told_by else default

    # Only a day or month under 10 tells a 0, and one such date ('Oct. 09, 2024' among 'Apr. 28, 2025' and 'Aug. 27,
    # 2023') is a slip as often as a habit: it takes two. Numbers are '2025-04-04' unless told otherwise.
    padded = most([shape.padded for shape in alike], separator is not None, told_by=2)
    full_name = most([shape.full_name for shape in alike], False)
    return DateShape(separator, parts, padded, full_name, most([s.dot for s in alike], False),
                     most([s.comma for s in alike], False), most([s.day_first for s in alike], False))  # fmt: skip


def _written_as(day: date, shape: DateShape) -> str:
    if shape.parts == 1:
        return str(day.year)
    month, number = (f"{day.month:02d}", f"{day.day:02d}") if shape.padded else (str(day.month), str(day.day))
    if shape.separator is not None:
        numbers = (str(day.year), month, number)[: shape.parts]
        return shape.separator.join(numbers)
    name = MONTH_NAMES[day.month - 1]
    name = (name if shape.full_name else name[:3]) + ("." if shape.dot else "")
    comma = "," if shape.comma else ""
    if shape.parts == 2:
        return f"{name}{comma} {day.year}"
    return f"{number} {name}{comma} {day.year}" if shape.day_first else f"{name} {number}{comma} {day.year}"


def in_section_style(lines: str, raws: Sequence[str], index: int, *, line_end: str, bullets: Sequence[str]) -> str:
    """`lines` (a new entry as the template writes it) as the entry going in at `index` among `raws` (the section's
    entries) is written: with `line_end`; the marker, the line breaks and the date's emphasis of `bullets` (the
    section's entries, else the list's); and the indentation and outer pipes of the entry beside it (a sub-list under
    a category bullet, a table's row)."""
    lines = _with_breaks(_with_date_frame(lines, date_frame(bullets)), line_break(bullets))
    if raws and lines.startswith("| ") and not raws[min(index, len(raws) - 1)].lstrip(" ").startswith("|"):
        lines = _without_outer_pipes(lines)  # a row among rows written 'Title | Date', without '|' at either end
    if line_end != "\n":  # a list saved with Windows (CRLF) or old Mac (CR) line ends keeps them in its new entries
        lines = lines.replace("\r\n", "\n").replace("\n", line_end)
    lines = _with_marker(lines, raws, index, bullets)
    lines = _with_continuation_indent(lines, bullets)
    if raws:
        beside = raws[min(index, len(raws) - 1)]
        indent = beside[: len(beside) - len(beside.lstrip(" \t"))]
        lines = "".join(indent + line if line.strip() else line for line in split_lines(lines))
    return lines


def _with_continuation_indent(lines: str, bullets: Sequence[str]) -> str:
    """`lines` with the indentation of the lines under the first (the template's two spaces before the badge line)
    that most of `bullets` with such lines use under theirs (a tab, four spaces)."""
    found = []
    for raw in bullets:
        own = split_lines(raw)
        start = own[0][: len(own[0]) - len(own[0].lstrip(" \t"))]
        under = next((line for line in own[1:] if line.strip() and line.startswith(start)), None)
        if under is not None and (indent := under[len(start) : len(under) - len(under.lstrip(" \t"))]):
            found.append(indent)
    if not found:
        return lines
    indent = Counter(found).most_common(1)[0][0]
    first, *rest = split_lines(lines)
    return first + "".join(indent + line[2:] if line.startswith("  ") else line for line in rest)


def _with_marker(lines: str, raws: Sequence[str], index: int, bullets: Sequence[str]) -> str:
    """The marker the section's entries are written with (GitHub starts a new list at another bullet): its bullet,
    or in a numbered list the number of the entry it goes above, else the last one's next (GitHub numbers an ordered
    list from its first item, so the list reads on in order; no other line changes); the space (or tab) after it most
    of them have; and a checkbox after that (an empty one, '[ ] ') where most of them are a task list's items, else
    none."""
    written = ENTRY_START.match(lines)
    texts = (raw.lstrip(" \t") for raw in bullets)
    found = [(match, text) for text in texts if (match := ENTRY_START.match(text))]
    if written is None or not found:
        return lines
    boxed = sum(TASK_BOX.match(text[match.end() :]) is not None for match, text in found) * 2 > len(found)
    gap = Counter(text[match.end("marker") : match.end()] for match, text in found).most_common(1)[0][0]
    rest = lines[written.end() :]  # what follows the marker and the space after it
    if boxed and not TASK_BOX.match(rest):
        rest = "[ ] " + rest
    elif not boxed:  # an entry moved out of a task list leaves its box behind, as its new neighbours have none
        rest = TASK_BOX.sub("", rest, count=1)
    rest = gap + rest
    kind = Counter(marker_kind(match["marker"]) for match, _ in found).most_common(1)[0][0]
    if kind[0].isdigit():
        numbers = [m["number"] if m else None for m in (ENTRY_START.match(raw.lstrip(" \t")) for raw in raws)]
        below = numbers[index] if index < len(numbers) else None
        above = numbers[index - 1] if 0 < index <= len(numbers) else None
        kind = f"{below or int(above or 0) + 1}{kind[-1]}"
    return kind + rest


# A line break forced at a line's end, GitHub showing the next line under it: two spaces or more, a '\\' or '<br>'.
_FORCED_BREAK = re.compile(r"(?: {2,}|\\|<br\s*/?>)$", re.IGNORECASE)


def line_break(raws: Sequence[str]) -> str:
    """The break most of the entries' lines end in where another of their lines follows ('  ', '\\', '<br>': a
    badge line shown under its title), or '' where most end in none."""
    breaks: list[str] = []
    for raw in raws:
        for line, following in pairwise(line.rstrip("\r\n") for line in split_lines(raw)):
            if following.strip() and line.strip():
                found = _FORCED_BREAK.search(line)
                breaks.append(found[0] if found else "")
    usual = Counter(breaks).most_common(1)
    return usual[0][0] if usual and usual[0][1] * 2 > len(breaks) else ""


def _with_breaks(lines: str, brk: str) -> str:
    """`lines` with `brk` ending each line another follows, where none ends it yet."""
    if not brk:
        return lines
    kept = []
    for line, following in pairwise([*split_lines(lines), ""]):
        text = line.rstrip("\r\n")
        if following.strip() and text.strip() and not _FORCED_BREAK.search(text):
            line = text + brk + line[len(text) :]
        kept.append(line)
    return "".join(kept)


# A date in parentheses ending a new entry's first line, as the template writes it.
_TEMPLATE_DATE = re.compile(r"[ \t]+\((?P<date>[^()]*)\)(?=[ \t]*$)")
_PLAIN_FRAME = (" (", ")")


def date_frame(raws: Sequence[str]) -> tuple[str, str]:
    """How most of the entries' dates are set after their title, the space before included: in parentheses (' (', ')'),
    in italics or bold or a code span (' *(', ')*'), in brackets (' [', ']'), after a comma or a dash (', ', '');
    in parentheses where most are set no way read."""
    found = []
    for raw in raws:
        line = _FORCED_BREAK.sub("", split_lines(raw)[0].rstrip("\r\n")).rstrip() if raw else ""
        match = date_match(line)
        if match:
            start = len(line[: match.start()].rstrip(" \t"))
            found.append((line[start : match.start("date")], line[match.end("date") : match.end()].rstrip()))
    usual = Counter(found).most_common(1)
    return usual[0][0] if usual and usual[0][1] * 2 > len(found) else _PLAIN_FRAME


def _with_date_frame(lines: str, frame: tuple[str, str]) -> str:
    """`lines` with the date ending their first line set in `frame`."""
    first, *rest = split_lines(lines) or [""]
    text = first.rstrip("\r\n")
    date_set = _TEMPLATE_DATE.search(text)
    if frame == _PLAIN_FRAME or date_set is None or text.startswith("|"):
        return lines
    dated = f"{text[: date_set.start()]}{frame[0]}{date_set['date']}{frame[1]}{text[date_set.end() :]}"
    return dated + first[len(text) :] + "".join(rest)


def _without_outer_pipes(row: str) -> str:
    """A table's row ('| [Title](url) | 2025-04-03 |') without the pipes at its ends, where its first and last cells
    hold text (without its pipe, a row's empty first cell would be no cell)."""
    text = row.rstrip("\r\n")
    inner = text.removeprefix("| ").removesuffix(" |")
    if inner == text or inner.lstrip().startswith("|") or inner.rstrip().endswith("|") or not inner.strip():
        return row
    return inner + row[len(text) :]
