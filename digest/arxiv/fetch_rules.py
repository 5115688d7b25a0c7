"""What the fetcher makes of an HTTP answer or a client error: a refusal to back off from, a redirect's target, a
certificate problem, and the one line that says what went wrong."""

from __future__ import annotations

import errno
import os
import ssl
from typing import TypeGuard

import aiohttp
from yarl import URL

from digest.arxiv.answering import SlowAnswerError
from digest.arxiv.fetch_types import FetchError, endpoint

# 5xx statuses another try does not change (the server does not do what was asked); every other 5xx, and 429, is the
# host saying it is busy (a 509 bandwidth limit, a CDN's 520-524): backed off, its Retry-After kept.
FINAL_5XX = frozenset({501, 505})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# A try lost on the way (timed out, refused, dropped, cut off): tried again after a back-off, unless lasting_error says
# another try would end the same way.
LOST_ON_THE_WAY = (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)


class AskedOnce:
    """One request's client middleware (aiohttp's documented `middlewares`): aiohttp asks again at once, over a new
    connection, when the server hangs up on a GET before answering, and that second request reached arXiv the moment
    the first was dropped, with no spacing at all. Here the second try is not made: the first one's error is raised
    instead, and the fetcher backs off before asking again. (With a connection of its own for every request, no try is
    lost to a kept-alive connection the server had already closed, the case that retry is meant for.)"""

    def __init__(self) -> None:
        self.lost: aiohttp.ClientConnectionError | None = None

    async def __call__(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        if self.lost is not None:
            raise self.lost
        try:
            return await handler(request)
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            self.lost = exc
            raise


def is_refusal(status: int) -> bool:
    """Whether an answer with this status is the host asking to be asked later (429, a 5xx), not the answer itself."""
    return status == 429 or (500 <= status <= 599 and status not in FINAL_5XX)


def sendable_validator(value: str | None) -> str | None:
    """An ETag or Last-Modified as the next conditional request may send it back, or None when it may not: a control
    character is refused by the HTTP client ("header injection") and bytes that are not UTF-8 cannot be stored, so
    such a validator kept would fail the feed on every poll after."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return None if any(ord(ch) < 32 or ord(ch) == 127 for ch in value) else value


def describe(exc: BaseException) -> str:
    """A client error as one short line; aiohttp's parser messages quote the offending bytes over several lines and
    carry a made-up status 400, so only their message is kept. A connection not made, and a timeout (which says
    nothing of itself), are said in words, not as aiohttp's exception ('Cannot connect to host ... ssl:default')."""
    if _not_connected(exc):
        return f"cannot connect to {exc.host}:{exc.port} ({os.strerror(exc.os_error.errno or 0).lower()})"
    if isinstance(exc, SlowAnswerError):
        return str(exc)
    if isinstance(exc, TimeoutError) and not str(exc):
        return "no answer in time (timed out)"
    if isinstance(exc, aiohttp.ClientResponseError) and not isinstance(exc, aiohttp.TooManyRedirects):
        text = " ".join(f"{type(exc).__name__}: {exc.message}".split())
    else:
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= 200 else text[:197] + "..."


def _not_connected(exc: BaseException) -> TypeGuard[aiohttp.ClientConnectorError]:
    """A connection refused, or a host or network out of reach (a name not resolved and TLS are their own case)."""
    if not isinstance(exc, aiohttp.ClientConnectorError) or isinstance(exc, aiohttp.ClientConnectorDNSError):
        return False
    return not isinstance(exc, aiohttp.ClientSSLError) and (exc.os_error.errno or 0) > 0


def redirect_target(current: str, location: str | None) -> str:
    """Where a redirect leads, or FetchError when it leads nowhere a feed may be: only http(s) with a host."""
    if not location:
        raise FetchError(f"{current}: a redirect without a Location")
    try:
        given = URL(location.strip())
        target = URL(current).join(given)
    except (ValueError, TypeError) as exc:
        raise FetchError(f"{current}: a redirect to an unusable address ({describe(exc)})") from exc
    if target.scheme not in ("http", "https") or not target.host or (given.scheme and not given.host):
        shown = location if len(location) <= 80 else location[:77] + "..."
        raise FetchError(f"{current}: a redirect to {shown!r} refused; only http(s) addresses with a host are followed")
    return str(target)


def connection_refused(exc: BaseException) -> bool:
    """Whether no address of the host took the connection (every one refused it)."""
    if not isinstance(exc, aiohttp.ClientConnectorError):
        return False
    return isinstance(exc.os_error, ConnectionRefusedError) or exc.os_error.errno == errno.ECONNREFUSED


def lasting_error(source: str, exc: aiohttp.ClientConnectorError) -> FetchError | None:
    """A try that another, seconds later, would not change, as one line: a name that does not resolve, a TLS
    certificate that is not accepted, a port that answers a TLS handshake in plain HTTP (an https:// address for a
    plain-HTTP server), or a handshake the server ends with an alert no later try changes (protocol version, handshake
    failure); None for a blip of the network."""
    host = URL(source).host
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return FetchError(f"{source}: cannot resolve {host} ({exc.os_error})", unreachable_host=host, unresolved=True)
    place = endpoint(source) if exc.host == host else f"{exc.host}:{exc.port}"  # a redirect's target: its own
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        unusable = f"{place} has a TLS certificate that is not accepted ({_certificate_problem(exc)})"
    elif isinstance(exc, aiohttp.ClientConnectorSSLError) and _not_tls(exc.os_error):
        unusable = f"{place} does not speak TLS (it answered the handshake in plain HTTP, most likely: is it http://?)"
    elif isinstance(exc, aiohttp.ClientConnectorSSLError) and _handshake_refusal(exc.os_error):
        unusable = f"{place} refused the TLS handshake ({_handshake_refusal(exc.os_error)})"
    else:
        return None
    # Every other source on that host and port would fail the same way in this pass.
    return FetchError(f"{source}: {unusable}; not tried again", unreachable_host=place, unusable=unusable)


def _not_tls(error: OSError) -> bool:
    """Whether the TLS handshake read something that is no TLS record at all (an HTTP answer, most often)."""
    return isinstance(error, ssl.SSLError) and error.reason == "WRONG_VERSION_NUMBER"


# Handshakes that end the same way at every try: the two sides share no TLS version or cipher, or the server wants
# what this client never sends. Each OpenSSL reason in a few words.
_HANDSHAKE_REFUSALS = {
    "TLSV1_ALERT_PROTOCOL_VERSION": "alert: protocol version; it speaks no TLS version this machine accepts",
    "UNSUPPORTED_PROTOCOL": "unsupported protocol; it offers only a TLS version this machine refuses",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "alert: handshake failure; no TLS version or cipher both sides accept",
    "TLSV1_ALERT_INSUFFICIENT_SECURITY": "alert: insufficient security; it wants ciphers this machine lacks",
    "NO_CIPHERS_AVAILABLE": "no cipher both sides accept",
    "NO_SHARED_CIPHER": "no cipher both sides accept",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "alert: certificate required; it wants a client certificate",
}


def _handshake_refusal(error: OSError) -> str | None:
    """What a TLS handshake that no later try would change ended with, in a few words; None for any other error."""
    return _HANDSHAKE_REFUSALS.get(str(getattr(error, "reason", ""))) if isinstance(error, ssl.SSLError) else None


def _certificate_problem(exc: aiohttp.ClientConnectorCertificateError) -> str:
    """What is wrong with a host's TLS certificate, in a few words ("self-signed certificate", "certificate has
    expired", a host name it was not made for)."""
    error = exc.certificate_error
    reason = getattr(error, "verify_message", None) or getattr(error, "reason", None) or str(error)
    text = " ".join(str(reason).split())
    return text if len(text) <= 120 else text[:117] + "..."
