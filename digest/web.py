"""The web server's shell: builds the aiohttp application, its routes, templates and security headers.

Handlers live in web_pages (the list, Markdown, health), web_feeds (RSS/Atom), web_review (approval
links, sessions) and web_review_page (the /review page).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

from digest import secretstore
from digest.admin_tokens import AdminTokensError, NamedToken, parse_admin_tokens
from digest.db import Database
from digest.review import Reviewer, utc_now
from digest.settings import ConfigError, Secrets, Settings
from digest.signin_throttle import SignInThrottle, ThrottleRule
from digest.templating import template_loader

log = logging.getLogger(__name__)

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


# Reader suggestions on /suggest per client address and hour (kept here: web_suggest imports this module).
SUGGEST_RULE = ThrottleRule(max_failures=5, window=timedelta(hours=1))


@dataclass
class WebContext:
    settings: Settings
    database: Database
    reviewer: Reviewer
    secrets: Secrets
    clock: Callable[[], datetime]
    templates: jinja2.Environment
    cache_feeds: bool = True
    feed_cache: dict[str, Any] = field(default_factory=dict)
    sign_in_throttle: SignInThrottle = field(default_factory=SignInThrottle)
    suggest_throttle: SignInThrottle = field(default_factory=lambda: SignInThrottle(SUGGEST_RULE))
    admin_tokens: tuple[NamedToken, ...] = ()  # the maintainers' named tokens (DIGEST_ADMIN_TOKENS)

    @property
    def secret_key(self) -> str:
        return str(self.secrets.secret_key)

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.settings.web.base_url).scheme == "https"

    def url(self, path: str) -> str:
        """An absolute URL on the public address (links in feeds must work outside the browser)."""
        return self.settings.web.base_url.rstrip("/") + path


CONTEXT = web.AppKey("digest_web_context", WebContext)


def context_of(request: web.Request) -> WebContext:
    return request.app[CONTEXT]


def render(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    context = context_of(request)
    body = context.templates.get_template(f"web/{template}").render(list_title=context.settings.list_title, **values)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def refuse(request: web.Request, status: int, title: str, message: str) -> web.Response:
    """A short error page; nothing of the refused thing is shown."""
    return render(request, "message.html", status=status, title=title, message=message)


# Maintainer pages: a candidate's standing, CSRF tokens and decisions must not be kept by a browser or a proxy cache,
# whatever the answer (a page, a redirect, a refusal).
def is_private_path(path: str) -> bool:
    return path in ("/review", "/history") or path.startswith(("/review/", "/approve/"))


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if is_private_path(request.path):
        response.headers["Cache-Control"] = "no-store"


def template_environment(settings: Settings) -> jinja2.Environment:
    return jinja2.Environment(
        loader=template_loader(settings.templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def create_web_app(
    settings: Settings,
    database: Database,
    reviewer: Reviewer,
    *,
    clock: Callable[[], datetime] = utc_now,
    cache_feeds: bool = True,
) -> web.Application:
    """The whole site. Secrets missing from settings are taken from (or generated into) the data folder."""
    from digest import web_feeds, web_maintainer, web_pages, web_review, web_review_page, web_suggest

    secrets = settings.secrets
    try:
        admin_tokens = parse_admin_tokens(secrets.admin_tokens)
    except AdminTokensError as exc:
        raise ConfigError([str(exc)]) from None  # stops start-up with that one line
    if not (secrets.secret_key and secrets.admin_token and secrets.feed_token):
        secrets = secretstore.ensure_secrets(settings)
        settings = replace(settings, secrets=secrets)
    app = web.Application(client_max_size=64 * 1024)
    app[CONTEXT] = WebContext(
        settings=settings,
        database=database,
        reviewer=reviewer,
        secrets=secrets,
        clock=clock,
        templates=template_environment(settings),
        cache_feeds=cache_feeds,
        admin_tokens=admin_tokens,
    )
    app.on_response_prepare.append(_add_security_headers)
    app.router.add_get("/", web_pages.list_page)
    app.router.add_get("/list.md", web_pages.list_markdown)
    app.router.add_get("/healthz", web_pages.healthz)
    app.router.add_get("/feeds/list.xml", web_feeds.list_rss)
    app.router.add_get("/feeds/list.atom", web_feeds.list_atom)
    app.router.add_get("/feeds/candidates.xml", web_feeds.candidates_rss)
    app.router.add_get("/approve/{token}", web_review.approval_page)
    app.router.add_post("/approve/{token}", web_review.approval_submit)
    app.router.add_get("/review", web_review_page.review_page)
    app.router.add_get("/review/shortcuts.js", web_review_page.shortcuts_script)
    app.router.add_post("/review/signin", web_review.sign_in)
    app.router.add_post("/review/signout", web_review.sign_out)
    app.router.add_post("/review/decide", web_review_page.review_decide)
    app.router.add_post("/review/add", web_maintainer.review_add)
    app.router.add_get("/history", web_maintainer.history_page)
    app.router.add_get("/suggest", web_suggest.suggest_page)
    app.router.add_post("/suggest", web_suggest.suggest_submit)
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Starts serving `app`; stop it with `await runner.cleanup()`. Port 0 picks a free port (see bound_port)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port the first site actually listens on (useful after serving on port 0)."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    raise RuntimeError("the web server is not listening on a TCP port")
