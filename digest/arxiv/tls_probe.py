"""Whether a port that hung up on a plain-HTTP request speaks TLS: an http:// address typed for an https:// one.

One TLS handshake, no request: the answer tells a lasting mistake in the address from a blip of the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from yarl import URL

from digest.arxiv.fetch_types import FetchError, endpoint

PROBE_SECONDS = 10.0


async def speaks_tls(host: str, port: int, timeout: float = PROBE_SECONDS) -> bool:
    """Whether a TLS handshake with host:port completes (its certificate unchecked: only the protocol is asked)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host), timeout
        )
    except (OSError, TimeoutError, ValueError):  # ssl.SSLError is an OSError: no TLS there either
        return False
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), timeout)
    return True


async def tls_port_error(source: str) -> FetchError | None:
    """For an http:// source whose port hung up on the request: a FetchError (one line, not to be retried) when that
    port speaks TLS, else None (a blip: retried as ever)."""
    url = URL(source)
    if url.scheme != "http" or not url.host or url.port is None:
        return None
    if not await speaks_tls(url.host, url.port):
        return None
    place = endpoint(source)
    unusable = f"{place} speaks TLS and hung up on plain HTTP (is it https://?)"
    return FetchError(f"{source}: {unusable}; not tried again", unreachable_host=place, unusable=unusable)
