"""The web app on a free loopback port with a real HTTP client, a controllable clock and known secrets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from yarl import URL

from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import Candidate
from digest.web.app import bound_port, create_web_app, serve
from tests.conftest import make_settings

SECRETS_ENV = {
    "DIGEST_SECRET_KEY": "test-secret-key-0123456789abcdefghijklmnop",
    "DIGEST_ADMIN_TOKEN": "test-admin-token-0123456789abcdef",
    "DIGEST_FEED_TOKEN": "test-feed-token-0123456789abcdef",
}
APPROVE_LINK = re.compile(r'href="https?://[^"/]+(/approve/[^"]+)">([^<]*)<')


class Clock:
    """The time the app sees; tests move it forward to expire links.

    It starts at the real time because the seed list is imported with the real time as its papers' added_at.
    """

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        self.elapsed = datetime(2000, 1, 1, tzinfo=UTC)  # the steady (monotonic) reading: only time passing moves it

    def __call__(self) -> datetime:
        return self.now

    def steady(self) -> datetime:
        return self.elapsed

    def advance(self, delta: timedelta) -> None:
        self.now += delta
        self.elapsed += delta

    def step(self, delta: timedelta) -> None:
        """The wall clock set forward or back (NTP, an operator) while no time passes."""
        self.now += delta


@dataclass
class Site:
    base: str
    client: aiohttp.ClientSession
    settings: Settings
    database: Database
    reviewer: Reviewer
    clock: Clock

    def fresh_client(self) -> aiohttp.ClientSession:
        """A second browser: no cookies shared with `client` (close it)."""
        return aiohttp.ClientSession(self.base, cookie_jar=aiohttp.CookieJar(unsafe=True))

    def status_of(self, candidate_id: int) -> str:
        """The candidate's status as the database holds it now."""
        with self.database.reading() as session:
            candidate = session.get(Candidate, candidate_id)
            assert candidate is not None
            return candidate.status

    def secret_key(self) -> str:
        """The key the site signs approval links with: SECRETS_ENV's DIGEST_SECRET_KEY."""
        key = self.settings.secrets.secret_key
        assert key is not None
        return key.get_secret_value()


def site_settings(data_dir: Path, config_text: str = "") -> Settings:
    return make_settings(data_dir, config_text, environ=dict(SECRETS_ENV))


@asynccontextmanager
async def running_site(settings: Settings, *, cache_feeds: bool = True) -> AsyncIterator[Site]:
    database = open_service_database(settings)
    clock = Clock()
    reviewer = Reviewer(database, settings, clock)
    app = create_web_app(settings, database, reviewer, clock=clock, steady=clock.steady, cache_feeds=cache_feeds)
    runner = await serve(app, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{bound_port(runner)}"
    try:
        # unsafe=True: aiohttp's cookie jar otherwise ignores cookies set by an IP address such as 127.0.0.1.
        async with aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            yield Site(base, client, settings, database, reviewer, clock)
    finally:
        await runner.cleanup()
        database.dispose()


def approval_links(feed_body: str) -> list[tuple[str, str]]:
    """(path, label) of every approval link in a candidates feed (the links' HTML is escaped in the XML)."""
    import html

    return [
        (html.unescape(path), html.unescape(label)) for path, label in APPROVE_LINK.findall(html.unescape(feed_body))
    ]


async def signin_form(client: aiohttp.ClientSession, address: str = "/review") -> dict[str, str]:
    """What the sign-in form on `address` posts besides the token (its CSRF token; the client keeps the cookie it is
    tied to), as a browser that opened the form has it. `client` must not be signed in."""
    async with client.get(address) as reply:
        page = await reply.text()
    marker = 'name="csrf" value="'
    assert 'action="/review/signin"' in page and marker in page, page
    return {"csrf": page[page.index(marker) + len(marker) :].split('"', 1)[0]}


async def sign_in(site: Site, client: aiohttp.ClientSession | None = None) -> tuple[str, str]:
    """Signs `client` (default: site.client) in; returns the session cookie's value and the review page's CSRF
    token."""
    client = client or site.client
    form = {**await signin_form(client), "token": SECRETS_ENV["DIGEST_ADMIN_TOKEN"]}
    async with client.post("/review/signin", data=form) as reply:
        assert reply.status == 200 and reply.url.path == "/review"
        page = await reply.text()
    marker = 'name="csrf" value="'
    csrf = page[page.index(marker) + len(marker) :].split('"', 1)[0]
    return client.cookie_jar.filter_cookies(URL(site.base))["digest_session"].value, csrf
