"""The /review sign-in under attack: wrong admin tokens are throttled per client address, and signing out revokes
the session in the database, so a copied cookie stops working too, also after a restart."""

from __future__ import annotations

import asyncio
import html
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from multidict import CIMultiDict
from sqlalchemy import select

from digest.review.signing import read_session
from digest.storage.state import RevokedSession
from digest.web.throttle import SignInThrottle, ThrottleRule, client_address, trusted_networks
from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site, running_site, sign_in, signin_form, site_settings

ADMIN = SECRETS_ENV["DIGEST_ADMIN_TOKEN"]
KEY = SECRETS_ENV["DIGEST_SECRET_KEY"]
LOCKED_OUT = "Too many wrong admin tokens from your address"


def client_from(site: Site, address: str) -> aiohttp.ClientSession:
    """A browser on another loopback address (127.0.0.2, ...): the server sees a different client address."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    return aiohttp.ClientSession(site.base, connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True))


async def try_token(client: aiohttp.ClientSession, token: str) -> tuple[int, str, dict[str, str]]:
    form = {**await signin_form(client), "token": token}
    async with client.post("/review/signin", data=form, allow_redirects=False) as reply:
        return reply.status, await reply.text(), dict(reply.headers)


def revocations(site: Site) -> list[tuple[str, datetime]]:
    with site.database.reading() as session:
        return [(row.session_hash, row.expires_at) for row in session.scalars(select(RevokedSession))]


@pytest.mark.asyncio
async def test_five_wrong_tokens_lock_that_address_out_until_the_window_passes(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="digest")
    for _ in range(5):
        status, page, headers = await try_token(site.client, "a wrong guess")
        assert status == 403 and "That is not the admin token." in page and "Retry-After" not in headers

    # Locked: even the right token is refused, without being looked at, and no session is made.
    status, page, headers = await try_token(site.client, ADMIN)
    assert status == 429 and headers["Retry-After"] == "900"
    assert f"{LOCKED_OUT}: try again in 15 minutes." in page and 'action="/review/signin"' in page
    assert "Set-Cookie" not in headers
    async with site.client.get("/review") as reply:
        assert 'action="/review/signin"' in await reply.text()  # still signed out

    # Another address is not affected.
    async with client_from(site, "127.0.0.2") as other:
        status, _, headers = await try_token(other, ADMIN)
        assert status == 303 and "digest_session=" in headers["Set-Cookie"]

    site.clock.advance(timedelta(minutes=14))
    status, page, headers = await try_token(site.client, ADMIN)
    assert status == 429 and headers["Retry-After"] == "60" and "try again in 1 minute." in page
    site.clock.advance(timedelta(minutes=1))
    status, _, headers = await try_token(site.client, ADMIN)
    assert status == 303 and "digest_session=" in headers["Set-Cookie"]

    lockouts = [record.getMessage() for record in caplog.records if "locked out" in record.getMessage()]
    assert lockouts == ["review: 127.0.0.1 locked out of sign-in for 15 minutes after 5 wrong admin tokens"]
    assert ADMIN not in caplog.text


@pytest.mark.asyncio
async def test_a_wall_clock_step_neither_lifts_nor_stretches_a_lock_out(site: Site) -> None:
    """The lock-out was timed by the wall clock: set forward an hour (NTP catching up, an operator fixing the time
    zone), it let a guesser who had just been locked out try again at once; set back three hours, it kept the
    maintainer at that address out for three hours and a quarter. Expected: 15 minutes of time passing, whatever the
    wall clock says."""
    for _ in range(5):
        assert (await try_token(site.client, "a wrong guess"))[0] == 403
    site.clock.step(timedelta(hours=1))
    status, _, headers = await try_token(site.client, ADMIN)
    assert status == 429 and headers["Retry-After"] == "900"
    site.clock.step(timedelta(hours=-4))  # three hours behind where it began
    site.clock.advance(timedelta(minutes=15))
    status, _, headers = await try_token(site.client, ADMIN)
    assert status == 303 and "digest_session=" in headers["Set-Cookie"]


@pytest.mark.asyncio
async def test_a_sign_in_clears_the_failures_and_old_failures_do_not_count(site: Site) -> None:
    for _ in range(4):
        assert (await try_token(site.client, "wrong"))[0] == 403
    assert (await try_token(site.client, ADMIN))[0] == 303  # clears the four
    async with site.fresh_client() as later:  # the same address, not signed in
        for _ in range(4):
            assert (await try_token(later, "wrong"))[0] == 403
        site.clock.advance(timedelta(minutes=15))  # those four have left the window
        for _ in range(4):
            assert (await try_token(later, "wrong"))[0] == 403
        assert (await try_token(later, "wrong"))[0] == 403  # the fifth within the window locks
        assert (await try_token(later, ADMIN))[0] == 429


@pytest.mark.asyncio
async def test_a_burst_of_parallel_guesses_gets_no_more_than_five_tries(site: Site) -> None:
    replies = await asyncio.gather(*(try_token(site.client, f"guess {number}") for number in range(20)))
    statuses = sorted(status for status, _, _ in replies)
    assert statuses == [403] * 5 + [429] * 15
    assert (await try_token(site.client, ADMIN))[0] == 429


def test_the_throttle_tracks_a_bounded_number_of_addresses_and_drops_stale_ones_first() -> None:
    start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    throttle = SignInThrottle(ThrottleRule(max_failures=2, window=timedelta(minutes=15), max_addresses=3))
    throttle.record_failure("10.0.0.1", start)
    throttle.record_failure("10.0.0.2", start)
    later = start + timedelta(minutes=10)
    assert not throttle.record_failure("10.0.0.9", later)
    assert throttle.record_failure("10.0.0.9", later)  # the second failure locks it
    assert throttle.retry_after("10.0.0.9", later) == timedelta(minutes=15)

    # Full; the two stale addresses go, the locked one stays.
    throttle.record_failure("10.0.0.3", start + timedelta(minutes=16))
    assert len(throttle) == 2
    assert throttle.retry_after("10.0.0.9", start + timedelta(minutes=16)) == timedelta(minutes=9)

    # A flood of fresh addresses never grows it past the cap.
    for number in range(1000):
        throttle.record_failure(f"192.0.2.{number}", start + timedelta(minutes=20))
    assert len(throttle) == 3
    assert throttle.retry_after("10.0.0.9", start + timedelta(minutes=25)) is None


@pytest.mark.asyncio
async def test_signing_out_revokes_a_copied_cookie_also_after_a_restart(tmp_path: Path) -> None:
    settings = site_settings(tmp_path / "data")
    paper = real_papers()[8]
    async with running_site(settings) as site:
        candidate_id = insert_candidate(site.database, paper)
        cookie, csrf = await sign_in(site, site.client)
        claim = read_session(KEY, cookie, site.clock())
        async with site.client.post("/review/signout", data={"csrf": csrf}) as reply:
            assert reply.status == 200 and 'action="/review/signin"' in await reply.text()
        # The table holds a hash of the session id, never the id, and keeps it until the cookie would expire.
        rows = revocations(site)
        assert len(rows) == 1
        digest, expires = rows[0]
        assert expires == claim.expires_at and len(digest) == 64 and claim.nonce not in digest
        await assert_signed_out(site, cookie, csrf, candidate_id, paper["title"])

    async with running_site(settings) as restarted:  # a new app over the same SQLite file
        await assert_signed_out(restarted, cookie, csrf, candidate_id, paper["title"])
        await sign_in(restarted, restarted.client)  # a new session works
        async with restarted.client.get("/review") as reply:
            assert paper["title"] in await reply.text()


async def assert_signed_out(site: Site, cookie: str, csrf: str, candidate_id: int, title: str) -> None:
    async with site.fresh_client() as copied:
        copied.cookie_jar.update_cookies({"digest_session": cookie})
        async with copied.get("/review") as reply:
            page = await reply.text()
        assert reply.status == 200 and 'action="/review/signin"' in page and title not in page
        form = {"candidate_id": str(candidate_id), "action": "approve", "section": "Probing", "csrf": csrf}
        async with copied.post("/review/decide", data=form) as reply:  # to the refusal's own page (Post/Redirect/Get)
            assert reply.status == 403 and "Sign in first" in await reply.text()
            assert reply.url.path == "/review/refused" and reply.history[0].status == 303
        async with copied.post("/review/signout", data=form, allow_redirects=False) as reply:
            assert reply.status == 303 and reply.headers["Location"] == "/review"  # signed out already
    assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
async def test_revocations_are_purged_once_their_cookies_have_expired(site: Site) -> None:
    _, csrf = await sign_in(site, site.client)
    async with site.client.post("/review/signout", data={"csrf": csrf}, allow_redirects=False) as reply:
        assert reply.status == 303
    first = revocations(site)
    assert len(first) == 1
    site.clock.advance(timedelta(hours=12))  # the first cookie has expired by now
    _, csrf = await sign_in(site, site.client)
    async with site.client.post("/review/signout", data={"csrf": csrf}, allow_redirects=False) as reply:
        assert reply.status == 303
    second = revocations(site)
    assert len(second) == 1 and second[0][0] != first[0][0]


def test_the_client_address_comes_from_x_forwarded_for_only_through_a_trusted_proxy() -> None:
    proxies = trusted_networks(("127.0.0.1", "10.0.0.0/8"))
    # No trusted proxy configured, or the peer is not one: the header is the client's own words and is ignored.
    assert client_address("203.0.113.9", ["198.51.100.1"], trusted_networks(())) == "203.0.113.9"
    assert client_address("203.0.113.9", ["198.51.100.1"], proxies) == "203.0.113.9"
    # Through the proxy: the hop it appended. What the client wrote further left is ignored.
    assert client_address("127.0.0.1", ["198.51.100.1"], proxies) == "198.51.100.1"
    assert client_address("127.0.0.1", ["1.2.3.4, 198.51.100.1"], proxies) == "198.51.100.1"
    # A proxy that adds a line of its own after the client's: the lines are one list, the proxy's line last.
    assert client_address("127.0.0.1", ["1.2.3.4", "198.51.100.1"], proxies) == "198.51.100.1"
    # Through two trusted proxies: the nearest hop that is not a proxy.
    assert client_address("127.0.0.1", ["198.51.100.1, 10.1.2.3"], proxies) == "198.51.100.1"
    # A proxy that appends nothing usable: the peer.
    assert client_address("127.0.0.1", ["not-an-address"], proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", [], proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", ["10.0.0.5"], proxies) == "127.0.0.1"
    # IPv6 counts by its /64 (one subscriber's block), and an IPv4 address written as IPv6 as that IPv4 address.
    assert client_address("::1", ["2001:db8::7"], trusted_networks(("::1",))) == "2001:db8::/64"
    assert client_address("2001:db8:1:2::8", [], proxies) == client_address("2001:db8:1:2:ffff::1", [], proxies)
    assert client_address("2001:db8:1:3::8", [], proxies) != client_address("2001:db8:1:2::8", [], proxies)
    for written in ("::ffff:198.51.100.20", "::ffff:c633:6414", "0:0:0:0:0:ffff:c633:6414"):
        assert client_address(written, [], proxies) == "198.51.100.20"
        assert client_address("127.0.0.1", [written], proxies) == "198.51.100.20"


async def try_token_from(client: aiohttp.ClientSession, token: str, forwarded_for: str) -> int:
    headers, form = {"X-Forwarded-For": forwarded_for}, {**await signin_form(client), "token": token}
    async with client.post("/review/signin", data=form, headers=headers, allow_redirects=False) as reply:
        return reply.status


@pytest.mark.asyncio
async def test_behind_a_trusted_proxy_one_client_is_locked_out_not_everyone(tmp_path: Path) -> None:
    settings = site_settings(tmp_path / "data", '[web]\ntrusted_proxies = ["127.0.0.1"]\n')
    async with running_site(settings) as site:  # every request comes from 127.0.0.1, as through a proxy
        for _ in range(5):
            assert await try_token_from(site.client, "a wrong guess", "203.0.113.5") == 403
        assert await try_token_from(site.client, ADMIN, "203.0.113.5") == 429
        assert await try_token_from(site.client, ADMIN, "9.9.9.9, 203.0.113.5") == 429  # a forged hop changes nothing
        async with site.fresh_client() as maintainer:
            assert await try_token_from(maintainer, ADMIN, "198.51.100.7") == 303


@pytest.mark.asyncio
async def test_a_client_line_before_the_proxy_line_does_not_escape_the_lock_nor_lock_out_another(
    tmp_path: Path,
) -> None:
    """A proxy that adds its own X-Forwarded-For line (HAProxy's `option forwardfor`) after the client's: only the
    first line used to be read, so a client rotating it never met the lock, and could lock out whom it named."""
    settings = site_settings(tmp_path / "data", '[web]\ntrusted_proxies = ["127.0.0.1"]\n')
    async with running_site(settings) as site:

        async def attempt(client: aiohttp.ClientSession, token: str, written: str, seen: str) -> int:
            headers = CIMultiDict([("X-Forwarded-For", written), ("X-Forwarded-For", seen)])
            form = {**await signin_form(client), "token": token}
            async with client.post("/review/signin", data=form, headers=headers, allow_redirects=False) as reply:
                return reply.status

        statuses = [await attempt(site.client, "a wrong guess", f"10.9.9.{n}", "203.0.113.7") for n in range(6)]
        assert statuses == [403] * 5 + [429]  # rotating the line it writes, the guesser still meets the lock
        async with site.fresh_client() as framing:  # another guesser writes the maintainer's address each time
            for _ in range(5):
                assert await attempt(framing, "a wrong guess", "198.51.100.9", "203.0.113.8") == 403
        async with site.fresh_client() as maintainer:  # who was named, never locked out
            assert await attempt(maintainer, ADMIN, "192.0.2.1", "198.51.100.9") == 303


@pytest.mark.asyncio
async def test_without_a_trusted_proxy_a_forged_x_forwarded_for_does_not_escape_the_throttle(site: Site) -> None:
    for guess in range(5):
        assert await try_token_from(site.client, "a wrong guess", f"203.0.113.{guess}") == 403
    assert await try_token_from(site.client, ADMIN, "198.51.100.7") == 429


@pytest.mark.asyncio
async def test_a_form_body_that_cannot_be_read_is_refused_not_a_server_error(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """A charset nobody knows, bytes that are not the charset named, a multipart body without its boundary or with a
    part whose headers do not parse: each used to raise inside the handler (a 500); the sender's mistake is a 400."""
    _, csrf = await sign_in(site, site.client)
    bodies = [
        ("application/x-www-form-urlencoded; charset=bogus", b"token=x"),
        ("application/x-www-form-urlencoded; charset=utf-16", b"token=\xff\xfe\x00\xd8x"),
        ("multipart/form-data", b"garbage"),
        ("multipart/form-data; boundary=", b"garbage"),
        ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=token\r\n\r\nx"),
    ]
    caplog.set_level(logging.INFO, logger="digest")
    for path in ("/review/signin", "/review/decide", "/suggest"):
        for content_type, body in bodies:
            headers = {"Content-Type": content_type}
            async with site.client.post(path, data=body, headers=headers, allow_redirects=False) as reply:
                assert reply.status == 400, (path, content_type, await reply.text())
                assert "could not be read" in await reply.text()
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"
    async with site.client.post("/review/signout", data={"csrf": csrf}, allow_redirects=False) as reply:
        assert reply.status == 303  # the session and its forms still work


@pytest.mark.asyncio
async def test_a_form_posted_after_the_session_ended_offers_a_sign_in_that_returns_to_its_filters(site: Site) -> None:
    candidate_id = insert_candidate(site.database, real_papers()[8])
    _, csrf = await sign_in(site)
    site.clock.advance(timedelta(hours=13))  # sessions last 12 hours
    form = {"candidate_id": str(candidate_id), "action": "reject", "csrf": csrf, "filters": "min=1&title=sparse"}
    async with site.client.post("/review/decide", data=form) as reply:
        assert reply.status == 403
        page = await reply.text()
    assert "nothing was done" in page and 'action="/review/signin"' in page
    assert 'name="filters" value="title=sparse&amp;min=1"' in page
    assert site.status_of(candidate_id) == "pending"
    # Only the review page's own filters come back: never another address, nor a parameter it did not ask for.
    for filters, location in (
        ("min=1&title=sparse", "/review?title=sparse&min=1"),
        ("title=x&next=//evil.example&decided=3", "/review?title=x"),
    ):
        async with site.fresh_client() as browser:
            data = {**await signin_form(browser), "token": ADMIN, "filters": filters}
            async with browser.post("/review/signin", data=data, allow_redirects=False) as reply:
                assert (reply.status, reply.headers["Location"]) == (303, location), filters
    # A filter that cannot be used is refused in the review page's line, not dropped (signed in all the same).
    async with site.fresh_client() as browser:
        data = {**await signin_form(browser), "token": ADMIN, "filters": "min=not-a-number"}
        async with browser.post("/review/signin", data=data, allow_redirects=False) as reply:
            assert reply.status == 400 and "Location" not in reply.headers
            assert "?min= must be a score" in await reply.text()
        assert "digest_session" in {cookie.key for cookie in browser.cookie_jar}


@pytest.mark.asyncio
async def test_a_proxy_left_out_of_trusted_proxies_is_named_in_the_log_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Behind a reverse proxy the maintainers forgot to list, every reader has the proxy's address: a few wrong
    guesses lock every maintainer out of signing in, and nothing said why. The first forwarded request says so."""
    caplog.set_level(logging.WARNING, logger="digest.web")
    async with running_site(site_settings(tmp_path / "plain")) as site:  # every request comes from 127.0.0.1
        for guess in range(3):
            assert await try_token_from(site.client, "a wrong guess", f"203.0.113.{guess}") == 403
    said = [r.getMessage() for r in caplog.records if "trusted_proxies" in r.getMessage()]
    assert len(said) == 1 and "web.trusted_proxies is empty" in said[0] and "127.0.0.1" in said[0]
    caplog.clear()
    listed = site_settings(tmp_path / "listed", '[web]\ntrusted_proxies = ["127.0.0.1"]\n')
    async with running_site(listed) as site:
        assert await try_token_from(site.client, "a wrong guess", "203.0.113.9") == 403
    assert not [r for r in caplog.records if "trusted_proxies" in r.getMessage()]


@pytest.mark.asyncio
async def test_a_sign_in_posted_by_a_page_elsewhere_is_refused_and_locks_no_one_out(site: Site) -> None:
    """The sign-in form carried no CSRF token: any page the maintainer opened could post it, signing their browser
    in with its author's token (their decisions then made under that name), or posting wrong tokens until their
    address was locked out. Expected: refused unread, without a session or a count toward the lock-out."""
    async with site.fresh_client() as elsewhere:
        their_own = await signin_form(elsewhere)  # the form a page elsewhere can fetch: tied to its own cookie
    await signin_form(site.client)  # the maintainer opened the sign-in form once: the browser has its cookie
    for posted in ({}, their_own, {"csrf": "made-up"}):
        for token in (ADMIN, *["a wrong guess"] * 5):
            async with site.client.post(
                "/review/signin", data={**posted, "token": token}, allow_redirects=False
            ) as reply:
                page = await reply.text()
                assert reply.status == 403 and "this sign-in did not come from this site" in page, page
                assert "digest_session" not in reply.cookies
    async with site.client.get("/review") as reply:
        assert 'action="/review/signin"' in await reply.text()  # still signed out
    status, _, headers = await try_token(site.client, ADMIN)  # the genuine form: not locked out
    assert status == 303 and "digest_session" in headers["Set-Cookie"]


@pytest.mark.asyncio
async def test_signing_in_on_a_plain_http_page_of_an_https_site_says_why_it_cannot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """web.base_url https, the page opened by http:// (a proxy serving both, the server's own port): the sign-in set a
    Secure session cookie the browser dropped, and the maintainer was back at the sign-in form with nothing said.
    Expected: refused with a line saying to open the https address, and a warning in the log naming both."""
    caplog.set_level(logging.INFO, logger="digest")
    settings = site_settings(tmp_path / "data", '[web]\nbase_url = "https://digest.example.org"\n')
    async with running_site(settings) as site:
        form = {**await signin_form(site.client), "token": ADMIN}
        headers = {"Origin": "http://digest.example.org"}  # the page's address, as the browser sends it
        async with site.client.post("/review/signin", data=form, headers=headers, allow_redirects=False) as reply:
            page = html.unescape(await reply.text())
            assert reply.status == 403 and "digest_session" not in reply.cookies
    assert "this page was opened over plain http" in page and "Open https://digest.example.org/review" in page, page
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("over plain http" in line and "https://digest.example.org" in line for line in warned), warned
