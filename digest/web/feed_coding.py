"""A public feed's bytes as the reader's client asks for them: gzip when its Accept-Encoding takes it (feed readers
all do), with an ETag of its own and `Vary: Accept-Encoding`, so a cache in between never hands one coding to a client
that asked for the other. Pure."""

from __future__ import annotations

import gzip

GZIP_SUFFIX = "-gzip"


def gzipped(body: bytes) -> bytes:
    """`body` gzipped, the same bytes for the same body (no time stamp in the header): compressed once per rendering."""
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
