"""TeX accents in arXiv's metadata as the letters they stand for. Pure.

arXiv's metadata holds names and words with TeX accents (`R\\'enyi`, `G\\"{o}del`, `{\\o}`, `\\v{C}ech`), and its own
pages show the letters (Rényi, Gödel, ø, Čech). The feeds and the API give the TeX as written, so every page,
message, feed and list entry made from it showed the backslashes, and a search for "Gödel" found nothing. Math
(`$...$`) is left as written: there `\\hat`, `\\vec` or `\\l...` are math, not accents.
"""

from __future__ import annotations

import re
import unicodedata

# \'e, \"{o}, \^{\i}: an accent written as a symbol, on a letter, braced or not.
_SYMBOL_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304", ".": "\u0307",
}  # fmt: skip
# \v{c}, \c{c}, \H o: an accent written as a letter, braced or after a space only (\vec and \ddot are math).
_LETTER_ACCENTS = {
    "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328", "r": "\u030a", "d": "\u0323",
    "b": "\u0331",
}  # fmt: skip
# {\o}, \ss{}, \L ukasz: letters TeX writes as a command of their own.
_LETTERS = {
    "ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł",
    "i": "ı", "j": "ȷ",
}  # fmt: skip
# The letter accented: a letter, or the dotless i or j TeX puts an accent on (\'{\i} is í).
_BASE = r"(?:[A-Za-z]|\\[ij](?![A-Za-z]))"
# It begins with one of two literal characters, `{\` or `\` (the empty group `open` says which): the engine then skips
# to each `{` or `\` at C speed, where an optional `\{` first was tried at every character of an abstract.
_ACCENT = re.compile(
    r"(?:\{(?P<open>)\\|\\)(?:"
    rf"(?P<symbol>['`^\"~=.])\s*(?:\{{\s*(?P<braced>{_BASE})\s*\}}|(?P<bare>{_BASE}))"
    rf"|(?P<letter>[uvHckrdb])(?:\s*\{{\s*(?P<lbraced>{_BASE})\s*\}}|\s+(?P<lbare>{_BASE}))"
    rf"|(?P<named>{'|'.join(sorted(_LETTERS, key=len, reverse=True))})(?![A-Za-z])(?:\{{\}}|\s(?=[A-Za-z]))?"
    r")(?(open)\})"
)
# Inline and display math, as arXiv's pages hand it to MathJax; an escaped \$ is no delimiter. Written to begin with
# the `$` itself (the look-behind after it): the engine then skips to each `$` at C speed, where a pattern beginning
# with a look-behind is tried at every character of an abstract (ten times slower).
_MATH = re.compile(r"\$(?<!\\\$)(?:\$.+?(?<!\\)\$\$|.+?(?<!\\)\$)", re.DOTALL)


def _letter(found: re.Match[str]) -> str:
    if found["named"]:
        return _LETTERS[found["named"]]
    mark = _SYMBOL_ACCENTS[found["symbol"]] if found["symbol"] else _LETTER_ACCENTS[found["letter"]]
    base = found["braced"] or found["bare"] or found["lbraced"] or found["lbare"]
    return unicodedata.normalize("NFC", base.lstrip("\\") + mark)  # \'\i is an i with an acute: í


def _outside_math(text: str) -> str:
    return _ACCENT.sub(_letter, text) if "\\" in text else text


def tex_accents_as_letters(text: str) -> str:
    """The text with each TeX accent outside math written as the letter it makes (`Jos\\'e` -> José)."""
    if "\\" not in text:  # nearly every title and name: nothing to do
        return text
    parts, start = [], 0
    for math in _MATH.finditer(text):
        parts += [_outside_math(text[start : math.start()]), math.group(0)]
        start = math.end()
    parts.append(_outside_math(text[start:]))
    return "".join(parts)
