"""What every web handler shares, a leaf of the web package: the per-application context (settings, database,
reviewer, secrets, clock, templates, throttles) and the helpers that render a page or a refusal from it.

The application (`web.app`) imports the handlers, and the handlers import this module, never the application.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from digest import outage
from digest.clock import steady_now
from digest.config import Settings, StartedSecrets
from digest.config.admin_tokens import NamedToken
from digest.config.invocation import ASTERISKS_NOTE, hides_a_password
from digest.review.reviewer import Reviewer
from digest.review.rules import Outcome
from digest.sizes import shown_size
from digest.storage.db import Database
from digest.storage.failures import failure_line
from digest.web.throttle import SignInThrottle, ThrottleRule, client_address, trusted_networks

log = logging.getLogger("digest.web")

SECURITY_HEADERS = {
    # No scripts, no frames, no third-party anything: the pages are plain HTML with one inline style block.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Approval links and the feed token travel in URLs; no Referer header may carry them elsewhere.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


# The largest request body the site reads (the application's client_max_size): forms are short.
FORM_LIMIT = 64 * 1024

# Reader suggestions on /suggest per client address and hour (the context builds the throttle).
SUGGEST_RULE = ThrottleRule(max_failures=5, window=timedelta(hours=1))
# ... and from every address together (`web.suggestions_per_hour` of them): a flood from many addresses must not fill
# the review queue (nor keep the arXiv client busy for hours). Counted under one key, EVERYONE.
SUGGEST_TOTAL_WINDOW = timedelta(hours=1)
EVERYONE = "*"


@dataclass
class WebContext:
    settings: Settings
    database: Database
    reviewer: Reviewer
    secrets: StartedSecrets
    clock: Callable[[], datetime]
    templates: jinja2.Environment
    # What the throttles time their windows by: a wall clock set forward must not lift a lock-out, nor set back
    # stretch one for hours.
    steady: Callable[[], datetime] = steady_now
    cache_feeds: bool = True
    feed_cache: dict[str, Any] = field(default_factory=dict)
    # The list feeds as last served, cached or not: each next Last-Modified is dated from it (feeds.RenderedFeed.after).
    feed_served: dict[str, Any] = field(default_factory=dict)
    sign_in_throttle: SignInThrottle = field(default_factory=SignInThrottle)
    suggest_throttle: SignInThrottle = field(default_factory=lambda: SignInThrottle(SUGGEST_RULE))
    suggest_total: SignInThrottle = field(init=False)
    admin_tokens: tuple[NamedToken, ...] = ()  # the maintainers' named tokens (DIGEST_ADMIN_TOKENS)
    proxy_warned: bool = False  # the line about an X-Forwarded-For no proxy is trusted for, said once
    telling: set[asyncio.Future[Any]] = field(default_factory=set)  # listeners told of a decision, still at it
    outage: outage.Outage | None = None  # since when requests find the database unreachable (said_unreachable)

    def __post_init__(self) -> None:
        limit = self.settings.web.suggestions_per_hour
        self.suggest_total = SignInThrottle(ThrottleRule(max_failures=limit, window=SUGGEST_TOTAL_WINDOW))

    @property
    def secret_key(self) -> str:
        return self.secrets.secret_key.get_secret_value()

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.settings.web.base_url).scheme == "https"

    def url(self, path: str) -> str:
        """An absolute URL on the public address (links in feeds must work outside the browser)."""
        return self.settings.web.base_url.rstrip("/") + path


CONTEXT = web.AppKey("digest_web_context", WebContext)


def context_of(request: web.Request) -> WebContext:
    return request.app[CONTEXT]


def client_of(request: web.Request) -> str:
    """The address the throttles count this request against (web.throttle.client_address): every X-Forwarded-For
    line counts, in order, and only through the configured proxies."""
    context = context_of(request)
    proxies = trusted_networks(context.settings.web.trusted_proxies)
    forwarded = request.headers.getall("X-Forwarded-For", [])
    if forwarded and not proxies and not context.proxy_warned and _nearby(request.remote):
        # Behind a reverse proxy left out of the config, every reader has the proxy's address: five wrong guesses
        # lock every maintainer out of signing in, and five suggestions pause /suggest for all.
        context.proxy_warned = True
        log.warning(
            "web: requests from %s carry X-Forwarded-For but web.trusted_proxies is empty, so every client behind that "
            "proxy counts as %s for the sign-in lock-out and the /suggest limit; list the proxy in web.trusted_proxies",
            request.remote,
            request.remote,
        )
    return client_address(request.remote, forwarded, proxies)


def _nearby(remote: str | None) -> bool:
    """An address a reverse proxy in front of the service has: this machine or a private network."""
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    return address.is_loopback or address.is_private


# How long a page waits for the decision's listeners (the Discord message's edit, publishing) before it answers.
LISTENERS_WAIT_SECONDS = 2.0


async def tell_listeners(context: WebContext, *outcomes: Outcome) -> None:
    """Tells the Reviewer's listeners of the decisions, waiting for them LISTENERS_WAIT_SECONDS at most: Discord slow
    to answer, or holding the bot to its edit rate (five a channel in five seconds), kept the maintainer's page
    spinning with the decision made long since. What is not done by then goes on in the background."""
    if not outcomes:
        return
    telling = asyncio.ensure_future(asyncio.gather(*(context.reviewer.notify(outcome) for outcome in outcomes)))
    context.telling.add(telling)  # a task no one holds may be collected before it is done
    telling.add_done_callback(context.telling.discard)
    await asyncio.wait({telling}, timeout=LISTENERS_WAIT_SECONDS)


def render(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    """The page; one whose commands name the database with its password `***` says once, under them, what that is."""
    context = context_of(request)
    page = context.templates.get_template(f"web/{template}")
    body = page.render(list_title=context.settings.list_title, password_note="", **values)
    # Only a database named by DIGEST_DATABASE_URL is printed with a hidden password: no other page is read again.
    shown = html.unescape(body) if context.settings.database_by_variable else ""
    if hides_a_password(shown) and ASTERISKS_NOTE not in shown:  # once a page, however many commands it shows
        body = page.render(list_title=context.settings.list_title, password_note=ASTERISKS_NOTE, **values)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def refuse(request: web.Request, status: int, title: str, message: str, back: str = "/") -> web.Response:
    """A short error page linking `back` (a path on this site); nothing of the refused thing is shown."""
    return render(request, "message.html", status=status, title=title, message=message, back=back)


def from_another_site(request: web.Request) -> bool:
    """Whether the browser says a page on another site posted the form (its Sec-Fetch-Site, or from an older browser
    its Origin): such a page must not suggest papers through a reader's browser, nor decide through a maintainer's
    (a page on another port of the same host is "same-site", and the browser sends it this site's cookies). A client
    that is no browser sends neither and speaks for itself. Origin "null" is this site's own form too: its no-referrer
    policy makes browsers send that."""
    fetched = request.headers.get("Sec-Fetch-Site", "").lower()
    if fetched:
        return fetched not in ("same-origin", "none")
    origin = request.headers.get("Origin", "")
    if not origin or origin == "null":
        return False
    try:
        host = urlsplit(origin).netloc.lower()
    except ValueError:
        return True
    return host not in (request.host.lower(), urlsplit(context_of(request).settings.web.base_url).netloc.lower())


def logged_path(request: web.Request) -> str:
    """The request's path as a log line shows it: an approval link's token left out (whoever reads the log could
    approve or reject with it until it expires)."""
    return "/approve/…" if request.path.startswith("/approve/") else request.path


def not_written(request: web.Request, exc: Exception, back: str, done: str = "Nothing was changed") -> web.Response:
    """A decision the database did not take (its write lock held by another process past the busy timeout, a full
    disk): a 503 page saying what was `done` and why, where a bare 500 left the maintainer guessing whether it was
    made. The decision's transaction rolled back."""
    line = failure_line(exc, context_of(request).settings.database_url)
    log.warning("%s %s: the database could not be written: %s", request.method, logged_path(request), line)
    return refuse(request, 503, "Not done", f"{done}: the database could not be written: {line}.", back)


UNREACHABLE = "The list's database cannot be reached just now; please try again in a few minutes."


def unreachable(request: web.Request, exc: Exception) -> web.Response:
    """A request the database could not answer (a lost volume, a file moved away, PostgreSQL down or restarting): 503
    with a Retry-After, where a bare 500 and a traceback of SQL came for every page view and every feed reader's poll.
    The reason is for the operator's log (said_unreachable) and /healthz, not the page: the pages are public."""
    said_unreachable(request, failure_line(exc, context_of(request).settings.database_url))
    back = "/review" if request.path.startswith("/review") else "/"
    response = refuse(request, 503, "Unavailable", UNREACHABLE, back)
    response.headers["Retry-After"] = "60"
    return response


def said_unreachable(request: web.Request, line: str) -> None:
    """One warning an outage, naming the request that found it, then a reminder at most every REMINDER_INTERVAL: one
    a request (a monitor's /healthz, every feed reader's poll) filled a night of PostgreSQL maintenance with them."""
    context = context_of(request)
    context.outage, say = outage.failed(context.outage, context.clock())
    if say is outage.Say.BEGUN:
        log.warning(
            "%s %s: the database cannot be reached: %s; requests are answered 503 until it can (said again every %s)",
            *(request.method, logged_path(request), line, outage.lasted(outage.REMINDER_INTERVAL)),
        )
    elif say is outage.Say.STILL:
        log.warning("web: the database cannot be reached: %s: %s", line, outage.still_line(context.outage))


def said_reachable(request: web.Request) -> None:
    """A request the database answered after an outage: its end said once, with how long it lasted."""
    context = context_of(request)
    if context.outage is not None:
        log.info("web: the database answers again, %s", outage.over_line(context.outage, context.clock()))
        context.outage = None


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NOT_A_FORM = (
    f"This was not sent as a form ({' or '.join(FORM_TYPES)}), so nothing was changed: send it as the page does."
)


async def form_of(request: web.Request) -> dict[str, str] | web.Response:
    """The posted form's text fields, or a 400 page when the body cannot be read as a form (a charset nobody knows,
    bytes that are not that charset, a multipart body without its boundary) or sends a field twice (which one was
    meant?), a 415 when it is no form at all (JSON, plain text): the sender's mistake, not a 500 nor a page blaming
    an empty form (a stale CSRF token, no arXiv ID)."""
    back = "/review" if request.path.startswith("/review") else "/"  # a maintainer's form leads back to their page
    if request.body_exists and request.content_type not in FORM_TYPES:
        log.info("%s %s: a body sent as %s, not a form", request.method, logged_path(request), request.content_type)
        return refuse(request, 415, "Form refused", NOT_A_FORM, back)
    try:
        posted = await request.post()
    except ConnectionResetError:  # aiohttp's word for a body cut short: one line, not an ERROR and a traceback
        log.info(
            "%s %s: the client went away before its form arrived; nothing was done",
            request.method,
            logged_path(request),
        )
        raise web.HTTPBadRequest() from None  # no one is left to read an answer
    except web.HTTPRequestEntityTooLarge:
        # aiohttp's own answer was a plain-text 413, unlike every other refusal, with no way back to the page.
        log.info("%s %s: form body over the %s limit", request.method, logged_path(request), shown_size(FORM_LIMIT))
        message = (
            f"The form was larger than this site takes ({shown_size(FORM_LIMIT)}). "
            "Nothing was changed: shorten what you wrote and send it again."
        )
        return refuse(request, 413, "Too large", message, back)
    # UnicodeDecodeError is a ValueError; a multipart part whose headers do not parse is an HttpProcessingError.
    except (ValueError, LookupError, HttpProcessingError) as exc:
        log.info("%s %s: unreadable form body (%s)", request.method, logged_path(request), type(exc).__name__)
        return refuse(
            request, 400, "Form refused", "The form's body could not be read: send it as the page does.", back
        )
    fields = [(key, value) for key, value in posted.items() if isinstance(value, str)]
    repeated = next((key for key, count in Counter(key for key, _ in fields).items() if count > 1), None)
    if repeated is not None:
        named = f'the field "{repeated}"' if repeated.isascii() and repeated.isidentifier() else "a field"
        message = f"The form sent {named[:60]} more than once, so nothing was changed: send it as the page does."
        return refuse(request, 400, "Form refused", message, back)
    return dict(fields)
