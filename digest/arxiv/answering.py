"""Whether a request to arXiv got a connection before its time ran out, and its answer read up to the size limit. A
try that timed out before a connection was made is a network out of reach (check it, or set a mirror); one that
timed out after is a server slow to answer, which no setting on this side mends (fetcher, poll_report)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace

import aiohttp

from digest.arxiv.fetch_types import FetchError
from digest.sizes import shown_size

READ_CHUNK = 64 * 1024


class SlowAnswerError(TimeoutError):
    """Connected, then no answer (or not all of it) within the timeout."""


@dataclass
class RequestTry:
    """One request's try, passed as its trace_request_ctx: aiohttp's tracing says when its connection is made."""

    connected: bool = False

    @asynccontextmanager
    async def timed(self, seconds: float) -> AsyncIterator[None]:
        """A timeout after the connection was made raised as SlowAnswerError, saying how long was waited (aiohttp's
        own TimeoutError is the same, and empty, whether the connection or the answer ran out of time)."""
        try:
            yield
        except TimeoutError as exc:
            if not self.connected or isinstance(exc, SlowAnswerError):
                raise
            raise SlowAnswerError(f"connected, but no answer within {seconds:g} s") from exc


def connection_trace() -> aiohttp.TraceConfig:
    """The client session's tracing that marks each request's RequestTry once its connection is made."""
    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(_connected)
    trace.on_connection_reuseconn.append(_connected)
    return trace


async def _connected(_session: aiohttp.ClientSession, context: SimpleNamespace, _params: object) -> None:
    if isinstance(context.trace_request_ctx, RequestTry):
        context.trace_request_ctx.connected = True


async def read_limited(response: aiohttp.ClientResponse, url: str, limit: int) -> bytes:
    """The answer's body, or FetchError once it is over `limit` (said before reading when its length says so)."""
    length = response.content_length
    if length is not None and length > limit:
        raise FetchError(f"{url}: the answer is {shown_size(length)}, over the {shown_size(limit)} limit; refused")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise FetchError(f"{url}: the answer is over the {shown_size(limit)} limit; refused")
        chunks.append(chunk)
    return b"".join(chunks)
