"""A stand-in for arXiv on 127.0.0.1: serves the real recorded files in tests/data/arxiv/ and programmed replies.

Per path it can answer with any status, headers, ETag/Last-Modified (and 304 when the client sends them back),
Retry-After, a sequence of replies (429, 503, then 200), a huge body, a late answer or none (a dropped connection);
every request is recorded.
Also `FakeClock`: time that moves only when the code under test sleeps, so back-off is tested without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from email.utils import format_datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from digest.clock import Clock

ARXIV_DATA = Path(__file__).resolve().parent / "data" / "arxiv"
_CHANNEL_DATES = re.compile(rb"(<(lastBuildDate|pubDate)>)[^<]*(</\2>)")


def dated_today(body: bytes) -> bytes:
    """A recorded RSS feed as arXiv serves it today: its channel's pubDate and lastBuildDate (the first of each, before
    any item) moved to today in New York. A feed read again on an announcement day that is still an earlier day's is
    arXiv being late (digest/arxiv/announcements.py not_yet_announced), so a test of a poll that goes well on any
    weekday serves today's feed, as arXiv would; the items are the recording's."""
    head, item, rest = body.partition(b"<item")
    today = datetime.now(ZoneInfo("America/New_York")).date()
    stamp = format_datetime(datetime.combine(today, day_time(0), ZoneInfo("America/New_York"))).encode()
    return _CHANNEL_DATES.sub(lambda match: match.group(1) + stamp + match.group(3), head) + item + rest


# aiohttp waits up to 60 s at clean-up for replies still being made: a test with a delayed reply (a hanging arXiv)
# would sit out the rest of that delay after its assertions. The server the test is done with answers no more.
_SHUTDOWN_SECONDS = 0.5


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    retry_after: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    stream_bytes: int | None = None  # stream this many filler bytes instead of `body`
    declare_length: bool = True  # with stream_bytes: send Content-Length up front
    delay_seconds: float = 0.0  # answer this much later (a slow arXiv), in real time
    # awaited before answering: a download that lasts until something else happened (the request is recorded first)
    before_answer: Callable[[], Awaitable[object]] | None = None
    drop: bool = False  # hang up without answering (after delay_seconds and before_answer): a connection dropped


@dataclass
class Recorded:
    path: str
    query: str
    headers: dict[str, str]
    at: float = 0.0  # when it arrived (time.monotonic(), one count for every process on the machine)
    ended: float | None = None  # when this server was done with it (answered, or hung up on); None while under way


class FakeClock(Clock):
    """Monotonic time and wall time that advance only through `sleep`, which returns at once."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start or datetime(2026, 4, 27, 4, 30, tzinfo=UTC)
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.elapsed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds
        await asyncio.sleep(0)


class ArxivServer:
    """`async with ArxivServer() as server:`; `server.url("/rss/cs.CL")`; `server.program(path, Reply(...), ...)`."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._programs: dict[str, list[Reply]] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> ArxivServer:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=_SHUTDOWN_SECONDS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def program(self, path: str, *replies: Reply) -> str:
        """Answers `path` with these replies in turn; the last one repeats. Returns the full URL."""
        self._programs[path] = list(replies)
        return self.url(path)

    def serve_file(self, path: str, relative: str, *, today: bool = False, **reply: Any) -> str:
        """Answers `path` with a real recorded file from tests/data/arxiv/ (e.g. "rss/rss_cs.CL_...xml"); `today`: as
        arXiv serves it today (dated_today)."""
        body = (ARXIV_DATA / relative).read_bytes()
        return self.program(path, Reply(body=dated_today(body) if today else body, **reply))

    def requests_to(self, path: str) -> list[Recorded]:
        return [request for request in self.requests if request.path == path]

    def _next_reply(self, path: str, query: str) -> Reply | None:
        replies = self._programs.get(f"{path}?{query}") or self._programs.get(path)
        if not replies:
            return None
        return replies.pop(0) if len(replies) > 1 else replies[0]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        recorded = Recorded(request.path, request.query_string, dict(request.headers), time.monotonic())
        self.requests.append(recorded)
        try:
            return await self._answer(request)
        finally:
            recorded.ended = time.monotonic()

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        reply = self._next_reply(request.path, request.query_string)
        if reply is None:
            return web.Response(status=404, text="not programmed")
        if reply.delay_seconds:
            await asyncio.sleep(reply.delay_seconds)
        if reply.before_answer is not None:
            await reply.before_answer()
        if reply.drop and request.transport is not None:
            request.transport.close()
            return web.Response()  # written to no one: the connection is gone
        headers = {"Content-Type": reply.content_type, **reply.headers}
        if reply.etag:
            headers["ETag"] = reply.etag
        if reply.last_modified:
            headers["Last-Modified"] = reply.last_modified
        if reply.retry_after:
            headers["Retry-After"] = reply.retry_after
        if reply.status == 200 and (
            (reply.etag and request.headers.get("If-None-Match") == reply.etag)
            or (reply.last_modified and request.headers.get("If-Modified-Since") == reply.last_modified)
        ):
            return web.Response(status=304, headers=headers)
        if reply.stream_bytes is None:
            return web.Response(status=reply.status, body=reply.body, headers=headers, content_type=None)
        return await self._stream(request, reply, headers)

    async def _stream(self, request: web.Request, reply: Reply, headers: dict[str, str]) -> web.StreamResponse:
        response = web.StreamResponse(status=reply.status, headers=headers)
        assert reply.stream_bytes is not None
        if reply.declare_length:
            response.content_length = reply.stream_bytes
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"<!-- filler -->" * 4096
        sent = 0
        try:
            while sent < reply.stream_bytes:
                await response.write(chunk)
                sent += len(chunk)
        except ConnectionError:
            pass  # the client hung up, as it should on an oversized answer
        return response


class RawServer:
    """Answers each path with exactly the bytes it is given, then hangs up: the answers no HTTP library would write
    (a garbled status line, a bad chunk size, a 70 KB header). `async with RawServer() as raw: raw.program(...)`."""

    def __init__(self) -> None:
        self.answers: dict[str, bytes] = {}
        self.paths: list[str] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def program(self, path: str, answer: bytes) -> str:
        self.answers[path] = answer
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode("ascii", "replace")
            self.paths.append(path)
            writer.write(self.answers.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, IndexError):
            pass  # the client hung up or sent nothing usable
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
