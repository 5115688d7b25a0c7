"""Who may change the list: every state-changing route refuses strangers, forged cookies and edited links, and no
secret is generated weakly, stored readably or shown on a page."""

from __future__ import annotations

import base64
import json
import logging
import stat
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from digest.review.reviewer import Reviewer
from digest.review.signing import ApprovalLink, csrf_token, sign_link, sign_session, token_tag
from digest.service.wiring import open_service_database
from digest.storage.models import Candidate, Decision
from digest.web.app import create_web_app
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.raw_requests import refused_each
from tests.web_server import SECRETS_ENV, Site, approval_links, running_site, signin_form, site_settings

KEY = SECRETS_ENV["DIGEST_SECRET_KEY"]
OTHER_KEY = "another-services-secret-key-0123456789abcdef"
ADMIN = SECRETS_ENV["DIGEST_ADMIN_TOKEN"]
KNOWN_POST_ROUTES = {
    "/approve/{token}",
    "/review/signin",
    "/review/signout",
    "/review/decide",
    "/review/add",
    "/review/notice",
    "/suggest",
}
# Open to anyone by design: a reader's suggestion only queues a pending candidate (tests/test_suggest.py).
PUBLIC_POST_ROUTES = {"/suggest"}
# Signing out with no live session is done already: it leads to the sign-in form, sets no cookie and writes nothing.
SIGN_OUT = "/review/signout"


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data")) as running:
        for record in real_papers()[:2]:
            insert_candidate(running.database, record)
        yield running


def decisions(site: Site) -> tuple[int, list[str]]:
    with site.database.reading() as session:
        count = session.scalar(select(func.count()).select_from(Decision)) or 0
        return count, list(session.scalars(select(Candidate.status).order_by(Candidate.id)))


def post_routes(site: Site) -> set[str]:
    settings = site.settings
    app = create_web_app(settings, site.database, Reviewer(site.database, settings))
    return {
        route.resource.canonical
        for route in app.router.routes()
        if route.method not in ("GET", "HEAD") and route.resource is not None
    }


@pytest.mark.asyncio
async def test_every_state_changing_route_refuses_an_anonymous_request(site: Site) -> None:
    routes = post_routes(site)
    # A new POST route fails this test until it is added here with its refusal checked.
    assert routes == KNOWN_POST_ROUTES
    forged = sign_link(OTHER_KEY, ApprovalLink(1, "approve", None, site.clock() + timedelta(1)))
    before = decisions(site)
    form = {"candidate_id": "1", "action": "approve", "csrf": "x", "token": "not the admin token"}
    async with site.fresh_client() as stranger:
        for route in sorted(routes - PUBLIC_POST_ROUTES - {SIGN_OUT}):
            path = route.replace("{token}", forged)
            # The review forms' refusals are pages of their own (/review/refused: Post/Redirect/Get), answering 403.
            async with stranger.post(path, data=form) as reply:
                assert reply.status == 403, (route, reply.status)
                hops = (*reply.history, reply)  # (the sign-in form's own cookie, at most)
                assert all("digest_session" not in hop.cookies for hop in hops), route
        async with stranger.post(SIGN_OUT, data=form, allow_redirects=False) as reply:
            assert reply.status == 303 and reply.headers["Location"] == "/review"
            assert "Set-Cookie" not in reply.headers
        for route in sorted(PUBLIC_POST_ROUTES):  # refused as input: decides nothing, signs no one in
            async with stranger.post(route, data={**form, "paper": "1"}, allow_redirects=False) as reply:
                assert reply.status == 400, (route, reply.status)
                assert "Set-Cookie" not in reply.headers, route
    assert decisions(site) == before


@pytest.mark.asyncio
async def test_a_forged_session_cookie_and_a_foreign_csrf_token_change_nothing(site: Site) -> None:
    before = decisions(site)
    expires = site.clock() + timedelta(hours=1)
    forged = sign_session(OTHER_KEY, "nonce-of-my-own", expires, token_tag(OTHER_KEY, ADMIN))
    genuine = sign_session(KEY, "nonce-of-my-own", expires, token_tag(KEY, ADMIN))
    attempts = [
        (forged, csrf_token(OTHER_KEY, forged)),  # a cookie and token made with a guessed key
        (genuine, csrf_token(KEY, "another session")),  # a real session, a token from another one
        (genuine, ""),  # no token at all
    ]
    for cookie, csrf in attempts:
        async with site.fresh_client() as browser:
            browser.cookie_jar.update_cookies({"digest_session": cookie})
            data = {"candidate_id": "1", "action": "approve", "csrf": csrf, "paper": real_papers()[0]["arxiv_id"]}
            for route in ("/review/decide", "/review/add"):
                async with browser.post(route, data=data) as reply:  # to the refusal's page, /review/refused
                    assert reply.status == 403 and reply.url.path == "/review/refused", route
    assert decisions(site) == before


