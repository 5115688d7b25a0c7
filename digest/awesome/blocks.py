"""The list's block structure, read line by line as GitHub reads it. Pure.

Which lines are code or comment (fenced code blocks, HTML comments): no entry or heading is read on such a line, and
no entry is inserted among them; the text GitHub shows of a piece of the list. And where the headings are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?[ \t]*$")
# An ATX heading's closing sequence: '#'s at its end after a space, or all it holds ('## C# ##' is 'C#', '## Papers#'
# is 'Papers#', '## ##' is empty: CommonMark).
_CLOSING = re.compile(r"(?:^|[ \t]+)#+$")
# A line that starts a block of its own, so it cannot continue the text above it: a list item, a quote, a heading,
# HTML, a fence, a rule.
_BLOCK_START = re.compile(r"^ {0,3}(?:[-+*][ \t]|\d{1,9}[.)][ \t]|[>#<]|```|~~~|([-*_])(?:[ \t]*\1){2,}[ \t]*$)")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?P<mark>=+|-{2,})[ \t]*$")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_COMMENT_OPEN, _COMMENT_CLOSE = "<!--", "-->"
# Within a line: an HTML comment, or a code span (as many backticks closing it as opened it, within its paragraph);
# the one that starts first wins, as on GitHub.
_INLINE_HIDDEN = re.compile(
    r"<!--.*?-->|(?<!`)(?P<ticks>`+)(?!`)(?:[^\n]|\n(?![ \t]*\n))+?(?<!`)(?P=ticks)(?!`)", re.DOTALL
)
# A heading written in HTML on a line of its own: '<h2 id="tools">Tools</h2>'.
_HTML_HEADING = re.compile(r"^ {0,3}<h(?P<level>[1-6])(?:[ \t][^<>]*)?>(?P<text>.*?)</h(?P=level)>[ \t]*$", re.I)
# The start of an HTML block that runs on to the next blank line (CommonMark's kind 6: '<details><summary>...').
_HTML_BLOCK = re.compile(
    r"^ {0,3}</?(?:address|article|aside|blockquote|center|details|dialog|div|dl|fieldset|figure|footer|form|h[1-6]"
    r"|header|hr|li|main|nav|ol|p|section|summary|table|tbody|td|th|thead|tr|ul)(?:[ \t>]|/>|$)",
    re.IGNORECASE,
)


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list[str]:
    """Lines with their endings: CRLF, LF or a bare CR (old Mac line ends) ends a line, as in CommonMark, and nothing
    else does (str.splitlines also splits on U+2028 and friends, which GitHub shows within a line)."""
    return _LINE.findall(text)


def starts_block(line: str) -> bool:
    """Whether the line starts a block of its own (a list item, a quote, a heading, HTML, a fence, a rule): it ends a
    paragraph or a table above it."""
    return _BLOCK_START.match(line) is not None


def hidden_lines(lines: list[str]) -> list[bool]:
    """Per line: whether it is code or comment: a fence line or a line inside a fenced code block, or a line of an
    HTML comment that starts a line ('<!-- link is dead' ... '-->': a commented-out entry GitHub does not show).
    A fence or comment opened on an indented line, inside a list item, ends with the item as on GitHub.

    A fence or comment that is never closed hides nothing: one forgotten '-->' must not take every entry after it
    out of the list (GitHub would hide them; the import would remove them)."""
    ignored: set[int] = set()
    while True:
        hidden, unclosed = _scan(lines, ignored)
        if unclosed is None:
            return hidden
        ignored.add(unclosed)


def shown_text(text: str) -> str:
    """The text GitHub shows of a piece of the list (the preamble, a section's intro, an entry's lines): its fenced code
    blocks, HTML comments and code spans blanked. What a maintainer commented out ('link is dead: put back once the
    paper is on arXiv') or gave as an example of an entry's form is not in the list."""
    lines = split_lines(text)
    shown = "".join("\n" if hidden else line for line, hidden in zip(lines, hidden_lines(lines), strict=True))
    return _INLINE_HIDDEN.sub(" ", shown)


def _scan(lines: list[str], ignored: set[int]) -> tuple[list[bool], int | None]:
    """The hidden lines when the openers at `ignored` open nothing, and the line of an opener left open at the end."""
    hidden: list[bool] = []
    fence: re.Match[str] | None = None  # the opening fence while inside one
    opener: int | None = None  # the line that opened the fence or comment we are in
    in_comment = False
    comment_indent = ""  # the indentation of the line that opened the comment we are in
    for index, line in enumerate(lines):
        text = line.rstrip("\r\n")
        if in_comment and _leaves_item(text, comment_indent):
            in_comment = False  # a comment opened inside an entry ends with the entry, like a fence
        if in_comment:
            hidden.append(True)
            in_comment = _COMMENT_CLOSE not in text
            continue
        if fence is not None and _leaves_item(text, fence["indent"]):
            fence = None  # an unclosed fence inside an entry ends with the entry (at the next unindented line)
        if fence is not None:
            hidden.append(True)
            if _closes(text, fence):
                fence = None
            continue
        if index in ignored:
            hidden.append(False)
            continue
        opener = index
        if text.lstrip().startswith(_COMMENT_OPEN):
            hidden.append(True)
            comment_indent = text[: len(text) - len(text.lstrip())]
            in_comment = _COMMENT_CLOSE not in text.lstrip()[len(_COMMENT_OPEN) :]
            continue
        opened = _FENCE.match(text)
        if opened and not (opened["fence"].startswith("`") and "`" in opened["info"]):
            fence = opened
        hidden.append(fence is not None)
    return hidden, opener if in_comment or fence is not None else None


def _closes(text: str, fence: re.Match[str]) -> bool:
    """A closing fence: the opening one's character, at least as many, and nothing after it."""
    closing = _FENCE.match(text)
    return (
        closing is not None
        and closing["fence"][0] == fence["fence"][0]
        and len(closing["fence"]) >= len(fence["fence"])
        and not closing["info"].strip()
    )


def _leaves_item(text: str, indent: str) -> bool:
    """Whether a fence or comment opened inside a list item (on a line indented by `indent`) is cut off by a line
    outside the item."""
    return bool(indent) and bool(text.strip()) and text[0] not in " \t"


def html_block_lines(lines: list[str], hidden: list[bool]) -> list[bool]:
    """Per line: whether it is inside an HTML block that a line such as '<details><summary>Older</summary>' opened
    and no blank line has closed yet. GitHub shows such lines as they are written: a list item there is text."""
    return _html_blocks(lines, hidden)[0]


def ends_in_html_block(text: str) -> bool:
    """Whether a line added after `text` would be inside an HTML block still open at its end."""
    lines = split_lines(text)
    adding = "" if not lines or lines[-1].endswith(("\n", "\r")) else lines.pop()  # the line being added to
    return _html_blocks(lines, hidden_lines(lines))[1] and not adding.strip()


def _html_blocks(lines: list[str], hidden: list[bool]) -> tuple[list[bool], bool]:
    inside: list[bool] = []
    open_block = False
    for line, is_hidden in zip(lines, hidden, strict=True):
        text = line.lstrip("\ufeff")
        if not text.strip():
            open_block = False
        elif not open_block and not is_hidden and _HTML_BLOCK.match(text):
            open_block = True
            inside.append(False)
            continue
        inside.append(open_block)
    return inside, open_block


@dataclass(frozen=True)
class Heading:
    index: int  # the 0-based line it starts on
    end: int  # the 0-based line after it
    level: int
    text: str  # as written, without the '#' marks
    html: bool = False  # written in HTML ('<h2>Papers</h2>'): GitHub gives it no anchor of its own


def find_headings(lines: list[str], hidden: list[bool]) -> list[Heading]:
    """The headings outside code and comments, in order: '## Papers', 'Papers' underlined with '---' or '==='
    (a setext heading: one line of text at the start of a block, not in a list item), and '<h2>Papers</h2>' on a
    line of its own that starts a block (not one inside a '<div>' above it)."""
    found: list[Heading] = []
    for index, line in enumerate(lines):
        # An ATX heading starts with its '#' (asked first: most lines are neither kind of heading).
        match = None if hidden[index] or not line.startswith("#") else _HEADING.match(line.rstrip("\r\n"))
        if match:
            text = _CLOSING.sub("", match["text"] or "")
            found.append(Heading(index, index + 1, len(match["hashes"]), text))
        elif "<" in line[:4] and not hidden[index] and (html := _HTML_HEADING.match(line.rstrip("\r\n"))):
            if not _in_html_block(lines, hidden, index):
                found.append(Heading(index, index + 1, int(html["level"]), html["text"], html=True))
        elif underline := _setext_underline(lines, hidden, index):
            text = line.rstrip("\r\n").strip()
            found.append(Heading(index, index + 2, 1 if underline.startswith("=") else 2, text))
    return found


def _in_html_block(lines: list[str], hidden: list[bool], index: int) -> bool:
    """html_block_lines of line `index` alone: whether a line since the last blank line above it opened a block that
    holds it. A heading closed on its own line ('<h2>Section A</h2>' right above) holds nothing: GitHub shows the
    '<h2>' under it as a heading all the same, so it is a section of its own."""
    start = index
    while start > 0 and lines[start - 1].strip():
        start -= 1
    return any(
        not hidden[k]
        and _HTML_BLOCK.match(lines[k].lstrip("\ufeff"))
        and not _HTML_HEADING.match(lines[k].lstrip("\ufeff").rstrip("\r\n"))
        for k in range(start, index)
    )


def _setext_underline(lines: list[str], hidden: list[bool], index: int) -> str | None:
    """The underline that makes line `index` a setext heading, or None."""
    if index + 1 >= len(lines) or hidden[index] or hidden[index + 1]:
        return None
    underline = _SETEXT_UNDERLINE.match(lines[index + 1].rstrip("\r\n"))
    if underline is None:
        return None
    text, above = lines[index], lines[index - 1] if index else ""
    starts_block = not above.strip() or _HEADING.match(above.rstrip("\r\n")) is not None
    plain = bool(text.strip()) and text[0] not in " \t" and not _BLOCK_START.match(text)
    return underline["mark"] if starts_block and plain else None


def item_end(lines: list[str], hidden: list[bool], start: int, end: int) -> int:
    """Where the list item starting at `start` ends (at the latest at `end`): after its indented and blank lines,
    an unindented line that goes on with its text ("Note: superseded by ..." right under it: a lazy continuation),
    and any code or comment among them (so an entry added after it never lands inside a fence or a comment). A code
    block or comment that starts unindented after a blank line is a block of its own, not the item's ('<!-- To do:
    ... -->' written under a section): removing the entry keeps it."""
    index = start + 1
    while index < end:
        line = lines[index]
        indented = not line.strip() or line[0] in " \t"
        after_blank = not lines[index - 1].strip() and not hidden[index - 1]
        lazy = bool(lines[index - 1].strip()) and not hidden[index - 1] and not _BLOCK_START.match(line)
        if not (indented or lazy or (hidden[index] and not after_blank)):
            break
        index += 1
    return index
