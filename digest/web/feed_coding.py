"""A public feed's or page's bytes as the client asks for them: gzip when its Accept-Encoding takes it (feed readers
and browsers all do), with an ETag of its own and `Vary: Accept-Encoding`, so a cache in between never hands one coding
to a client that asked for the other; and If-None-Match read the one way for all of them. Pure."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Sequence

GZIP_SUFFIX = "-gzip"


def gzipped(body: bytes) -> bytes:
    """`body` gzipped, the same bytes for the same body (no time stamp in the header): compressed once per rendering
    (a feed's), or per request (a page's: the list page's 37 KB in some 0.6 ms; level 6 saves a quarter of that time
    and no bytes)."""
    return gzip.compress(body, compresslevel=9, mtime=0)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header takes gzip (RFC 9110, 12.5.3): `gzip`, `x-gzip` or `*`, at a q above 0; the
    coding named is what counts, so `gzip;q=0, *` refuses it."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, parameters = item.strip().partition(";")
        weights[coding.strip().lower()] = _weight(parameters)
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding] > 0
    return False


def _weight(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


def gzip_etag(etag: str) -> str:
    """The gzipped bytes' strong validator: another representation, another ETag (RFC 9110, 8.8.3)."""
    return etag[:-1] + GZIP_SUFFIX + '"'


def body_etag(body: bytes) -> str:
    """A strong validator of a feed's or page's bytes: the same document always has the same one, across restarts."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_held(if_none_match: Sequence[str], etag: str) -> bool | None:
    """Whether the client's If-None-Match lines hold `etag` or its gzipped bytes' (weakly compared, as RFC 9110 asks for
    GET); None without one. Several lines are one list (RFC 9110, 5.3): a reader or proxy sending each ETag on its own
    line got the whole feed on every poll when only the first line was read."""
    if not if_none_match:
        return None
    presented = {tag.strip().removeprefix("W/") for tag in ",".join(if_none_match).split(",")}
    return "*" in presented or etag in presented or gzip_etag(etag) in presented


def coded_page(
    body: bytes, accept_encoding: str | None, if_none_match: Sequence[str]
) -> tuple[int, dict[str, str], bytes]:
    """A page's status, headers and bytes as the client asks for them: 304 when it holds these bytes (either coding's
    ETag), gzipped when it takes gzip. `no-cache`: a browser asks again each time, so an approval shows at once, and
    is answered 304, without the page, while the page is the same."""
    compress = accepts_gzip(accept_encoding)
    etag = body_etag(body)
    headers = {"ETag": gzip_etag(etag) if compress else etag, "Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if etag_held(if_none_match, etag):
        return 304, headers, b""
    if not compress:
        return 200, headers, body
    return 200, headers | {"Content-Encoding": "gzip"}, gzipped(body)
