"""An answer's body as its Content-Encoding says to read it (gzip, deflate), pure: aiohttp takes a gzip stream that
ends early for the whole answer, which the parser then reports as a cut-off feed."""

from __future__ import annotations

import zlib

from digest.arxiv.fetch_types import FetchError
from digest.sizes import shown_size

# The codings asked for (Accept-Encoding: gzip, deflate), as zlib's window bits: gzip's header, zlib's, raw deflate.
_GZIP_BITS = 16 + zlib.MAX_WBITS
_CODINGS = {"gzip": _GZIP_BITS, "x-gzip": _GZIP_BITS, "deflate": zlib.MAX_WBITS}


def decoded_body(url: str, raw: bytes, coding: str | None, limit: int) -> bytes:
    """`raw` decoded as `coding` says, at most `limit` bytes; FetchError (one line) for a coding not asked for, a
    broken or cut-off stream, or one that unpacks past the limit."""
    name = (coding or "").strip().lower()
    if name in ("", "identity"):
        return raw
    bits = _CODINGS.get(name)
    if bits is None:
        shown = name if len(name) <= 40 else name[:37] + "..."
        raise FetchError(f"{url}: an answer in Content-Encoding {shown!r}, which was not asked for (gzip, deflate)")
    if not raw:
        return raw  # a 304 or an empty answer says nothing of its coding
    if name == "deflate" and not _zlib_header(raw):
        bits = -zlib.MAX_WBITS  # a raw deflate stream, as some servers send for "deflate"
    try:
        body = _inflated_member(raw, bits, limit)[0] if bits != _GZIP_BITS else _gzip_members(raw, limit)
    except zlib.error as exc:
        raise FetchError(f"{url}: a broken {name} answer ({exc})") from exc
    except _EndsEarlyError as exc:
        raise FetchError(
            f"{url}: a broken {name} answer: its stream ends early ({shown_size(len(raw))} sent); not read"
        ) from exc
    if len(body) > limit:
        raise FetchError(f"{url}: the answer unpacks to over the {shown_size(limit)} limit; refused")
    return body


class _EndsEarlyError(Exception):
    """A compressed stream that stops before its end."""


def _gzip_members(raw: bytes, limit: int) -> bytes:
    """Every member of a gzip answer, one after another (RFC 1952 allows several: `cat a.gz b.gz`); zero bytes after
    the last are padding, as gzip itself reads them."""
    parts: list[bytes] = []
    size = 0
    rest = raw
    while True:
        part, rest = _inflated_member(rest, _GZIP_BITS, limit - size)
        parts.append(part)
        size += len(part)
        if size > limit or not rest.strip(b"\0"):
            return b"".join(parts)


def _inflated_member(raw: bytes, bits: int, limit: int) -> tuple[bytes, bytes]:
    """The first stream in `raw` unpacked (at most limit + 1 bytes), and the bytes after it."""
    decoder = zlib.decompressobj(bits)
    body = decoder.decompress(raw, limit + 1)
    if len(body) > limit:
        return body, b""
    if not decoder.eof:
        raise _EndsEarlyError
    return body, decoder.unused_data


def _zlib_header(raw: bytes) -> bool:
    return len(raw) >= 2 and raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0
