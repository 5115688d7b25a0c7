"""The maintainers' /review page (admin sign-in, signed cookie, CSRF), hostile titles on every surface, and the
secrets file the service generates when the environment has none."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import select

from digest.config.invocation import same_invocation
from digest.config.secretstore import SecretStoreError, ensure_secrets, secrets_path
from digest.review.rules import Actor
from digest.storage.models import Decision
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.feedreading import shown_text
from tests.web_pages import said
from tests.web_server import SECRETS_ENV, Site, approval_links, sign_in, signin_form

ADMIN = SECRETS_ENV["DIGEST_ADMIN_TOKEN"]
HOSTILE_TITLE = "<script>alert('x')</script> ]]> Cats & Dogs \x00\x07\x1b: steering <b>SAE</b> features"


@pytest.mark.asyncio
async def test_review_needs_the_admin_token_and_sets_a_lax_cookie(site: Site) -> None:
    """Lax, not Strict: a link to /review from Discord or an email must find the maintainer signed in. Nothing that
    changes anything answers a GET, and each POST needs the session's CSRF token too."""
    paper = real_papers()[6]
    insert_candidate(site.database, paper)
    async with site.client.get("/review") as response:
        page = await response.text()
    assert 'action="/review/signin"' in page and paper["title"] not in page
    signin = await signin_form(site.client)
    async with site.client.post(
        "/review/signin", data={**signin, "token": "wrong-token"}, allow_redirects=False
    ) as refused:
        assert refused.status == 403 and "Set-Cookie" not in refused.headers
    async with site.client.post("/review/signin", data={**signin, "token": ADMIN}, allow_redirects=False) as response:
        assert response.status == 303
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    assert "Secure" not in cookie  # base_url is http here; https deployments get Secure
    async with site.client.get("/review") as response:
        assert paper["title"] in await response.text()


@pytest.mark.asyncio
async def test_review_posts_need_the_cookie_and_the_csrf_token(site: Site) -> None:
    candidate_id = insert_candidate(site.database, real_papers()[7])
    _, csrf = await sign_in(site)
    form = {"candidate_id": str(candidate_id), "action": "approve", "section": "Probing"}
    # No cookie, even with a valid-looking CSRF token.
    async with (
        site.fresh_client() as stranger,
        stranger.post("/review/decide", data={**form, "csrf": csrf}) as response,
    ):
        assert response.status == 403
    async with site.client.post("/review/decide", data=form) as response:  # cookie, no CSRF token
        assert response.status == 403
    async with site.client.post("/review/decide", data={**form, "csrf": csrf[:-2] + "xx"}) as response:
        assert response.status == 403
    assert site.status_of(candidate_id) == "pending"

    async with site.client.post("/review/decide", data={**form, "csrf": csrf}) as response:
        assert response.status == 200 and response.url.path == "/review"
        page = await response.text()
    assert "approved into Probing" in page
    assert site.status_of(candidate_id) == "approved"
    with site.database.reading() as session:
        decision = session.execute(select(Decision.channel, Decision.section)).one()
    assert tuple(decision) == ("web", "Probing")
    async with site.client.get("/list.md") as listing:
        assert real_papers()[7]["arxiv_id"] in await listing.text()


@pytest.mark.asyncio
async def test_a_review_page_opened_before_a_decision_elsewhere_cannot_overturn_it(site: Site) -> None:
    paper = real_papers()[7]
    candidate_id = insert_candidate(site.database, paper)
    _, csrf = await sign_in(site)  # the page lists the candidate as pending
    discord = Actor(name="ann", id="1", channel="discord")
    site.reviewer.decide(candidate_id, "approve", discord, "Probing")
    form = {"candidate_id": str(candidate_id), "action": "reject", "csrf": csrf, "filters": "min=0.5"}
    async with site.client.post("/review/decide", data=form, allow_redirects=False) as response:
        # Back to the queue with its filters (not a dead end), where the notice says who decided it meanwhile.
        assert response.status == 303
        assert response.headers["Location"] == f"/review?already={candidate_id}&min=0.5"
    async with site.client.post("/review/decide", data=form) as response:
        assert response.status == 200
        page = await response.text()
    assert "Not done:" in page and "already approved into Probing by ann via discord" in page
    assert f"{same_invocation(site.settings)} reject {candidate_id}" in page
    assert site.status_of(candidate_id) == "approved"
    async with site.client.get("/list.md") as listing:
        assert paper["arxiv_id"] in await listing.text()


@pytest.mark.asyncio
async def test_a_decision_for_a_candidate_that_does_not_exist_is_a_404(site: Site) -> None:
    """Approve or reject on a candidate number no candidate has (a page kept open across a database restore) answered
    409 'no candidate with id N', where the rest of the site answers a missing record 404. Expected: 404, the same one
    line and a way back to the queue with its filters; nothing recorded. Undo on one went back to the queue with a
    'not undone' notice about a candidate that is not there: it is the same 404."""
    kept = insert_candidate(site.database, real_papers()[0])
    _, csrf = await sign_in(site)
    missing = kept + 1000
    for action in ("approve", "reject", "undo"):
        form = {"candidate_id": str(missing), "action": action, "csrf": csrf, "filters": "min=0.5"}
        async with site.client.post("/review/decide", data=form, allow_redirects=False) as response:
            page = await response.text()
            assert response.status == 404, (action, page[:300])
        assert said(page) == f"no candidate with id {missing}", action
        assert '<a href="/review?min=0.5">' in page
    assert site.status_of(kept) == "pending"
    with site.database.reading() as session:
        assert session.execute(select(Decision)).first() is None


