"""TeX math and markup in arXiv's titles and abstracts as the plain Unicode text a reader expects. Pure.

arXiv's metadata writes `$\\ell_1$`, `$O(n^2)$`, `$\\alpha$-divergence`, `\\emph{...}`, `--` and ``TeX quotes''; its
pages hand the math to MathJax, but every list line, message, feed and email showed the TeX. A formula made only of
what this module knows (letters, digits, Greek, common symbols, sub- and superscripts Unicode has, font commands)
becomes text (ℓ₁, O(n²), α-divergence); any other is kept as written, `$...$` and all, so it reads as its TeX source
and nothing is guessed. The result is still untrusted text: each output escapes it for its own format.
"""

from __future__ import annotations

import re
import unicodedata

from digest.arxiv.texsymbols import (
    ACCENTS,
    DOUBLE_STRUCK,
    FONTS,
    FUNCTIONS,
    SPACING,
    SUBSCRIPTS,
    SUPERSCRIPTS,
    SYMBOLS,
)

# Inline math as pandoc reads it in Markdown: the opening `$` not followed by a space, the closing one not preceded by
# one, so "costs $5 and $10" stays prices. Pandoc also refuses a closing `$` followed by a digit ("$5-$10"), but arXiv
# writes "$\sim$50\%" and "$\times$10": that rule holds only for what starts with a digit, as a price does.
# `$$...$$` is display math. An escaped \$ is no delimiter. The pattern begins with the `$` (the look-behind after it)
# so the engine skips from `$` to `$` at C speed.
MATH = re.compile(
    r"\$(?<![\\$]\$)(?:\$(?P<display>[^$]+?)(?<!\\)\$\$"
    r"|(?=[^\s\d])(?P<inline>[^$]+?)(?<=[^\s\\])\$"
    r"|(?=\d)(?P<priced>[^$]+?)(?<=[^\s\\])\$(?!\d))"
)
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.DOTALL)
# Outside math: \emph{...} and its kin as their words, escaped characters as themselves, dashes, TeX's quotes.
_TEXT_COMMANDS = re.compile(r"\\(?:emph|textit|textbf|texttt|textsc|textsf|textrm|textup|text)\{(?P<words>[^{}$\\]*)\}")
_TEXT_ESCAPES = re.compile(r"\\(?P<char>[%&#_])")
_TEXT_MARKS = {"---": "\u2014", "--": "\u2013", "``": "\u201c", "''": "\u201d"}
_MARKS = re.compile("|".join(re.escape(mark) for mark in _TEXT_MARKS))


class _NoPlainFormError(Exception):
    """The formula holds something with no faithful plain form: it is kept as written."""


class _Reader:
    """The tokens of one formula, read left to right into text."""

    def __init__(self, source: str) -> None:
        self.tokens: list[str] = _TOKEN.findall(source)
        self.at = 0

    def next(self) -> str:
        if self.at >= len(self.tokens):
            raise _NoPlainFormError
        self.at += 1
        return self.tokens[self.at - 1]

    def skip_spaces(self) -> None:
        while self.at < len(self.tokens) and self.tokens[self.at].isspace():
            self.at += 1

    def argument(self) -> str:
        """One argument: a braced group or a single token, as text."""
        self.skip_spaces()
        piece = self.next()
        if piece == "{":
            return self.until_close()
        if piece in ("}", "_", "^"):
            raise _NoPlainFormError
        return self.command(piece) if piece.startswith("\\") else piece

    def until_close(self) -> str:
        out: list[str] = []
        while (piece := self.next()) != "}":
            out.append(self.one(piece))
        return "".join(out)

    def all(self) -> str:
        out: list[str] = []
        last = ""  # the last character written so far, kept rather than joined from `out` at every token
        while self.at < len(self.tokens):
            piece = self.one(self.next(), previous=last)
            out.append(piece)
            last = piece[-1:] or last
        return "".join(out)

    def one(self, piece: str, previous: str = "") -> str:
        if piece == "{":
            return self.until_close()
        if piece in ("_", "^"):
            table = SUBSCRIPTS if piece == "_" else SUPERSCRIPTS
            return "".join(_mapped(table, char) for char in self.argument())
        if piece.isspace():
            self.skip_spaces()
            following = self.tokens[self.at] if self.at < len(self.tokens) else ""
            return "" if following in ("_", "^", "}") else " "
        if piece.startswith("\\"):
            name = piece[1:]
            spaced = name in FUNCTIONS and previous.isalnum()
            return (" " if spaced else "") + self.command(piece)
        if piece in "}&#%~":
            raise _NoPlainFormError
        return "\u2217" if piece == "*" else piece  # math's asterisk (TeX's \ast), no Markdown emphasis

    def command(self, piece: str) -> str:
        name = piece[1:]
        if name in SYMBOLS:
            return SYMBOLS[name]
        if name in FUNCTIONS:
            return FUNCTIONS[name]
        if name in SPACING:
            return SPACING[name]
        if name in FONTS:
            return self.argument()
        if name == "mathbb":
            return "".join(DOUBLE_STRUCK.get(char, char) for char in self.argument())
        if name in ACCENTS:
            base = self.argument()
            if len(base) != 1:
                raise _NoPlainFormError
            return unicodedata.normalize("NFC", base + ACCENTS[name])
        if name == "sqrt":
            radicand = self.argument()
            return "\u221a" + (radicand if len(radicand) == 1 else f"({radicand})")
        if name == "frac":
            top, bottom = self.argument(), self.argument()
            return f"{_grouped(top)}/{_grouped(bottom)}"
        if len(name) == 1 and not name.isalpha():  # \% \& \{ \$: the character itself
            return name
        raise _NoPlainFormError


def _mapped(table: dict[str, str], char: str) -> str:
    if char not in table:
        raise _NoPlainFormError
    return table[char]


def _grouped(part: str) -> str:
    return part if part.isalnum() else f"({part})"


def _formula(found: re.Match[str]) -> str:
    source = found["inline"] or found["priced"] or found["display"]
    try:
        text = _Reader(source).all().strip()
    except (_NoPlainFormError, RecursionError):  # braces nested past Python's stack are no formula anyone reads
        return found.group(0)
    return text or found.group(0)


def _outside_math(text: str) -> str:
    if "\\" in text:
        text = _TEXT_ESCAPES.sub(r"\g<char>", _TEXT_COMMANDS.sub(r"\g<words>", text))
    # Each of _TEXT_MARKS holds one of these pairs. A one-character test runs at memchr's speed, a two-character one
    # some twenty times slower: most abstracts hold a hyphen, few an apostrophe or a backquote, fewer any pair.
    if ("-" in text and "--" in text) or ("'" in text and "''" in text) or ("`" in text and "``" in text):
        return _MARKS.sub(lambda mark: _TEXT_MARKS[mark.group(0)], text)
    return text


def tex_as_text(text: str) -> str:
    """The text with each formula it knows written as plain Unicode (`$\\ell_1$` -> ℓ₁) and TeX's text markup as what it
    shows (`\\emph{new}` -> new, `--` -> an en dash, ``a'' -> “a”); everything else as written."""
    if "$" not in text:  # no formula: a search for one would try each position of an abstract
        return _outside_math(text)
    parts, start = [], 0
    for found in MATH.finditer(text):
        parts += [_outside_math(text[start : found.start()]), _formula(found)]
        start = found.end()
    parts.append(_outside_math(text[start:]))
    return "".join(parts)
