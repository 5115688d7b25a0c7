"""An answer's body as its Content-Encoding says to read it (gzip, deflate), pure: aiohttp takes a gzip stream that
ends early for the whole answer, which the parser then reports as a cut-off feed."""

from __future__ import annotations

import zlib

from digest.arxiv.fetch_types import FetchError

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
    decoder = zlib.decompressobj(bits)
    try:
        body = decoder.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise FetchError(f"{url}: a broken {name} answer ({exc})") from exc
    if len(body) > limit:
        raise FetchError(f"{url}: the answer unpacks to over the {limit}-byte limit; refused")
    if not decoder.eof:
        raise FetchError(f"{url}: a broken {name} answer: its stream ends early ({len(raw)} bytes sent); not read")
    return body


def _zlib_header(raw: bytes) -> bool:
    return len(raw) >= 2 and raw[0] & 0x0F == 8 and (raw[0] << 8 | raw[1]) % 31 == 0
