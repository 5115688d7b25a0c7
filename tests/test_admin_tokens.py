"""Named admin tokens (DIGEST_ADMIN_TOKENS): each maintainer signs in to the real web app with their own token, and
their decisions carry their name in /history and `digest history`; the shared DIGEST_ADMIN_TOKEN still works."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from yarl import URL

from digest.cli import main
from digest.config import ConfigError
from digest.config.admin_tokens import AdminTokensError, parse_admin_tokens
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.web_pages import ALICE, BOB, NAMED_ENV
from tests.web_server import SECRETS_ENV, Site, running_site, signin_form

SHARED = SECRETS_ENV["DIGEST_ADMIN_TOKEN"]


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(make_settings(tmp_path / "data", environ=dict(NAMED_ENV))) as running:
        yield running


async def sign_in_with(site: Site, client: aiohttp.ClientSession, token: str) -> tuple[int, str, str]:
    """Signs in with `token`: the status, the page shown and the CSRF token of the review page (or "")."""
    async with client.post("/review/signin", data={**await signin_form(client), "token": token}) as reply:
        page = await reply.text()
        status = reply.status
    marker = 'name="csrf" value="'
    csrf = page[page.index(marker) + len(marker) :].split('"', 1)[0] if marker in page else ""
    return status, page, csrf


async def decide(client: aiohttp.ClientSession, csrf: str, candidate_id: int, action: str, section: str = "") -> None:
    form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": action, "section": section}
    async with client.post("/review/decide", data=form) as reply:
        assert reply.status == 200, await reply.text()


def session_cookie(site: Site, client: aiohttp.ClientSession) -> str:
    return client.cookie_jar.filter_cookies(URL(site.base))["digest_session"].value


async def history_rows(client: aiohttp.ClientSession) -> list[str]:
    async with client.get("/history") as reply:
        return (await reply.text()).split('<tr class="decision">')[1:]


@pytest.mark.asyncio
async def test_each_maintainer_signs_in_by_name_and_the_history_says_who_decided(
    site: Site, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    first, second, third = (insert_candidate(site.database, paper) for paper in real_papers()[:3])

    status, page, csrf = await sign_in_with(site, site.client, ALICE)
    assert status == 200 and "Signed in as alice" in page
    cookie = session_cookie(site, site.client)
    decoded = base64.urlsafe_b64decode(cookie.split(".")[0] + "==").decode("ascii")
    assert decoded.endswith("|alice") and ALICE not in decoded and ALICE not in cookie
    await decide(site.client, csrf, first, "approve", "Steering")

    async with site.fresh_client() as bob:
        status, page, csrf_bob = await sign_in_with(site, bob, BOB)
        assert status == 200 and "Signed in as bob" in page
        await decide(bob, csrf_bob, second, "reject")

    async with site.fresh_client() as shared:  # the single DIGEST_ADMIN_TOKEN still signs in, as before
        status, page, csrf_shared = await sign_in_with(site, shared, SHARED)
        assert status == 200 and "Signed in as web maintainer" in page
        await decide(shared, csrf_shared, third, "reject")

    rows = await history_rows(site.client)
    assert ["web maintainer" in rows[0], "<td>bob</td>" in rows[1], "<td>alice</td>" in rows[2]] == [True] * 3
    assert "approved into Steering" in rows[2] and "<td>web</td>" in rows[2]

    capsys.readouterr()
    assert main(["--data-dir", str(site.settings.data_dir), "history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "approved into Steering by alice via web" in lines[0]
    assert "rejected by bob via web" in lines[1] and "rejected by web maintainer: " in lines[2]
    assert not any(token in caplog.text for token in (ALICE, BOB, SHARED))
    assert "alice signed in" in caplog.text


@pytest.mark.asyncio
async def test_a_wrong_token_is_refused(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for wrong in (ALICE[:-1], ALICE + "x", f"alice:{ALICE}", BOB.upper()):  # four: the fifth locks the address out
        async with site.fresh_client() as client:
            status, page, _ = await sign_in_with(site, client, wrong)
            assert status == 403 and "That is not the admin token." in page
            assert "digest_session" not in client.cookie_jar.filter_cookies(URL(site.base))
    assert ALICE not in caplog.text and BOB not in caplog.text


@pytest.mark.asyncio
async def test_a_session_ends_when_its_token_is_taken_out(site: Site, tmp_path: Path) -> None:
    await sign_in_with(site, site.client, ALICE)
    cookie = session_cookie(site, site.client)
    without_alice = make_settings(site.settings.data_dir, environ={**SECRETS_ENV, "DIGEST_ADMIN_TOKENS": f"bob:{BOB}"})
    async with running_site(without_alice) as restarted:
        headers = {"Cookie": f"digest_session={cookie}"}
        async with restarted.fresh_client() as client, client.get("/review", headers=headers) as reply:
            assert 'action="/review/signin"' in await reply.text()  # signed out
        async with restarted.fresh_client() as client:
            status, _, _ = await sign_in_with(restarted, client, ALICE)
            assert status == 403


@pytest.mark.asyncio
async def test_sessions_end_when_their_token_is_replaced(site: Site) -> None:
    """Replacing a token (one leaked, say) must end the sessions it opened; only taking a name out used to, and the
    shared token's sessions outlived any replacement. The other tokens' sessions go on."""
    await sign_in_with(site, site.client, ALICE)
    alice = session_cookie(site, site.client)
    async with site.fresh_client() as client:
        await sign_in_with(site, client, BOB)
        bob = session_cookie(site, client)
    async with site.fresh_client() as client:
        await sign_in_with(site, client, SECRETS_ENV["DIGEST_ADMIN_TOKEN"])
        shared = session_cookie(site, client)
    replaced = {
        **SECRETS_ENV,
        "DIGEST_ADMIN_TOKEN": "a-new-shared-admin-token-0123456789",
        "DIGEST_ADMIN_TOKENS": f"alice:{ALICE}-rotated, bob:{BOB}",
    }
    async with running_site(make_settings(site.settings.data_dir, environ=replaced)) as restarted:
        for cookie, still in ((alice, None), (shared, None), (bob, "bob")):
            headers = {"Cookie": f"digest_session={cookie}"}
            async with restarted.fresh_client() as client, client.get("/review", headers=headers) as reply:
                page = await reply.text()
            if still is None:
                assert 'action="/review/signin"' in page and "Signed in as" not in page
            else:
                assert f"Signed in as {still}" in page


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (f"alice{ALICE}", "pair 1 of 1 has no ':'"),
        (f"alice:{ALICE},bob:short-token", "pair 2 of 2: its token is too short"),
        (f"al ice:{ALICE}", "pair 1 of 1: a name is 1 to 40 letters"),
        (f"{'a' * 41}:{ALICE}", "pair 1 of 1: a name is 1 to 40 letters"),
        (f"alice:{ALICE},alice:{BOB}", "pair 2 of 2: its name is given to an earlier pair too"),
        (f"alice:{ALICE},bob:{ALICE}", "pair 2 of 2: its token is also an earlier pair's"),
        (f"{ALICE}:", "pair 1 of 1: its token is too short"),
    ],
)
def test_a_malformed_value_is_one_line_that_shows_no_token(value: str, problem: str) -> None:
    with pytest.raises(AdminTokensError) as raised:
        parse_admin_tokens(value)
    message = str(raised.value)
    assert message.startswith("DIGEST_ADMIN_TOKENS: ") and problem in message and "\n" not in message
    assert ALICE not in message and BOB not in message and "short-token" not in message


def test_the_value_is_read_leniently_where_nothing_is_ambiguous() -> None:
    assert parse_admin_tokens(None) == parse_admin_tokens("  ") == ()
    found = parse_admin_tokens(f" alice : {ALICE} ,\n bob.b-2_:{BOB},")
    assert [(named.name, named.token) for named in found] == [("alice", ALICE), ("bob.b-2_", BOB)]
    assert ALICE not in repr(found) and ALICE not in repr(make_settings(Path("/nonexistent"), environ=NAMED_ENV))


def test_config_check_reports_a_malformed_value_and_the_service_does_not_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGEST_ADMIN_TOKENS", f"alice:{ALICE},bob:tiny")
    assert main(["--data-dir", str(tmp_path / "data"), "config", "check"]) == 1
    out = capsys.readouterr().out
    problems = [line for line in out.splitlines() if line.startswith("problem: ")]
    assert problems == [
        "problem: DIGEST_ADMIN_TOKENS: pair 2 of 2: its token is too short: use 16 or more random characters"
    ]
    assert ALICE not in out and "tiny" not in out

    # The service reads its settings first: a malformed value stops it there, before the web app is built.
    with pytest.raises(ConfigError) as raised:
        make_settings(tmp_path / "data", environ={**SECRETS_ENV, "DIGEST_ADMIN_TOKENS": f"alice:{ALICE},bob"})
    assert raised.value.problems == [
        "DIGEST_ADMIN_TOKENS: pair 2 of 2 has no ':': write name:token pairs separated by commas"
    ]


def test_config_check_names_the_maintainers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGEST_ADMIN_TOKENS", NAMED_ENV["DIGEST_ADMIN_TOKENS"])
    assert main(["--data-dir", str(tmp_path / "data"), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "named admin tokens for alice, bob" in out and ALICE not in out
    assert main(["--data-dir", str(tmp_path / "data"), "config", "show"]) == 0
    out = capsys.readouterr().out
    assert "DIGEST_ADMIN_TOKENS" in out and ALICE not in out


@pytest.mark.asyncio
async def test_the_service_signs_in_named_maintainers_beside_its_generated_secrets(tmp_path: Path) -> None:
    # No DIGEST_ADMIN_TOKEN: the service generates the shared one into the data folder; the named ones still work.
    from digest.service.process import Service
    from tests.fake_discord import reserve_port

    port = reserve_port()
    config = f'[web]\nport = {port}\n[arxiv]\nsources = ["http://127.0.0.1:9/unused"]\nmax_retries = 0\n'
    service = Service(make_settings(tmp_path / "data", config, {"DIGEST_ADMIN_TOKENS": f"alice:{ALICE}"}))
    await service.start(schedule=False)
    try:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookie_jar=jar) as client:
            form = {**await signin_form(client), "token": ALICE}
            async with client.post("/review/signin", data=form) as reply:
                page = await reply.text()
    finally:
        await service.stop()
    assert "Signed in as alice" in page


def test_the_shared_token_given_to_a_named_maintainer_too_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """alice was given the shared DIGEST_ADMIN_TOKEN as her own (moving to named tokens, the old one kept set): every
    holder of the shared token would sign in as alice and their decisions be recorded as hers. Refused like a feed
    token shared with an admin token, whether the shared one is set or kept in secrets.json, and never shown."""
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    with pytest.raises(ConfigError) as raised:
        make_settings(data, environ={**SECRETS_ENV, "DIGEST_ADMIN_TOKENS": f"alice:{SHARED},bob:{BOB}"})
    assert raised.value.problems == [
        "DIGEST_ADMIN_TOKEN is also alice's token in DIGEST_ADMIN_TOKENS: whoever holds the shared token would sign "
        "in as alice; give each its own random value"
    ]

    # The shared token generated into the data folder by an earlier start, then copied into the variable.
    data.mkdir()
    kept = "kept-admin-token-0123456789abcdef"
    (data / "secrets.json").write_text(f'{{"admin_token": "{kept}"}}', encoding="utf-8")
    (data / "secrets.json").chmod(0o600)
    monkeypatch.setenv("DIGEST_ADMIN_TOKENS", f"alice:{kept}")
    assert main(["--data-dir", str(data), "config", "check"]) == 1
    out = capsys.readouterr().out
    assert "problem: DIGEST_ADMIN_TOKEN is also alice's token in DIGEST_ADMIN_TOKENS" in out
    assert kept not in out and SHARED not in out
