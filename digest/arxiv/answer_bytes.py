"""An answer's bytes as the UTF-8 text the parser reads, pure: a feed in UTF-16 or UTF-32 re-encoded, and a UTF-8 one
with a few bytes that are not UTF-8 mended, each with one problem line."""

from __future__ import annotations

import codecs
import re

# UTF-32's marks first: UTF-32 LE's starts with UTF-16 LE's.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED_ENCODING = re.compile(r"""\A(<\?xml[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")
_DECLARED_ENCODING_BYTES = re.compile(rb"""\A(?:\xef\xbb\xbf)?<\?xml[^>]*?\bencoding\s*=\s*(["'])([^"']*)\1""")
# A character beyond ASCII that is not the replacement character: the answer holds real UTF-8 text.
_WRITTEN_IN_UTF8 = re.compile("[^\x00-\x7f\ufffd]")


def as_utf8(data: bytes) -> tuple[bytes, str | None]:
    """The answer as UTF-8, and a problem line when some of its bytes were no text in its encoding."""
    codec = next((name for bom, name in _WIDE_BOMS if data.startswith(bom)), None)
    codec = codec or {b"<\x00?\x00": "utf-16-le", b"\x00<\x00?": "utf-16-be"}.get(data[:4])
    return _mended_utf8(data) if codec is None else _from_wide(data, codec)


def _from_wide(data: bytes, codec: str) -> tuple[bytes, str | None]:
    """UTF-16 or UTF-32 as UTF-8: every check on the bytes (entities, an HTML page, where the items end) reads markup
    as ASCII, which UTF-16 does not write it in."""
    try:
        text, problem = data.decode(codec), None
    except UnicodeDecodeError as exc:
        text, problem = data.decode(codec, errors="replace"), f"bytes that are not valid {exc.encoding}, read as U+FFFD"
    # The declaration must now name what the bytes are.
    return _DECLARED_ENCODING.sub(r"\g<1>\g<2>utf-8\g<2>", text.lstrip("\ufeff"), count=1).encode("utf-8"), problem


def _mended_utf8(data: bytes) -> tuple[bytes, str | None]:
    """A UTF-8 answer (declared so, or declaring nothing) with a few bytes that are not UTF-8: each reads as U+FFFD.
    Left to feedparser, one such byte makes it read the whole answer as windows-1252, and every accented title and
    author of the day's feed is stored as 'CafÃ©'. An answer with no UTF-8 beyond ASCII at all (Latin-1 that does not
    say so) is left to feedparser's own fallback."""
    if data.isascii() or not data.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<"):
        return data, None  # all ASCII, or markup not written in ASCII at all (EBCDIC): not this
    declared = _DECLARED_ENCODING_BYTES.match(data)
    if declared is not None and declared[2].strip().lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return data, None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
    else:
        return data, None
    if not _WRITTEN_IN_UTF8.search(text):
        return data, None
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    plural = "s" if bad > 1 else ""
    return text.encode("utf-8"), f"{bad} byte{plural} that {'are' if plural else 'is'} not valid UTF-8, read as U+FFFD"
