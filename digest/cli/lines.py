"""The lines of a JSON-lines file a maintainer gives, each read with a cap: one line is never a file's worth."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol

from digest.sizes import shown_size

# A paper or a decision is a title and an abstract: some kilobytes. A line past this is no such thing (a dump without
# line breaks, a binary file), and was read whole into memory, ending in a MemoryError traceback.
MAX_LINE_BYTES = 4 * 1024 * 1024
MAX_LINE_SHOWN = shown_size(MAX_LINE_BYTES)
# How far a line is read past, to go on with the next (`lines_past_long`): beyond this the file is no file of lines
# (a dump, /dev/zero), and reading on would take as long as the file has bytes.
MAX_SKIPPED_BYTES = 64 * 1024 * 1024
# The bad lines a command names; the others are counted ("and 12,345 more"): a wrong multi-GB file given by mistake
# would otherwise flood the terminal with a line for each of its lines.
BAD_LINES_SHOWN = 20


class LongLineError(Exception):
    """A line longer than the cap (`shown`); it and what follows are left unread."""

    def __init__(self, line_number: int, shown: str = MAX_LINE_SHOWN) -> None:
        super().__init__(f"line {line_number} is longer than {shown}")
        self.line_number = line_number
        self.shown = shown


# What a JSON array given for JSON lines is told once, not a complaint about each of its lines, none saying why.
JSON_ARRAY = (
    "looks like a JSON array (it starts with '['): one JSON object a line is wanted; `jq -c '.[]' FILE` writes it so"
)


def opens_json_array(first: bytes | str) -> bool:
    """Whether the file's first line that is not blank opens a JSON array of objects (a byte order mark before it or
    not): `[` alone, as an indented dump starts, or `[{...`, `[]` on one line. A line of other JSON ("[[[...") is
    a bad line of its own, named as such."""
    text = first.decode("utf-8", "replace") if isinstance(first, bytes) else first
    opened, bracket, rest = text.lstrip("\ufeff \t\r\n").partition("[")
    return not opened and bool(bracket) and rest.strip()[:1] in ("", "{", "]")


class JsonArrayError(Exception):
    """The file's first line that is not blank opens a JSON array: see JSON_ARRAY."""


class Lines(Protocol):
    """A file, gzip's or standard input (bytes; text too, where a caller replaced standard input)."""

    def readline(self, size: int = -1, /) -> bytes: ...


def capped_lines(stream: Lines, limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """Each line of `stream` with its line break, as iterating it gives them; raises LongLineError at the first longer
    than `limit` (its line break not counted), having read no more than `limit` and a byte of it: `lines_past_long`
    reading past nothing."""
    for line in lines_past_long(stream, limit, most=limit):
        if line is not None:  # never None: reading past nothing, a long line raises
            yield line


def lines_past_long(
    stream: Lines, limit: int = MAX_LINE_BYTES, most: int = MAX_SKIPPED_BYTES
) -> Iterator[bytes | None]:
    """Each line as `capped_lines` gives it, and None in place of one longer than `limit`, read past in pieces of
    `limit` to go on with the next; raises LongLineError (naming `most`) at a line longer than `most`."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) <= limit or _ends_line(line):
            yield line
            continue
        read = len(line)
        while line and not _ends_line(line):
            if read > most:
                raise LongLineError(number, shown_size(most))
            line = stream.readline(limit + 1)
            read += len(line)
        yield None


def _ends_line(line: bytes) -> bool:
    return line[-1:] in ("\n", b"\n")


_BREAK = re.compile(r"\r\n|\r|\n")  # what bytes.splitlines() splits at: not U+2028, which a JSON string may hold


def split_at_breaks(lines: Iterable[bytes | str | None]) -> Iterator[bytes | str | None]:
    """Each line read split where a lone carriage return ends one too (a file saved on an old Mac has no other line
    break), as `digest decisions import` splits its lines: read whole, such a file was one line of bad JSON. A line
    with no break at all, or None (a line too long), is passed on as it is."""
    for line in lines:
        if line is None:
            yield None
        elif isinstance(line, bytes):
            yield from line.splitlines() or [b""]
        else:
            yield from _BREAK.split(line.removesuffix("\n").removesuffix("\r")) if line else [""]
