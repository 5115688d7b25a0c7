"""The web server's shell: builds the aiohttp application, its routes, templates and security headers.

Handlers live in pages (the list, Markdown, health), feeds (RSS/Atom), private_feed (the candidates feed), approval
(approval links), review (sessions), review_page (the /review page), review_actions (its forms), maintainer (/history,
adding) and suggest; what they share is in context.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime

import jinja2
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, InvalidURLError
from sqlalchemy.exc import SQLAlchemyError

from digest.arxiv.turns import STOP_GRACE_SECONDS
from digest.clock import steady_now, utc_now
from digest.config import ConfigError, Settings, secretstore
from digest.config.admin_tokens import AdminTokensError, parse_admin_tokens
from digest.review.reviewer import Reviewer
from digest.storage.db import Database
from digest.templating import shown, template_loader
from digest.web import approval as web_approval
from digest.web import database_use
from digest.web import feeds as web_feeds
from digest.web import hosts as web_hosts
from digest.web import list_notices as web_list_notices
from digest.web import maintainer as web_maintainer
from digest.web import pages as web_pages
from digest.web import private_feed as web_private_feed
from digest.web import review as web_review
from digest.web import review_actions as web_review_actions
from digest.web import review_page as web_review_page
from digest.web import review_refusals as web_review_refusals
from digest.web import suggest as web_suggest
from digest.web.context import (
    CONTEXT,
    FORM_LIMIT,
    SECURITY_HEADERS,
    WebContext,
    refuse,
    said_reachable,
    unreachable,
)
from digest.web.filters import PAGE_FILTERS
from digest.web.listening import bind_web_address, close_all

log = logging.getLogger(__name__)


class _MalformedRequests(logging.Filter):
    """aiohttp logs a request it cannot parse as an error with a traceback, its message quoting the raw line: the
    request line (the private feed's token, an approval link) or a header (the session cookie). Such a request is
    anyone's mistake or probe, and is one line here, saying what was wrong and quoting nothing of it."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            what = _unquoted(error.message) if error.message else "unreadable"
            if isinstance(error, InvalidURLError) and "\n" not in error.message:
                what = "Invalid URL"  # its message is the request's address alone (a token's link)
            client = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg, record.args = "web: refused a malformed request from %s (%s: %s)", (client, error.code, what)
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            record.exc_info, record.exc_text = None, None
        return True


def _unquoted(message: str) -> str:
    """The parser's whole reason, on one line, before the first part of the request it quotes: "Got more than 8190
    bytes when reading: bytearray(b'/feeds/...?token=...')", "Invalid char in url query:" with the line next, "Bad
    status line:" then llhttp's reason then the line; an apostrophe inside a word ("can't be") quotes nothing."""
    said: list[str] = []
    for line in message.splitlines():
        kept = _QUOTED.split(line.strip(), maxsplit=1)[0].strip()
        if kept:
            said.append(kept.rstrip(":").strip())
        if kept != line.strip():
            break
    return ": ".join(said).removesuffix(".") or "unreadable"


# Where a reason starts quoting the request: Python's repr of its text (b'..', '..', bytearray(b'..')).
_QUOTED = re.compile(r"""(?:^|(?<=[\s(]))(?:bytearray\()?b?['"]""")


SERVER_LOG = logging.getLogger("digest.web.server")  # aiohttp's connection handling logs here (see serve)
SERVER_LOG.addFilter(_MalformedRequests())


# Maintainer pages: a candidate's standing, CSRF tokens and decisions must not be kept by a browser or a proxy cache,
# whatever the answer (a page, a redirect, a refusal).
def is_private_path(path: str) -> bool:
    return path in ("/review", "/history") or path.startswith(("/review/", "/approve/"))


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if is_private_path(request.path):
        response.headers["Cache-Control"] = "no-store"


@web.middleware
async def _database_failures(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A database failure no handler answered itself (the decisions say what was not written) is a 503 page; a request
    the database answered after an outage says that it is over. One that asked it nothing (the review page's script,
    a redirect, a missing page) says nothing of it: each ended the outage, and the next page view began it again."""
    with database_use.recorded() as use:
        try:
            response = await handler(request)
        except SQLAlchemyError as exc:
            return unreachable(request, exc)
    if use.connected and response.status < 500:  # /healthz and a decision not written answer 503 themselves
        said_reachable(request)
    return response


@web.middleware
async def _unknown_addresses(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """An address no route serves (a mistyped or stale link), or one asked with a method it does not answer (a POST
    to the list), is the site's own page with the way back to the list, where aiohttp answered a bare "404: Not Found"
    or "405: Method Not Allowed" in plain text; nothing of the request is shown, the 405's Allow header is kept."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return refuse(request, 404, "Not found", UNKNOWN_ADDRESS)
    except web.HTTPMethodNotAllowed as exc:
        page = refuse(request, 405, "Method not allowed", WRONG_METHOD)
        page.headers["Allow"] = ",".join(sorted(exc.allowed_methods))
        return page


UNKNOWN_ADDRESS = "There is no page at this address: a link to it is out of date, or it was mistyped."
WRONG_METHOD = "This page cannot be asked that way: open it with a link, or send its form from the site."


def template_environment(settings: Settings) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=template_loader(settings.templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=shown,
    )
    environment.filters.update(PAGE_FILTERS)
    return environment


def create_web_app(
    settings: Settings,
    database: Database,
    reviewer: Reviewer,
    *,
    clock: Callable[[], datetime] = utc_now,
    steady: Callable[[], datetime] = steady_now,
    cache_feeds: bool = True,
) -> web.Application:
    """The whole site. Secrets missing from settings are taken from (or generated into) the data folder."""
    named = settings.secrets.admin_tokens
    try:
        admin_tokens = parse_admin_tokens(named.get_secret_value() if named else None)
    except AdminTokensError as exc:
        raise ConfigError(exc.problems) from None  # stops start-up with that one line
    secrets = secretstore.ensure_secrets(settings)  # no file is read when the environment sets all three
    settings = settings.model_copy(update={"secrets": secrets})
    app = web.Application(
        client_max_size=FORM_LIMIT,
        middlewares=[web_hosts.known_hosts_only, _unknown_addresses, _database_failures],
    )
    app[CONTEXT] = WebContext(
        settings=settings,
        database=database,
        reviewer=reviewer,
        secrets=secrets,
        clock=clock,
        steady=steady,
        templates=template_environment(settings),
        cache_feeds=cache_feeds,
        admin_tokens=admin_tokens,
    )
    database_use.watch(database.engine)
    app.on_response_prepare.append(_add_security_headers)
    app.router.add_get("/", web_pages.list_page)
    app.router.add_get("/list.md", web_pages.list_markdown)
    app.router.add_get("/healthz", web_pages.healthz)
    app.router.add_get("/feeds/list.xml", web_feeds.list_rss)
    app.router.add_get("/feeds/list.atom", web_feeds.list_atom)
    app.router.add_get("/feeds/candidates.xml", web_private_feed.candidates_rss)
    app.router.add_get("/approve/{token}", web_approval.approval_page)
    app.router.add_post("/approve/{token}", web_approval.approval_submit)
    app.router.add_get("/review", web_review_page.review_page)
    app.router.add_get("/review/shortcuts.js", web_review_page.shortcuts_script)
    app.router.add_post("/review/signin", web_review.sign_in)
    app.router.add_post("/review/signout", web_review.sign_out)
    app.router.add_post("/review/decide", web_review_actions.review_decide)
    app.router.add_get(web_review_actions.REJECT_CONFIRM, web_review_actions.reject_confirm_page)
    app.router.add_post("/review/add", web_maintainer.review_add)
    app.router.add_post(web_list_notices.DISMISS, web_list_notices.dismiss_posted)
    app.router.add_get(web_review_refusals.REFUSED, web_review.refused_page)
    for address in ("/review/signin", "/review/signout", "/review/decide", "/review/add", web_list_notices.DISMISS):
        app.router.add_get(address, web_review.form_address)
    app.router.add_get("/history", web_maintainer.history_page)
    app.router.add_get("/suggest", web_suggest.suggest_page)
    app.router.add_post("/suggest", web_suggest.suggest_submit)
    return app


# What the stop (runner.cleanup) gives a request in flight (a form whose body is still arriving, a page a client reads
# slowly) before cancelling it, and aiohttp gives a cancelled one as long again: within the service's one grace. Its
# default, a minute, held `digest run`'s stop past docker stop's 10 s.
REQUEST_GRACE_SECONDS = STOP_GRACE_SECONDS / 2


async def serve(
    app: web.Application, host: str, port: int, sockets: list[socket.socket] | None = None
) -> web.AppRunner:
    """Starts serving `app` on `sockets` bound before (listening.bind_web_address), else on host:port, bound now; stop
    it with `await runner.cleanup()` (within STOP_GRACE_SECONDS). Port 0 picks a free port (see bound_port)."""
    bound = sockets if sockets is not None else bind_web_address(host, port)
    runner = web.AppRunner(app, access_log=None, logger=SERVER_LOG, shutdown_timeout=REQUEST_GRACE_SECONDS)
    try:
        await runner.setup()
        for sock in bound:
            await web.SockSite(runner, sock).start()
    except BaseException as exc:
        await runner.cleanup()
        close_all(bound)
        if isinstance(exc, OSError):  # another process listened there first, between the bind and now
            raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
        raise
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port the first site actually listens on (useful after serving on port 0)."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("the web server is not listening on a TCP port")