@pytest.mark.asyncio
async def test_a_forged_or_expired_session_cookie_is_refused(site: Site) -> None:
    candidate_id = insert_candidate(site.database, real_papers()[8])
    _, csrf = await sign_in(site)
    site.clock.advance(timedelta(hours=13))  # sessions last 12 hours
    form = {"candidate_id": str(candidate_id), "action": "reject", "csrf": csrf}
    async with site.client.post("/review/decide", data=form) as response:
        assert response.status == 403
    async with site.fresh_client() as stranger:
        stranger.cookie_jar.update_cookies({"digest_session": "forged.value"})
        async with stranger.post("/review/decide", data=form) as response:
            assert response.status == 403
    assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
async def test_a_hostile_title_is_escaped_in_pages_and_feeds(site: Site) -> None:
    paper = real_papers()[9]
    candidate_id = insert_candidate(site.database, paper, title=HOSTILE_TITLE, code_url="javascript:alert(1)")
    _, csrf = await sign_in(site)
    async with site.client.get("/review") as response:
        page = await response.text()
    assert "<script>" not in page and "&lt;script&gt;" in page and "javascript:" not in page

    async with site.client.get("/feeds/candidates.xml", params={"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}) as response:
        body = await response.text()
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    # As a reader shows it (an RSS title is read as HTML): the characters, nothing of it markup.
    shown = shown_text(parsed.entries[0].title_detail)
    assert shown == "<script>alert('x')</script> ]]> Cats & Dogs : steering <b>SAE</b> features"
    assert "<script>" not in parsed.entries[0].summary and "javascript:" not in body
    approve = next(path for path, label in approval_links(body) if label.startswith("Approve ("))
    async with site.client.get(approve) as response:
        page = await response.text()
    assert "<script>" not in page and "&lt;script&gt;alert(" in page

    form = {"candidate_id": str(candidate_id), "action": "approve", "section": "Steering", "csrf": csrf}
    async with site.client.post("/review/decide", data=form) as response:
        assert "<script>" not in await response.text()
    assert site.status_of(candidate_id) == "approved"
    async with site.client.get("/") as response:
        page = await response.text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    for path in ("/feeds/list.xml", "/feeds/list.atom"):
        async with site.client.get(path) as response:
            parsed = feedparser.parse(await response.read())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert shown_text(parsed.entries[0].title_detail).startswith("<script>alert('x')</script> ]]> Cats & Dogs")


def test_two_processes_starting_on_a_new_folder_agree_on_the_generated_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service and `digest weekly` started at once on a new data folder: each finds no secrets file. Before, each
    generated its own and the second file replaced the first, so the running service signed approval links with a key
    the file no longer held (links it sent failed once it restarted). Generating is slowed so that both have read the
    empty folder before either writes, as a busy machine may order them."""
    import secrets as secrets_module
    import threading
    import time

    real = secrets_module.token_urlsafe

    def slow_token(size: int) -> str:
        time.sleep(0.2)
        return real(size)

    monkeypatch.setattr(secrets_module, "token_urlsafe", slow_token)
    settings = make_settings(tmp_path / "data")
    found: list[object] = []
    starts = [threading.Thread(target=lambda: found.append(ensure_secrets(settings))) for _ in range(3)]
    for start in starts:
        start.start()
    for start in starts:
        start.join()
    monkeypatch.undo()
    assert len(found) == 3 and found[0] == found[1] == found[2]
    assert ensure_secrets(settings) == found[0]  # what the file holds is what each of them signs with


def test_missing_secrets_are_generated_once_owner_only_and_the_environment_wins(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    first = ensure_secrets(settings)
    path = secrets_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len({first.secret_key, first.admin_token, first.feed_token}) == 3
    assert all(value and len(value) >= 40 for value in (first.secret_key, first.admin_token, first.feed_token))
    assert ensure_secrets(settings) == first  # kept, not regenerated on the next start
    assert ensure_secrets(make_settings(tmp_path / "other")) != first  # never a fixed default

    chosen = make_settings(tmp_path / "data", environ={"DIGEST_ADMIN_TOKEN": "my-own-admin-token-1234"})
    mixed = ensure_secrets(chosen)
    assert mixed.admin_token.get_secret_value() == "my-own-admin-token-1234" and mixed.secret_key == first.secret_key

    with pytest.raises(SecretStoreError, match="DIGEST_FEED_TOKEN is too short"):
        ensure_secrets(make_settings(tmp_path / "data", environ={"DIGEST_FEED_TOKEN": "abc"}))
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SecretStoreError, match="cannot read"):
        ensure_secrets(settings)
