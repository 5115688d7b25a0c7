"""Which list item is an entry, read from each line once (pure): a line's `LineShape` holds its marker, links and
badges, and whether it starts an entry for any marker the list's own entries may be written with, so the parser asks
each line its questions once (the list's marker, the entries' starts, a category bullet, the entry itself).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from digest.awesome.authored import is_authored
from digest.titles import arxiv_id_from_url

# A list item's start: a bullet, or a number of an ordered list ('1. [Title](url)').
ENTRY_START = re.compile(r"^(?P<marker>[+*-]|(?P<number>[0-9]{1,9})[.)])[ \t]+")
BADGE = re.compile(r"\[!\[(?P<alt>[^\]]*)\]\((?P<image>[^()\s]*)\)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))*)\)")
_LEADING_BADGES = re.compile(rf"^(?:{BADGE.pattern}[ \t]*)*")
# A link as CommonMark writes it: its target bare or in <...>, and a hover title after it ('(url "Title")').
# Its runs of plain characters are matched possessively ('++', '*+'): a run can end in one place only, and trying
# the others made reading a long line several times slower.
LINK = re.compile(
    r"(?<!!)\[(?P<text>(?:[^\[\]\\]++|\\.|\[(?:[^\[\]\\]++|\\.)*+\])*+)\]\([ \t]*"
    r"(?P<url><[^<>\n]*>|(?:[^()\s]++|\([^()\s]*+\))*+)"
    r"""(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*\)"""
)
# The start of a link to somewhere else than this page, however its target is written ('(url "hover text")').
_LINK_OPENING = re.compile(r"\[(?:[^\[\]\\]++|\\.|\[(?:[^\[\]\\]++|\\.)*+\])*+\]\((?![ \t]*<?#)")
# What may come before the title link of a '+' entry edited by hand: badges, a **short name**, emoji, emphasis
# ('+ 🔥 *[Title](url)*', the emoji written as GitHub's shortcode too: '+ :fire: [Title](url)'); no word outside the
# short name.
# A venue or year tag before the title is decoration too: '[ICLR 2024]' (no link), '`NeurIPS 2021`', '(AAAI 2021)';
# not a task list's '[ ]' or '[x]', nor words in parentheses ('(optional) [Open an issue](...)' is prose).
_DECORATION = re.compile(
    rf"^(?:{BADGE.pattern}|\*\*(?:\\.|[^*\\])+\*\*|\[[^\[\]]{{2,}}\](?!\()|`[^`]*`|\([^()]*[0-9][^()]*\)|:[a-z0-9_+-]+:"
    r"|[^\w\[]|_)*"
)
ENTRY_HEAD = re.compile(
    r"^(?P<marker>[+*-]|[0-9]{1,9}[.)])[ \t]+(?P<box>\[[ xX]\][ \t]+)?(?P<short>\*\*(?:\\.|[^*\\])+\*\*\s*)?"
)
# A task list's checkbox after an item's marker ('- [ ] [Title](url)', '- [x] ...'): GitHub shows a box, not text.
TASK_BOX = re.compile(r"^\[[ xX]\][ \t]+")
# A line that cannot go on with the paragraph above it (a blank line, a new list item, a heading, HTML, a quote).
_NOT_CONTINUATION = re.compile(r"^\s*$|^ {0,3}(?:[-+*][ \t]|\d{1,9}[.)][ \t]|[>#<]|```|~~~)")
_WRAPPED_LINES = 4  # how many lines a wrapped title may run on to (an editor that wraps at 80 columns needs two)


def link_target(link: re.Match[str]) -> str:
    """The address a LINK match points at, without the <...> it may be written in."""
    url = link["url"]
    return url[1:-1] if url.startswith("<") and url.endswith(">") else url


def marker_kind(marker: str) -> str:
    """'+', '-' or '*', and '1.' or '1)' for any number of an ordered list."""
    return marker if marker in ("+", "-", "*") else "1" + marker[-1]


def without_badges(text: str) -> str:
    """The text with its badges taken out (where its links are read from)."""
    return BADGE.sub("", text) if "[![" in text else text


class LineShape(NamedTuple):
    """What one line is, as the parser asks it: its links and badges, and its shape as a list item (a tuple: one is
    made for every line of the list)."""

    plain: str  # the line without its badges
    links: tuple[re.Match[str], ...]  # the links of `plain`
    badges: tuple[re.Match[str], ...]
    marker: str | None  # the marker kind of a list item at the first column ('+', '1.'); None for any other line
    titled: bool | None  # an item whose title link comes first: an entry (False: that link is within the page)
    decorated: bool  # an item without a title link first that is an entry when its marker is the list's own
    links_out: bool  # whether it links somewhere else than this page
    raw_link: bool  # whether the line as written (badges and all) holds a link
    wraps: bool  # an item whose title link may be wrapped onto the lines under it (item_head reads on)
    task: bool = False  # a task list's item ('- [ ] [Title](url)') whose title link leads off the page
    authored: bool = False  # an item written authors or title first, its paper linked after (authored.py): an entry
    # when its marker is the list's own

    def is_entry(self, own_marker: str) -> bool:
        """is_entry_line of this line."""
        if self.marker is None:
            return False
        if self.titled is not None:
            return self.titled
        return self.marker == own_marker and (self.decorated or self.authored)

    @property
    def entry_marker(self) -> str | None:
        """The marker kind of an item that links somewhere and reads as an entry when its marker is the list's own
        (not one written authors first: a list of those is told by `authored_marker`, its bullet only where no item
        links its title first)."""
        if self.marker is None or not self.links_out or self.authored:
            return None
        return self.marker if self.is_entry(self.marker) else None

    @property
    def authored_marker(self) -> str | None:
        """The marker kind of an item written authors or title first, its paper linked after."""
        return self.marker if self.authored else None


def read_shape(line: str) -> LineShape:
    """The shape of one line."""
    plain = without_badges(line)
    links = tuple(LINK.finditer(plain)) if "](" in plain else ()
    badges = tuple(BADGE.finditer(line)) if plain is not line else ()
    raw_link = bool(links) if plain is line else LINK.search(line) is not None
    head = ENTRY_HEAD.match(line)
    if head is None:
        return LineShape(plain, links, badges, None, None, False, False, raw_link, False)
    # '**[Title](url)**': a bold title link is no short name
    bold_link = head["short"] and LINK.search(head["short"])
    rest = line[head.start("short") + 2 :] if bold_link else line[head.end() :]
    title_link = LINK.match(_LEADING_BADGES.sub("", rest, count=1))
    titled = None if title_link is None else not link_target(title_link).startswith("#")
    task = bool(head["box"]) and titled is True
    if head["box"]:  # a task list's item is a paper's entry when its title link is a paper's, not a to-do's
        titled = title_link is not None and arxiv_id_from_url(link_target(title_link)) is not None
    decorated = titled is None and (
        head["short"] is not None or _LINK_OPENING.match(_DECORATION.sub("", rest, count=1)) is not None
    )
    after = line[head.end() :]
    if "[" not in after:
        wraps = False
    elif head["short"] is None:  # `after` is the line past its marker: its links are the line's
        wraps = not links
    else:
        wraps = LINK.search(without_badges(after)) is None
    links_out = _LINK_OPENING.search(line) is not None
    marker = marker_kind(head["marker"])
    authored = False
    if titled is None and not decorated and links and (plain_head := ENTRY_HEAD.match(plain)):
        authored = is_authored(plain, links, plain_head.end())
    return LineShape(plain, links, badges, marker, titled, decorated, links_out, raw_link, wraps, task, authored)


def read_shapes(lines: Sequence[str]) -> list[LineShape]:
    return [read_shape(line) for line in lines]


def item_head(lines: Sequence[str], start: int = 0, end: int | None = None) -> str:
    """The text an item's title link is read from: its first line, or, when the link text is wrapped onto the lines
    under it by an editor ('+ [A long title that' / '  wraps](url) (date)'), the first line and those lines up to the
    one where the link closes, as GitHub reads them (one paragraph)."""
    head = lines[start]
    if not read_shape(head).wraps:
        return head
    return _wrapped_head(lines, start, end)


def _wrapped_head(lines: Sequence[str], start: int, end: int | None) -> str:
    head = lines[start]
    for line in lines[start + 1 : min(len(lines) if end is None else end, start + _WRAPPED_LINES)]:
        if _NOT_CONTINUATION.match(line):
            break
        head += line
        if LINK.search(without_badges(head)):
            return head
    return lines[start]


def shaped_head(lines: Sequence[str], shapes: Sequence[LineShape], start: int, end: int | None = None) -> str:
    """item_head of line `start`, its shape already read."""
    return _wrapped_head(lines, start, end) if shapes[start].wraps else lines[start]


def starts_entry(lines: Sequence[str], shapes: Sequence[LineShape], start: int, end: int, own_marker: str) -> bool:
    """is_entry_line of item_head(lines, start, end), the lines' shapes already read."""
    head = shaped_head(lines, shapes, start, end)
    return (shapes[start] if head is lines[start] else read_shape(head)).is_entry(own_marker)


