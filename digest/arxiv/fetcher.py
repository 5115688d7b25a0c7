"""The one polite HTTP client for arXiv (RSS, Atom and the API), and the reader of local feed files.

Polite: it says who it is, asks only for what changed (conditional GET), makes one request at a time with at
least `min_interval_seconds` between requests across the whole process (and every process on the data folder, through
its turn file), and backs off on timeouts, dropped connections and 429/5xx (every process on the data folder alike).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from types import TracebackType

import aiohttp
from yarl import URL

from digest.arxiv.answering import RequestTry, SlowAnswerError, connection_trace, read_limited
from digest.arxiv.content_coding import decoded_body
from digest.arxiv.feedfile import read_local_file
from digest.arxiv.fetch_rules import (
    LOST_ON_THE_WAY,
    REDIRECT_STATUSES,
    AskedOnce,
    connection_refused,
    describe,
    is_refusal,
    lasting_error,
    redirect_target,
    sendable_validator,
)
from digest.arxiv.fetch_types import (
    FetchError,
    FetchResult,
    FetchStoppedError,
    asks_to_wait,
    endpoint,
    left_alone_words,
    retry_after_seconds,
    wait_words,
)
from digest.arxiv.tls_probe import tls_port_error
from digest.arxiv.turn_file import BackOffCause
from digest.arxiv.turns import LONGEST_BACK_OFF_SECONDS, pause, polite_turn, within_grace
from digest.clock import SYSTEM_CLOCK, Clock
from digest.config import ArxivSettings
from digest.sizes import counted

log = logging.getLogger(__name__)

ACCEPT = "application/rss+xml, application/atom+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.7, */*;q=0.1"
# A Retry-After beyond this is arXiv asking us to come back another time, not in this pass; also the longest back-off.
MAX_RETRY_AFTER_SECONDS = LONGEST_BACK_OFF_SECONDS
MAX_REDIRECTS = 5
# Only what the standard library decodes; a server that sends anything else (br, zstd) gets one line, not a crash.
ACCEPT_ENCODING = "gzip, deflate"
# The running service's "stop now": a retry or a spacing wait ends at once when it is set. A context variable,
# because the fetchers are made deep inside a poll (and in digest.arxiv.api and digest.arxiv.backfill) while the
# service owns the event.
STOP_WAITING: contextvars.ContextVar[asyncio.Event | None] = contextvars.ContextVar("stop_waiting", default=None)


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


class Fetcher:
    """Use as `async with Fetcher(settings.arxiv) as fetcher: await fetcher.fetch(url, etag=...)`."""

    def __init__(
        self,
        settings: ArxivSettings,
        *,
        clock: Clock = SYSTEM_CLOCK,
        backoff_base_seconds: float = 5.0,
        stop: asyncio.Event | None = None,
        turn_file: Path | None = None,
        retry_lost: bool = True,
        patience_seconds: float | None = None,
    ) -> None:
        """`turn_file`: the data folder's file that spaces requests across processes (Settings.arxiv_turn_file).
        `retry_lost=False`: a try lost on the way (refused, timed out, dropped) is not tried again, for a fetch
        that can wait for the next pass and must not hold up the poll after it. `patience_seconds`: the longest wait
        (a back-off, a Retry-After) a person waiting for this fetch sits through; a longer one is said at once."""
        self.settings, self.retry_lost, self.patience = settings, retry_lost, patience_seconds
        self.turn_file = turn_file
        self.clock = clock
        self.backoff_base = backoff_base_seconds
        self.stop = stop if stop is not None else STOP_WAITING.get()
        self._session: aiohttp.ClientSession | None = None
        # The placeholder contact names nobody: better no address than one arXiv could not write to.
        contact = "" if settings.contact_is_placeholder else f" (mailto:{settings.contact})"
        self.user_agent = f"{settings.user_agent}{contact}"

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
                # A connection of its own for every request: at one request every 3 s keeping one alive saves little.
                connector=aiohttp.TCPConnector(force_close=True),
                trace_configs=[connection_trace()],
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout_seconds),
                headers={"User-Agent": self.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
                auto_decompress=False,  # decoded_body: aiohttp takes a cut-off gzip for whole
            )
        return self._session

    async def fetch(self, source: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """One answer for a URL or a local file; raises FetchError (one line) for anything that is not an answer.

        Timeouts, dropped connections and 429/5xx are tried again with back-off; a name that does not resolve, a
        certificate that is not accepted and a garbled answer are not (another try would say the same);
        FetchStoppedError when the service stops meanwhile."""
        if self.stop is not None and self.stop.is_set():  # checked here too: no spacing wait may come to check it
            raise FetchStoppedError(f"{source}: not asked, the service is stopping")
        if not is_url(source):
            return await asyncio.to_thread(read_local_file, source, self.settings.max_response_bytes)
        attempts = self.settings.max_retries + 1
        last_problem = ""
        # The last try was answered 429/5xx (the host said it is busy), not lost on the way; or lost after connecting.
        refused = slow = False
        busy_host: str | None = None  # the host that answered so: a redirect's target, when one led elsewhere
        for attempt in range(attempts):
            delay: float | None = None
            # Doubling, 10 min at most (the exponent kept small: a huge max_retries must not overflow the float).
            backoff = min(self.backoff_base * 2 ** min(attempt, 30), MAX_RETRY_AFTER_SECONDS)
            try:
                result = await self._one_try(source, etag, last_modified, backoff)
            except LOST_ON_THE_WAY as exc:
                last_problem, refused = self._lost_on_the_way(source, exc), False
                slow = isinstance(exc, SlowAnswerError)
            except (aiohttp.ClientError, ValueError, UnicodeError) as exc:
                # A garbled status line or header, a bad chunk, an unknown encoding: the answer is broken, not late.
                raise FetchError(f"{source}: a broken answer: {describe(exc)}") from exc
            else:
                if result.not_modified and not (etag or last_modified):
                    # Nothing was asked to compare with (a misbehaving cache): no answer was read, so no quiet day.
                    raise FetchError(f"{source}: HTTP 304 (not modified) to a request that named no earlier answer")
                if not is_refusal(result.status):
                    return result
                last_problem, refused = f"HTTP {result.status}", True
                busy_host = URL(result.answered_by or source).host
                delay = retry_after_seconds(result.retry_after, self.clock.now(), result.server_date)
                if self.patience is not None and (wait := max(backoff, delay or 0.0)) > self.patience:
                    # A person waits: said at once. Kept for every process (_asked_in_turn): nothing is asked till then.
                    raise FetchError(asks_to_wait(result.status, self.clock.now(), wait), busy_host=busy_host)
            if attempt + 1 >= attempts:
                break
            if delay is not None and delay > MAX_RETRY_AFTER_SECONDS:
                reason = f"{last_problem}, asked to retry after {wait_words(delay)}"
                retry_at = self.clock.now() + timedelta(seconds=delay)
                raise FetchError(f"{source}: {reason}; giving up for now", busy_host=busy_host, retry_at=retry_at)
            wait = max(backoff, delay or 0.0)
            log.info("fetch %s: %s; retrying in %.0f s (%d/%d)", source, last_problem, wait, attempt + 1, attempts - 1)
            try:
                await pause(self.clock, wait, self.stop)
            except FetchStoppedError as exc:
                raise FetchStoppedError(f"{source}: {last_problem}; not retried, the service is stopping") from exc
        # Every try lost on the way (refused, timed out, dropped): the host is as unreachable as an unresolved one,
        # and its other feeds would each wait through the same round of retries for nothing.
        raise FetchError(
            f"{source}: {last_problem} after {counted(attempts, 'attempt')}",
            busy_host=busy_host if refused else None,
            unreachable_host=None if refused else endpoint(source),
            slow=slow and not refused,
        )

    async def _one_try(self, source: str, etag: str | None, last_modified: str | None, backoff: float) -> FetchResult:
        """One try, `backoff` the wait after it should it be refused or lost; a failure another try seconds later
        would not change (fetch_rules.lasting_error) is FetchError, not to be retried."""
        try:
            return await self._follow(source, etag, last_modified, backoff)
        except aiohttp.ClientConnectorError as exc:
            lasting = lasting_error(source, exc)
            if lasting is None:
                raise
            raise lasting from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:  # connected, then hung up on
            lasting = await tls_port_error(source)
            if lasting is None:
                raise
            raise lasting from exc

    def _lost_on_the_way(self, source: str, exc: BaseException) -> str:
        """What a try lost on the way says, to be retried; FetchError when this fetcher does not retry such tries."""
        if self.retry_lost:
            return describe(exc)
        # A refused connection is a host nothing listens on: later requests in this pass would be refused too.
        host = endpoint(source) if connection_refused(exc) else None
        raise FetchError(f"{source}: {describe(exc)}; not tried again", unreachable_host=host) from exc

    async def _follow(self, source: str, etag: str | None, last_modified: str | None, backoff: float) -> FetchResult:
        """The answer at `source`, following at most MAX_REDIRECTS redirects, each to an http(s) address. Each hop is
        a request of its own, in a turn of its own: it waits the interval after the answer that led to it, as any next
        request does, and is not made to a host that asked to be left alone."""
        url = source
        for _hop in range(MAX_REDIRECTS + 1):
            result, location = await self._asked_in_turn(source, url, (etag, last_modified), backoff)
            if location is None:
                return replace(result, source=source, answered_by=url)
            url = redirect_target(url, location)
        raise FetchError(f"{source}: more than {MAX_REDIRECTS} redirects; refused")

    async def _asked_in_turn(
        self, source: str, url: str, validators: tuple[str | None, str | None], backoff: float
    ) -> tuple[FetchResult, str | None]:
        """One request to `url` in its turn, once the back-off from its host (or host:port) another process or an
        earlier pass began is over (without it, a `digest add` asked arXiv 3 s after the service's poll was answered
        503, not 5 s); not made when the host asked (a Retry-After) to be left alone till later. A refusal's
        Retry-After, and the `backoff` a refusal or a request lost on the way begins, are kept for every later request
        (this process's and the others'), under the host that refused or the host:port that was lost."""
        host, place = URL(url).host, endpoint(url)
        interval = self.settings.min_interval_seconds
        waits = (self.stop, self.turn_file, (host or "", place), url, self.patience)
        async with polite_turn(self.clock, interval, *waits) as turn:
            turn.forget_past(self.clock.now())
            if (until := turn.busy_until(host, now := self.clock.now())) is not None:
                person = self.patience is not None
                raise FetchError(left_alone_words(source, host, until, now, person=person), busy_host=host)
            try:
                result, location = await within_grace(self._request(url, *validators), self.stop, source)
            except LOST_ON_THE_WAY as exc:
                if not (isinstance(exc, aiohttp.ClientConnectorError) and lasting_error(url, exc)):
                    turn.back_off(place, backoff, self.clock.now(), BackOffCause.LOST)
                raise
            if is_refusal(result.status):
                now = self.clock.now()
                turn.back_off(host, backoff, now)
                delay = retry_after_seconds(result.retry_after, now, result.server_date)
                if delay:
                    turn.leave_alone(host, delay, now)
            return result, location

    async def _request(self, url: str, etag: str | None, last_modified: str | None) -> tuple[FetchResult, str | None]:
        """One request: the answer, or the Location of a redirect (second item) to follow."""
        limit = self.settings.max_response_bytes
        headers: dict[str, str] = {}
        # Exactly as the server sent them, weak prefix and quotes included; one an earlier version kept that cannot
        # be sent (a control character) is left out, and the whole feed asked for.
        if etag := sendable_validator(etag):
            headers["If-None-Match"] = etag
        if last_modified := sendable_validator(last_modified):
            headers["If-Modified-Since"] = last_modified
        once = (AskedOnce(),)  # a dropped request is not asked again at once behind the fetcher's back
        tried = RequestTry()  # a timeout after its connection was made is a slow server, not the network
        asked = self._client().get(
            url, headers=headers, allow_redirects=False, middlewares=once, trace_request_ctx=tried
        )
        async with tried.timed(self.settings.timeout_seconds), asked as response:
            if response.status in REDIRECT_STATUSES:
                return FetchResult(url, response.status, b""), response.headers.get("Location", "")
            if is_refusal(response.status):
                # Only the Retry-After matters for a retry; the body is not read.
                retry_after, date = response.headers.get("Retry-After"), response.headers.get("Date")
                return FetchResult(url, response.status, b"", retry_after=retry_after, server_date=date), None
            body = await read_limited(response, url, limit)
            result = FetchResult(
                source=url,
                status=response.status,
                body=decoded_body(url, body, response.headers.get("Content-Encoding"), limit),
                etag=sendable_validator(response.headers.get("ETag")),
                last_modified=sendable_validator(response.headers.get("Last-Modified")),
                content_type=response.headers.get("Content-Type"),
            )
            return result, None


__all__ = [
    "STOP_WAITING",
    "SYSTEM_CLOCK",
    "Clock",
    "FetchError",
    "FetchResult",
    "FetchStoppedError",
    "Fetcher",
    "is_url",
    "pause",
    "polite_turn",
    "retry_after_seconds",
]
