"""The one polite HTTP client for arXiv (RSS, Atom and the API), and the reader of local feed files.

Polite: it says who it is, asks only for what changed (conditional GET), makes one request at a time with at
least `min_interval_seconds` between requests across the whole process, and backs off on 429/5xx/timeouts.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit
from urllib.request import url2pathname

import aiohttp

from digest.settings import ArxivSettings

log = logging.getLogger(__name__)

ACCEPT = "application/rss+xml, application/atom+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.7, */*;q=0.1"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A Retry-After beyond this is arXiv asking us to come back another time, not in this pass.
MAX_RETRY_AFTER_SECONDS = 600.0
READ_CHUNK = 64 * 1024


class FetchError(Exception):
    """The source could not be read (network, refusal, too large); the message is one line."""


class Clock:
    """Time as the fetcher and poller see it; tests pass a clock whose `sleep` only moves time forward."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = Clock()


class _Spacing:
    """When the last request to arXiv ended, per clock, so every fetcher in the process keeps its distance."""

    def __init__(self) -> None:
        self.last_end: float | None = None
        self.locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


_spacings: weakref.WeakKeyDictionary[Clock, _Spacing] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def polite_turn(clock: Clock, interval: float) -> AsyncIterator[None]:
    """One request at a time, starting at least `interval` seconds after the previous one ended."""
    spacing = _spacings.setdefault(clock, _Spacing())
    lock = spacing.locks.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock:
        if spacing.last_end is not None:
            wait = spacing.last_end + interval - clock.monotonic()
            if wait > 0:
                await clock.sleep(wait)
        try:
            yield
        finally:
            spacing.last_end = clock.monotonic()


@dataclass(frozen=True)
class FetchResult:
    source: str
    status: int  # HTTP status; 200 for a local file
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    retry_after: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _local_path(source: str) -> Path:
    if source.startswith("file://"):
        return Path(url2pathname(urlsplit(source).path))
    return Path(source).expanduser()


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class Fetcher:
    """Use as `async with Fetcher(settings.arxiv) as fetcher: await fetcher.fetch(url, etag=...)`."""

    def __init__(
        self,
        settings: ArxivSettings,
        *,
        clock: Clock = SYSTEM_CLOCK,
        backoff_base_seconds: float = 5.0,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.backoff_base = backoff_base_seconds
        self._session: aiohttp.ClientSession | None = None
        self.user_agent = f"{settings.user_agent} (mailto:{settings.contact})"

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout_seconds),
                headers={"User-Agent": self.user_agent, "Accept": ACCEPT},
                auto_decompress=True,
            )
        return self._session

    async def fetch(self, source: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """One answer for a URL or a local file; raises FetchError after the retries are spent."""
        if not is_url(source):
            return self._read_file(source)
        limit = self.settings.max_response_bytes
        attempts = self.settings.max_retries + 1
        last_problem = ""
        for attempt in range(attempts):
            delay: float | None = None
            try:
                async with polite_turn(self.clock, self.settings.min_interval_seconds):
                    result = await self._request(source, etag, last_modified, limit)
            except (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                last_problem = f"{type(exc).__name__} {exc}".strip()
            else:
                if result.status not in RETRY_STATUSES:
                    return result
                last_problem = f"HTTP {result.status}"
                delay = retry_after_seconds(result.retry_after, self.clock.now())
            if attempt + 1 >= attempts:
                break
            if delay is not None and delay > MAX_RETRY_AFTER_SECONDS:
                raise FetchError(f"{source}: {last_problem}, asked to retry after {delay:.0f} s; giving up for now")
            backoff = self.backoff_base * (2**attempt)
            wait = max(backoff, delay or 0.0)
            log.info("fetch %s: %s; retrying in %.0f s (%d/%d)", source, last_problem, wait, attempt + 1, attempts - 1)
            await self.clock.sleep(wait)
        raise FetchError(f"{source}: {last_problem} after {attempts} attempts")

    async def _request(self, url: str, etag: str | None, last_modified: str | None, limit: int) -> FetchResult:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag  # exactly as the server sent it, weak prefix and quotes included
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with self._client().get(url, headers=headers, allow_redirects=True) as response:
            if response.status in RETRY_STATUSES:
                # Only the Retry-After matters for a retry; the body is not read.
                return FetchResult(url, response.status, b"", retry_after=response.headers.get("Retry-After"))
            length = response.content_length
            if length is not None and length > limit:
                raise FetchError(f"{url}: the answer is {length} bytes, over the {limit}-byte limit; refused")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_chunked(READ_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"{url}: the answer is over the {limit}-byte limit; refused")
                chunks.append(chunk)
            return FetchResult(
                source=url,
                status=response.status,
                body=b"".join(chunks),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                content_type=response.headers.get("Content-Type"),
            )

    def _read_file(self, source: str) -> FetchResult:
        path = _local_path(source)
        limit = self.settings.max_response_bytes
        try:
            size = path.stat().st_size
            if size > limit:
                raise FetchError(f"{source}: the file is {size} bytes, over the {limit}-byte limit; refused")
            return FetchResult(source, 200, path.read_bytes())
        except OSError as exc:
            raise FetchError(f"{source}: cannot read the file: {exc.strerror or exc}") from exc