@pytest.mark.asyncio
async def test_a_signed_link_cannot_be_moved_to_another_candidate_action_or_section(site: Site) -> None:
    async with site.client.get("/feeds/candidates.xml", params={"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}) as reply:
        links = approval_links(await reply.text())
    path = next(p for p, label in links if label.startswith("Approve"))
    token = path.rsplit("/", 1)[1]
    payload_text, mac = token.split(".")
    payload = base64.urlsafe_b64decode(payload_text + "=" * (-len(payload_text) % 4)).decode()
    version, cid, action, expires, origin, section = payload.split("|", 5)
    other = "2" if cid == "1" else "1"
    edits = [
        "|".join((version, other, action, expires, origin, section)),
        "|".join((version, cid, "reject", expires, origin, section)),
        "|".join((version, cid, action, expires, origin, "Probing")),
        "|".join((version, cid, action, str(int(expires) + 10**7), origin, section)),
    ]
    before = decisions(site)
    for edited in edits:
        encoded = base64.urlsafe_b64encode(edited.encode()).decode().rstrip("=")
        async with site.client.post(f"/approve/{encoded}.{mac}", allow_redirects=False) as reply:
            assert reply.status == 403, edited
    assert decisions(site) == before


def linked_candidate(path: str) -> int:
    payload_text = path.rsplit("/", 1)[1].split(".")[0]
    return int(base64.urlsafe_b64decode(payload_text + "=" * (-len(payload_text) % 4)).decode().split("|")[1])


@pytest.mark.asyncio
async def test_a_link_approves_only_the_paper_it_was_made_for(site: Site) -> None:
    """A candidate's number can come to name another paper: a database restored from a backup taken before the
    paper was found numbers the next paper it finds as the lost one. The feed's (or last week's email's) link for the
    lost paper then showed, and approved with one press, whatever paper had its number now."""
    async with site.client.get("/feeds/candidates.xml", params={"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}) as reply:
        links = approval_links(await reply.text())
    lost = real_papers()[1]
    path = next(p for p, label in links if label.startswith("Approve") and linked_candidate(p) == 2)
    with site.database.transaction() as session:  # as restoring a backup taken before the second paper would
        session.delete(session.get(Candidate, 2))
    newcomer = real_papers()[2]
    assert insert_candidate(site.database, newcomer) == 2
    before = decisions(site)
    for method in ("GET", "POST"):
        async with site.client.request(method, path, allow_redirects=False) as reply:
            page = await reply.text()
            assert reply.status == 404, (method, reply.status)
        assert f"made for arXiv:{lost['arxiv_id']}" in page and newcomer["title"] not in page
    assert decisions(site) == before


@pytest.mark.asyncio
async def test_the_candidates_feed_needs_its_token_and_leaks_nothing(site: Site) -> None:
    title = real_papers()[0]["title"]
    for params in ({}, {"token": ""}, {"token": SECRETS_ENV["DIGEST_ADMIN_TOKEN"]}, {"token": "x" * 4000}):
        async with site.client.get("/feeds/candidates.xml", params=params) as reply:
            assert reply.status == 403, params
            assert title not in await reply.text()


@pytest.mark.asyncio
async def test_no_page_shows_a_secret(site: Site) -> None:
    pages = ["/", "/review", "/healthz", "/list.md", "/feeds/list.xml", "/approve/x.y", "/feeds/candidates.xml"]
    async with site.fresh_client() as stranger:
        for path in pages:
            async with stranger.get(path) as reply:
                body = await reply.text()
            for name, value in SECRETS_ENV.items():
                assert value not in body, (path, name)
        async with stranger.post("/review/signin", data={**await signin_form(stranger), "token": "wrong"}) as reply:
            body = await reply.text()
        assert all(value not in body for value in SECRETS_ENV.values())


def test_generated_secrets_are_strong_owner_only_and_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path / "data")  # no secrets in the environment
    database = open_service_database(settings)
    try:
        create_web_app(settings, database, Reviewer(database, settings))
    finally:
        database.dispose()
    path = settings.data_dir / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    stored = json.loads(path.read_text(encoding="utf-8"))
    assert set(stored) == {"secret_key", "admin_token", "feed_token"}
    assert all(len(value) >= 32 for value in stored.values()) and len(set(stored.values())) == 3
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert all(value not in logged for value in stored.values())
    assert str(path) in logged  # the log says where they are


def test_a_secrets_file_restored_readable_by_others_is_made_owner_only(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """secrets.json put back from a backup or written by hand (mode 0644) was used as it was, readable by every user
    of the machine, and nothing said so: whoever read it could sign in on /review and sign approval links. `config
    check` warns of it, and the service makes it owner-only when it starts, in one log line."""
    from digest.cli import main
    from digest.config import Settings, environment_fields

    for _, variable in environment_fields(Settings):  # the secrets come from the file alone, as on a fresh server
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)  # and no .env file
    settings = make_settings(tmp_path / "data")
    path = settings.data_dir / "secrets.json"
    path.parent.mkdir(parents=True)
    stored = {name: f"{name}-restored-from-a-backup-0123456789" for name in ("secret_key", "admin_token", "feed_token")}
    path.write_text(json.dumps(stored), encoding="utf-8")
    path.chmod(0o644)

    assert main(["--data-dir", str(settings.data_dir), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert f"warning: {path} is readable by other users (mode 0644)" in out
    assert all(value not in out for value in stored.values())

    database = open_service_database(settings)
    try:
        create_web_app(settings, database, Reviewer(database, settings))
    finally:
        database.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8")) == stored  # the same secrets: sessions and links go on
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"{path} was readable by other users (mode 0644); it is owner-only (0600) now" in logged
    assert all(value not in logged for value in stored.values())


@pytest.mark.asyncio
async def test_a_malformed_request_is_one_log_line_that_quotes_none_of_it(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """A request the HTTP parser refuses (a control character in the address, a broken header) was logged as an
    ERROR with a traceback whose message quoted the raw line: the private feed's token, an approval link or the
    session cookie went into the log. It is one line naming the client and what was wrong, and the client still gets
    its 400."""
    feed_token = SECRETS_ENV["DIGEST_FEED_TOKEN"]
    requests = [
        f"GET /feeds/candidates.xml?token={feed_token}\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        f"GET /review HTTP/1.1\r\nHost: x\r\nCookie: digest_session={feed_token}\x01\r\n\r\n",
    ]
    with caplog.at_level(logging.DEBUG):
        await refused_each(site, requests)
    assert all(feed_token not in record.getMessage() for record in caplog.records)
    assert "Traceback" not in caplog.text and feed_token not in caplog.text
    refused = [record for record in caplog.records if "malformed request" in record.getMessage()]
    assert len(refused) == 2 and all(record.levelno == logging.INFO for record in refused)
    assert all("from 127.0.0.1 (400" in record.getMessage() for record in refused)


@pytest.mark.asyncio
async def test_a_link_made_before_the_key_was_changed_says_so_and_where_to_get_a_fresh_one(site: Site) -> None:
    """README: changing DIGEST_SECRET_KEY ends every approval link already sent. A maintainer opening last week's
    emailed link after that was told only "This link was not made by this service", as for a made-up link: a
    phishing alarm, with no word of the key change or of where a working link is."""
    with site.database.reading() as session:
        candidate = session.scalars(select(Candidate).order_by(Candidate.id)).first()
        assert candidate is not None
        link = ApprovalLink(candidate.id, "approve", None, site.clock() + timedelta(days=3), candidate.arxiv_id)
    async with site.client.get(f"/approve/{sign_link(OTHER_KEY, link)}") as reply:
        assert reply.status == 403
        page = await reply.text()
    assert "DIGEST_SECRET_KEY" in page and "candidates feed" in page
    assert decisions(site)[0] == 0


def test_the_secrets_of_a_data_folder_shared_with_a_group_are_readable_by_that_group(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """A team runs `digest` as different users of one group over a data folder made for it (setgid, group rw):
    secrets.json was generated owner-only (0600) by whoever started first and made so again at every start, so the
    others' `digest weekly` and web server could not read the signing key ("cannot read secrets.json: Permission
    denied; fix or delete it", and deleting it ends every session and approval link). Now in a group-writable data
    folder it is readable by the group (0640), kept so, and `config check` does not warn of it; users outside the
    group still get nothing."""
    import os

    from digest.cli import main

    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o2770)
    settings = make_settings(data)  # no secrets in the environment
    path = settings.data_dir / "secrets.json"
    previous = os.umask(0o022)
    try:
        for _ in range(2):  # generated, then read at the next start
            database = open_service_database(settings)
            try:
                create_web_app(settings, database, Reviewer(database, settings))
            finally:
                database.dispose()
            assert stat.S_IMODE(path.stat().st_mode) == 0o640
        capsys.readouterr()
        assert main(["--data-dir", str(data), "config", "check"]) == 0
        assert "readable by" not in capsys.readouterr().out
        path.chmod(0o644)  # restored readable by every user
        caplog.clear()
        database = open_service_database(settings)
        try:
            create_web_app(settings, database, Reviewer(database, settings))
        finally:
            database.dispose()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert f"{path} was readable by users outside its group (mode 0644); owner and group only (0640) now" in caplog.text
