"""Text from outside (arXiv, maintainers, readers), a leaf: the one rule for the characters that carry no meaning and
can mislead where text is shown (C0 and C1 controls, the Unicode line and paragraph separators, the bidi controls:
U+202E makes "gnp.exe" read as "exe.png"; the tag characters and runs of variation selectors, which hide a message),
the one rule for which links we write or follow, and code links in text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import urlsplit

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Characters that carry text no one sees: the tag characters (U+E0020 to U+E007E spell ASCII, U+E0001 and U+E007F
# open and close it), and a variation selector right after another (a character takes one: a run of them, one of 256
# for each byte, is a hidden message). "Sparse Autoencoders" could carry a paragraph in them through review, the list
# and every message, drawn by none.
_HIDDEN = "\U000e0000-\U000e007f"
_SELECTOR = "\ufe00-\ufe0f\U000e0100-\U000e01ef"


def _invisible(listed: str) -> re.Pattern[str]:
    """The characters `listed`, and a selector after a selector: one character class first, so a text holding none
    is one scan (an alternation would try both at each character, a poll's abstracts taking several times longer)."""
    return re.compile(f"[{listed}{_SELECTOR}](?:(?<=[{listed}])|(?<=[{_SELECTOR}][{_SELECTOR}]))")


INVISIBLE = _invisible(f"\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}{_HIDDEN}")
# White space as str.isspace() reads it (both ask Unicode the same question), found in one pass.
_WHITE_SPACE = re.compile(r"\s")
# The same, less tab, newline and carriage return (and the Unicode separators): an arXiv abstract keeps its lines.
_INVISIBLE_BUT_LINE_BREAKS = _invisible(f"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}{_HIDDEN}")
# Characters that draw nothing though they are no white space: the zero-width ones, the word joiner, the byte order
# mark, the Braille blank, the Hangul fillers. Text of only these and white space looks empty, and Discord takes it
# for empty (it refuses such an embed field).
_DRAWS_NOTHING = frozenset("\u200b\u200c\u200d\u2060\ufeff\u2800\u3164\u115f\u1160\uffa0\u180e\u034f")
# An ASCII host name ending in a top-level domain of letters, and an optional port. No user or password ("@"): a
# link reading "https://arxiv.org@evil.example/" goes to evil.example. No bare IP address: no paper lives there.
_HOST = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d{1,5})?$")
# Browsers, feed readers and mail clients all handle this much (it is the sitemap protocol's limit too); a longer
# link in a paper's record is junk, not an address.
URL_LENGTH_LIMIT = 2048
# A repository link is kept only when it is plainly one: a known code host, then the path (an organisation, a
# repository, GitLab subgroups, Hugging Face datasets) in the ASCII characters those hosts allow. No spaces, quotes
# or brackets, so it cannot break out of the Markdown link or the attribute it is put in.
_CODE_URL = re.compile(
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co|bitbucket\.org|codeberg\.org)"
    r"/[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*"
)


def blank_invisible(text: str, *, keep_line_breaks: bool = False) -> str:
    """Each invisible character replaced by a space (so words on either side stay apart)."""
    return (_INVISIBLE_BUT_LINE_BREAKS if keep_line_breaks else INVISIBLE).sub(" ", text)


def terminal_lines(text: str) -> str:
    """Text from outside (a list file's lines) as a terminal may show it: each line's invisible characters blanked (an
    escape sequence would hide or recolour what follows, a bare carriage return write over it), every line ended."""
    return "".join(blank_invisible(line) + "\n" for line in text.splitlines())


def has_invisible(text: str) -> bool:
    return INVISIBLE.search(text) is not None


def is_blank(text: str) -> bool:
    """Whether the text shows nothing: only white space, invisible characters and ones that draw nothing."""
    return all(c.isspace() or c in _DRAWS_NOTHING or INVISIBLE.match(c) or _draws_nothing(c) for c in text)


def _draws_nothing(c: str) -> bool:
    """The format characters (a soft hyphen, the invisible operators, the tag characters) but the few that are drawn
    as a sign before a number, and the variation selectors: alone, they draw nothing."""
    if unicodedata.category(c) == "Cf":
        return c not in _PREPENDED_MARKS
    return "\ufe00" <= c <= "\ufe0f" or "\U000e0100" <= c <= "\U000e01ef"


# Format characters fonts draw: the Arabic, Syriac and Kaithi number and end-of-verse signs.
_PREPENDED_MARKS = frozenset("\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd")


def readable_title(title: str | None, arxiv_id: str | None) -> str:
    """The paper's title, or for one of characters that draw nothing (U+2800, U+3164 pass arXiv's cleaning) which
    paper it is: a link on such a title reads empty, and there would be nothing to see or click."""
    if title and not is_blank(title):
        return title
    return f"{UNTITLED}, arXiv {arxiv_id}" if arxiv_id else UNTITLED


