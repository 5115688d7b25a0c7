"""Forms posted other than the site's pages post them: as JSON or plain text, or with a field sent twice. Through the
real app on loopback (tests/web_server.py): each is one line on the site's error page, and nothing is done."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlencode

import pytest

from tests.factories import insert_candidate, real_papers
from tests.raw_requests import abandoned
from tests.web_pages import said
from tests.web_server import SECRETS_ENV, Site, sign_in, signin_form

NOT_A_FORM = (
    "This was not sent as a form (application/x-www-form-urlencoded or multipart/form-data), so nothing was changed: "
    "send it as the page does."
)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LISTED = "2411.16198"  # in the seed list: a suggestion of it reads only the database


async def still_signed_in(site: Site) -> bool:
    async with site.client.get("/review") as reply:
        return 'action="/review/signout"' in await reply.text()


@pytest.mark.asyncio
async def test_a_form_sent_as_json_or_plain_text_is_refused_as_such_and_changes_nothing(site: Site) -> None:
    """A maintainer's decision sent with Content-Type application/json (or text/plain, or none) was read as an empty
    form: "This page was opened before you last signed in", a reader's suggestion "That is not an arXiv ID or URL",
    neither the reason. Expected: 415, one line saying the body was not a form, and nothing done."""
    candidate_id = insert_candidate(site.database, real_papers()[0])
    _, csrf = await sign_in(site)
    async with site.fresh_client() as stranger:
        signin = {**await signin_form(stranger), "token": SECRETS_ENV["DIGEST_ADMIN_TOKEN"]}
    forms = {
        "/review/decide": {"csrf": csrf, "candidate_id": str(candidate_id), "action": "reject"},
        "/review/add": {"csrf": csrf, "paper": "2501.01234"},
        "/review/signout": {"csrf": csrf},
        "/review/signin": signin,
        "/suggest": {"paper": LISTED},
    }
    for path, form in forms.items():
        for content_type in ("application/json", "text/plain; charset=utf-8", None):
            headers = {"Content-Type": content_type} if content_type else {}
            body = urlencode(form).encode()
            async with site.client.post(
                path, data=body, headers=headers, skip_auto_headers=["Content-Type"], allow_redirects=False
            ) as reply:
                page = await reply.text()
                assert reply.status == 415, (path, content_type, reply.status, page[:300])
            assert said(page) == NOT_A_FORM, (path, content_type)
    assert site.status_of(candidate_id) == "pending"
    assert await still_signed_in(site)


@pytest.mark.asyncio
async def test_a_field_sent_twice_is_refused_naming_it_and_changes_nothing(site: Site) -> None:
    """`action=reject&action=approve` approved (the last of a repeated field was read), a second csrf passed where the
    first was wrong. Expected: 400 naming the field, and nothing done."""
    first = insert_candidate(site.database, real_papers()[0], suggested_sections=["Probing"])
    second = insert_candidate(site.database, real_papers()[1], suggested_sections=["Probing"])
    _, csrf = await sign_in(site)
    decide = [("candidate_id", str(first)), ("action", "reject")]
    posted: list[tuple[str, list[tuple[str, str]], str]] = [
        ("/review/decide", [("csrf", csrf), *decide, ("action", "approve")], "action"),
        ("/review/decide", [("csrf", "wrong"), ("csrf", csrf), *decide], "csrf"),
        ("/review/decide", [("csrf", csrf), *decide, ("candidate_id", str(second))], "candidate_id"),
        ("/review/decide", [("csrf", csrf), *decide, ("\x00<b>", ""), ("\x00<b>", "")], "a field"),
        ("/review/add", [("csrf", csrf), ("paper", "2501.01234"), ("paper", LISTED)], "paper"),
        ("/review/signout", [("csrf", csrf), ("csrf", csrf)], "csrf"),
        ("/suggest", [("paper", "not one"), ("paper", LISTED)], "paper"),
    ]
    for path, form, named in posted:
        async with site.client.post(path, data=urlencode(form).encode(), headers=FORM, allow_redirects=False) as reply:
            page = await reply.text()
            assert reply.status == 400, (path, form, reply.status, page[:300])
        quoted = named if named == "a field" else f'the field "{named}"'
        assert said(page) == (
            f"The form sent {quoted} more than once, so nothing was changed: send it as the page does."
        ), (path, form)
    assert (site.status_of(first), site.status_of(second)) == ("pending", "pending")
    assert await still_signed_in(site)
    async with site.fresh_client() as stranger:
        fields = {**await signin_form(stranger)}
        twice = [*fields.items(), ("token", "a guess"), ("token", SECRETS_ENV["DIGEST_ADMIN_TOKEN"])]
        async with stranger.post("/review/signin", data=twice, allow_redirects=False) as reply:
            assert reply.status == 400 and 'the field "token"' in said(await reply.text())
        assert "digest_session" not in {cookie.key for cookie in stranger.cookie_jar}


@pytest.mark.asyncio
async def test_a_section_name_longer_than_any_is_not_echoed_whole(site: Site) -> None:
    """Approve with a 60,000-character section (under the 64 KiB form limit) answered a 66 KB page repeating all of
    it in 'no section named ...'. Expected: the line names it cut to a section field's 200 characters, as Add a paper
    always did, and nothing is done."""
    candidate_id = insert_candidate(site.database, real_papers()[0], suggested_sections=["Probing"])
    _, csrf = await sign_in(site)
    form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": "approve", "section": "x" * 60_000}
    async with site.client.post("/review/decide", data=form, allow_redirects=False) as reply:
        page = await reply.text()
        assert reply.status == 409, page[:300]
    assert said(page).startswith(f"no section named '{'x' * 200}' in the list (sections: ")
    assert "x" * 201 not in page
    assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
async def test_a_form_whose_sender_went_away_halfway_is_one_line_in_the_log(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that closed its connection halfway through a form's body (a phone losing its network, or anyone at
    will, as often as they like) put an ERROR and a 30-line traceback in the service's log for each form. It is one
    INFO line naming the form, and nothing is done."""
    caplog.set_level(logging.INFO)
    for path in ("/suggest", "/review/signin", "/review/decide"):
        before = len(caplog.records)
        await abandoned(site, path, b"paper=2411.16198&csrf=x", declared=10_000)
        deadline = asyncio.get_running_loop().time() + 10
        while len(caplog.records) == before:  # the server's word on the connection
            assert asyncio.get_running_loop().time() < deadline, f"nothing was logged of {path}"
            await asyncio.sleep(0.05)
    assert not [record.getMessage() for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]
    went = [record.getMessage() for record in caplog.records if "went away" in record.getMessage()]
    assert went == [
        f"POST {path}: the client went away before its form arrived; nothing was done"
        for path in ("/suggest", "/review/signin", "/review/decide")
    ]
