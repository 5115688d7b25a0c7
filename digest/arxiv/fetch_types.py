"""What fetching a source gives: an answer, or one line saying why there is none, and how long a busy host asked to
wait (its Retry-After). A leaf, shared by the fetcher and the reader of local feed files."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

# How a host that no request reached is said when it is left alone; a source skipped for it failed to connect too.
UNREACHED = "(arXiv unreachable)"
# ... and one that took the connection and did not answer in time: a slow server, not a network out of reach.
SLOW = "(arXiv slow to answer)"
# The longest a host's Retry-After is waited for (and kept in the turn file): a longer one is not arXiv's own.
LONGEST_WAIT_SECONDS = 2 * 86400.0


class FetchError(Exception):
    """The source could not be read (network, refusal, too large); the message is one line.

    `unreachable_host` is set when the host name could not be resolved (`unresolved`) or no try reached it, and
    `busy_host` when the host kept answering 429 or 5xx past the retries (or asked to wait longer than a pass does):
    no other source on it is worth a try in this pass."""

    def __init__(
        self,
        message: str,
        *,
        unreachable_host: str | None = None,
        busy_host: str | None = None,
        unresolved: bool = False,
        unusable: str | None = None,
        retry_at: datetime | None = None,
        slow: bool = False,
    ) -> None:
        """`unusable`: with `unreachable_host`, why no request reaches it (its TLS), as a source skipped says.
        `retry_at`: when the host asked (a Retry-After longer than the fetcher waits) to be asked again.
        `slow`: with `unreachable_host`, its last try took the connection and had no answer in time."""
        super().__init__(" ".join(message.split())[:500])
        self.unreachable_host = unreachable_host
        self.busy_host = busy_host
        self.unresolved = unresolved
        self.unusable = unusable
        self.retry_at = retry_at
        self.slow = slow

    def host_left_alone(self) -> tuple[str, str] | None:
        """The host no later request of this pass should ask, and why (as a source skipped for it says), if any."""
        if self.unreachable_host and self.unusable:
            return self.unreachable_host, self.unusable
        if self.unreachable_host and self.slow:
            return self.unreachable_host, f"{self.unreachable_host} did not answer in time {SLOW}"
        if self.unreachable_host:
            how = "resolved" if self.unresolved else "reached"
            return self.unreachable_host, f"{self.unreachable_host} could not be {how} {UNREACHED}"
        if self.busy_host:
            return self.busy_host, f"{self.busy_host} asked to be left alone (busy) and is not asked again now"
        return None


def endpoint(source: str) -> str:
    """Where a request to `source` connects: its host, and the port where the URL names one. A refused or lost
    connection says nothing of another port of the same machine (a mirror, a local server), a failed name lookup or a
    busy host's Retry-After does: those are keyed by the host alone."""
    parts = urlsplit(source)
    try:
        port = parts.port
    except ValueError:  # a port that is no number: the URL is refused when it is fetched
        port = None
    host = parts.hostname or ""
    return f"{host}:{port}" if port is not None else host


def source_key(source: str) -> str:
    """A source as the settings read it today: trimmed, and an API query's search_query trimmed within it. A poll run
    kept before they were (migrations 0021, 0022) asked " URL\n", or `search_query=+cat%3Acs.LG%0A`."""
    source = source.strip()
    address, mark, query = source.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    if not mark or not any(name == "search_query" and value != value.strip() for name, value in pairs):
        return source
    trimmed = [(name, value.strip() if name == "search_query" else value) for name, value in pairs]
    return f"{address}?{urlencode(trimmed)}"


class FetchStoppedError(FetchError):
    """The service is stopping: a retry or a wait was cut short and nothing more is asked."""


@dataclass(frozen=True)
class FetchResult:
    source: str
    status: int  # HTTP status; 200 for a local file
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    retry_after: str | None = None
    server_date: str | None = None  # a refusal's Date header: the clock its Retry-After date is read against
    answered_by: str | None = None  # the address that gave this answer, a redirect's target when one led elsewhere

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def source_line(source: str, message: str) -> str:
    """A source's failure in one line, naming the source once (a fetcher's message already starts with it)."""
    return message if message.startswith(f"{source}: ") else f"{source}: {message}"


def retry_after_seconds(value: str | None, now: datetime, server_date: str | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds in ASCII digits or an HTTP date; None for anything else
    (the caller's own back-off). Not str.isdigit alone: it takes '²' (which float() refuses) and other scripts'
    digits, which no HTTP server means as seconds. At most LONGEST_WAIT_SECONDS: hundreds of digits are infinity
    to float(), which no log line should print and no later, shorter Retry-After should have to outweigh. An HTTP date
    is read against `server_date` (the answer's Date) when it has one, as RFC 9110 says: this machine's clock may be
    off."""
    if not value:
        return None
    value = value.strip()
    if not value.isascii():
        return None
    if value.isdigit():
        return min(float(value), LONGEST_WAIT_SECONDS)
    when = _http_date(value)
    if when is None:
        return None
    now = _http_date(server_date or "") or now
    return min(max(0.0, (when - now).total_seconds()), LONGEST_WAIT_SECONDS)


def _http_date(value: str) -> datetime | None:
    if not value or not value.isascii():
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a year too long for a datetime
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def wait_words(seconds: float) -> str:
    """A Retry-After's wait as a log line says it (`retry_after_seconds`: the longest is said to be cut there)."""
    return "2 days or more (the longest wait kept)" if seconds >= LONGEST_WAIT_SECONDS else f"{seconds:.0f} s"


def shown_until(until: datetime) -> str:
    """When a hold ends, to the second it ends (rounded up) when that is not a whole minute: a hold of seconds read
    "until 20:21" at 20:21:44, a time already past."""
    ceiled = until.replace(microsecond=0) + timedelta(seconds=1 if until.microsecond else 0)
    return f"{ceiled:%Y-%m-%d %H:%M}" if ceiled.second == 0 else f"{ceiled:%Y-%m-%d %H:%M:%S}"


def asks_to_wait(why: int | str, now: datetime, seconds: float) -> str:
    """A refusal said to a person at once, not waited out: until when arXiv asks to be left alone, and `why` (the
    status it answered, or the Retry-After an earlier answer gave)."""
    return f"arXiv asks to wait until {minute_after(now, seconds)} UTC ({why}); try again then"


def left_alone_words(source: str, host: str | None, until: datetime, now: datetime, *, person: bool) -> str:
    """Why no request was made: `host` asked (a Retry-After kept in the turn file) to be left alone until `until`. To a
    person waiting (`digest add`, /suggest), as the add that was refused said it, without the API query; in a poll's
    log, the source and the host, to the second."""
    if person:
        return asks_to_wait("Retry-After", now, (until - now).total_seconds())
    said = f"{host} asked to be left alone until {shown_until(until)} UTC (Retry-After)"
    return f"{source}: {said}; not asked before then"


def minute_after(now: datetime, seconds: float) -> str:
    """When a wait of `seconds` from `now` is over, to the minute (rounded up: "try again then" must not be too soon),
    its date too when that is not today's."""
    until = now.astimezone(UTC) + timedelta(seconds=seconds)
    whole = until.replace(second=0, microsecond=0)
    until = whole if until == whole else whole + timedelta(minutes=1)
    return f"{until:%H:%M}" if until.date() == now.astimezone(UTC).date() else f"{until:%Y-%m-%d %H:%M}"