UNTITLED = "Untitled paper"
BLANK_SECTION = "a section whose heading shows nothing"


def readable_section(name: str) -> str:
    """A section's name as a message shows it: a list heading (or a configured name) of characters that draw nothing
    would leave the line ending in nothing a reader can see."""
    return BLANK_SECTION if is_blank(name) else name


def may_name_untitled(search: str) -> bool:
    """Whether a case-insensitive substring search for `search` may find a title readable_title calls untitled by the
    words before its arXiv ID (the ID alone is searched as the ID), so a search done where the stored titles are
    cannot leave such a paper out."""
    lead = f"{UNTITLED}, arXiv ".casefold()
    text = search.casefold()
    return any(lead[start:].startswith(text) or text.startswith(lead[start:]) for start in range(len(lead)))


def shown_name(name: object) -> str:
    """A path or name as a message names it: quoted with its escapes when it holds a line break, a tab or another
    control character, so that a name with a newline in it cannot split a one-line message in two."""
    text = str(name)
    return repr(text) if any(not char.isprintable() for char in text) else text


# Characters in a word that join or split nothing a reader sees: the zero-width space, the word joiner and the byte
# order mark (a zero-width no-break space). A title from a PDF or a web page carries them: "Zero\u200bShot" reads
# "ZeroShot", but a search for that misses it. The joiners (U+200C in a Persian name, U+200D in an emoji) do change
# what is drawn: they stay.
_IN_WORD_NOTHING = re.compile("[\u200b\u2060\ufeff]")


def composed(text: str) -> str:
    """Text from outside as one spelling of what it shows: Unicode's composed form (an e and a combining acute are é,
    as a reader types it) without the zero-width characters that draw and join nothing (_IN_WORD_NOTHING)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _IN_WORD_NOTHING.sub("", text))


def one_line(text: str) -> str:
    """Invisible characters blanked and every run of white space one space, trimmed."""
    return " ".join(blank_invisible(text).split())


def quoted(text: str, limit: int = 40) -> str:
    """A value someone gave, as a refusal quotes it back: on one line, its first `limit` characters, in quotes (a page
    escapes it as all text; a value of thousands of characters is not echoed whole)."""
    line = one_line(text)
    return f"'{line[:limit]}…'" if len(line) > limit else f"'{line}'"


# An address urlsplit cannot read (an IPv6 host missing a bracket) fails each check and request that reads its host.
UNREADABLE = "is not an address: its host cannot be read (an IPv6 address goes whole in brackets: http://[::1]:80/)"


def unreadable(url: str) -> bool:
    try:
        urlsplit(url)
    except ValueError:
        return True
    return False


def url_problem(url: str) -> str | None:
    """Why a link is not one we write or follow, or None when it is: an absolute http(s) URL with a host name (no
    credentials), without white space or invisible characters, at most URL_LENGTH_LIMIT characters. Each output
    escapes an acceptable URL for its own format (Markdown, XML, HTML); this only says which URLs are acceptable."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "cannot be parsed as a URL"
    scheme = parts.scheme.lower()
    if not scheme:
        return "is not an absolute http(s) URL"
    if scheme not in ("http", "https"):
        return f"uses the {scheme}: scheme (only http and https are allowed)"
    if not _HOST.match(parts.netloc):
        return "has no valid host name"
    # urlsplit silently drops tab, newline and carriage return, so the URL itself is checked.
    if has_invisible(url) or _WHITE_SPACE.search(url):
        return "contains white space or invisible characters"
    if len(url) > URL_LENGTH_LIMIT:
        return f"is longer than {URL_LENGTH_LIMIT} characters"
    return None


def acceptable_url(url: str | None) -> str | None:
    """The URL, trimmed, when `url_problem` finds nothing wrong with it; else None (javascript:, data:, junk)."""
    if not url:
        return None
    url = url.strip()
    return url if url_problem(url) is None else None


def code_url_in(*texts: str | None) -> str | None:
    """The first repository link in the texts, searched in the order given (a full stop ending a sentence dropped)."""
    for text in texts:
        match = _CODE_URL.search(text or "")
        if match:
            return match.group(0).rstrip(".")
    return None


AUTHORS_SHOWN = 3  # names shown before "et al." where a paper is shown to people: pages, feeds, Discord


def shown_authors(authors: Sequence[str], shown: int = AUTHORS_SHOWN) -> list[str]:
    """The names to show of a paper's authors: all of them, or the first `shown` when more than one more follow (a
    collaboration paper has hundreds)."""
    return list(authors) if len(authors) <= shown + 1 else list(authors[:shown])


def authors_line(authors: Sequence[str]) -> str:
    """'A, B, C et al. (500 authors)', or every name of a short list."""
    names = shown_authors(authors)
    more = f" et al. ({len(authors)} authors)" if len(names) < len(authors) else ""
    return ", ".join(names) + more