def is_entry_line(line: str, own_marker: str = "+") -> bool:
    """A list item at column 0 in the list's entry shape: its title link comes first, after an optional **short
    name** and badges ('+ **SAE-V** [Title](url) (Feb. 22, 2025)'), or in bold ('- **[Title](url)**'). An item with
    the list's own marker (the one most of its entries are written with) is an entry too when only emoji or emphasis
    come before its first link ('+ 🔥 *[Title](url)*'), or when it has a short name but no link: an entry edited by
    hand, read as one or refused by import in one line, never text that drops the paper silently. Other bullets (a
    News line that links a paper further on, a '+' checklist, the table of contents) are text."""
    return read_shape(line).is_entry(own_marker)


def entry_marker(line: str) -> str | None:
    """The marker kind of an item that links somewhere and reads as an entry when its marker is the list's own."""
    return read_shape(line).entry_marker


def own_item(lines: Sequence[str], index: int, start: int, own_marker: str) -> bool:
    """Whether line `index`, indented by one to three spaces, is an entry in the list's own marker and an item of its
    own, not one nested in the item above: GitHub nests an item only as far in as the text of the item above it starts
    (' + [Title]' under '+ [Title]' is the next item; '  + [Code]' under it is the entry's own)."""
    indent = len(lines[index]) - len(lines[index].lstrip(" "))
    shape = read_shape(lines[index][indent:])
    if not 1 <= indent <= 3 or shape.marker != own_marker or not shape.is_entry(own_marker):
        return False
    for above in range(index - 1, start - 1, -1):
        text = lines[above]
        if text.strip() and text[0] not in " \t":  # the nearest line at the first column: an item, or text
            item = ENTRY_START.match(text)
            return item is None or indent < item.end()
    return True
