"""What fetching a source gives: an answer, or one line saying why there is none. A leaf, shared by the fetcher and
the reader of local feed files."""

from __future__ import annotations

from dataclasses import dataclass


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
    ) -> None:
        super().__init__(" ".join(message.split())[:500])
        self.unreachable_host = unreachable_host
        self.busy_host = busy_host
        self.unresolved = unresolved


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

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def source_line(source: str, message: str) -> str:
    """A source's failure in one line, naming the source once (a fetcher's message already starts with it)."""
    return message if message.startswith(f"{source}: ") else f"{source}: {message}"
