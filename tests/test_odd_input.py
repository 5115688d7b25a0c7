"""Odd values (non-digits, huge, negative, unicode digits, empty, any text) in every route's parameters and every
id-taking command: a 4xx page or one line on stderr, never a 500 and never a traceback.

Hypothesis draws the values; the named cases from the fault report are always tried first (`@example`).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from yarl import URL

from digest.cli import main
from digest.record_ids import MAX_RECORD_ID, parse_record_id
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.web_server import SECRETS_ENV, Site, running_site, sign_in, signin_form

NAMED = [
    "",
    "²",
    "٣",
    "１２",
    "-1",
    "-0",
    "0",
    "+1",
    " 1",
    "1 ",
    "1.5",
    "1e3",
    "0x10",
    "NaN",
    "\x00",
    "99999999999999999999999",
    "9" * 25,
    "9" * 5000,
    str(MAX_RECORD_ID),
    str(MAX_RECORD_ID + 1),
    "1\n2",
]
ODD = st.one_of(
    st.sampled_from(NAMED),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.text(max_size=30),
)
BOUNDED = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_only_ascii_digits_within_the_database_range_are_ids() -> None:
    assert parse_record_id("42") == 42
    assert parse_record_id("007") == 7
    assert parse_record_id(str(MAX_RECORD_ID)) == MAX_RECORD_ID
    assert parse_record_id(" 1") == parse_record_id("1 ") == parse_record_id("\t1\n") == 1  # as an arXiv ID's space
    for odd in NAMED:
        if odd not in ("0", " 1", "1 ", str(MAX_RECORD_ID)):
            assert parse_record_id(odd) is None, odd


# -- the web -------------------------------------------------------------------------------------------------------


def header_safe(value: str) -> str:
    """The value as a header can carry it (latin-1, no control characters)."""
    return "".join(ch for ch in value.encode("utf-8").decode("latin-1") if ch.isprintable())


async def assert_no_server_error(response: aiohttp.ClientResponse, what: str) -> None:
    body = await response.text(errors="replace")
    assert response.status < 500, f"{what}: {response.status}: {body[:300]}"
    assert "Traceback" not in body and "Internal Server Error" not in body, what


class RequestOptions(TypedDict, total=False):
    """What a request of send_everywhere carries besides its method and path."""

    params: dict[str, str]
    data: dict[str, str]
    headers: dict[str, str]


async def send_everywhere(site: Site, csrf: str, candidate_id: int, value: str) -> None:
    client = site.client
    quoted = quote(value, safe="")
    requests: list[tuple[str, str, RequestOptions]] = [
        ("GET", "/review", {"params": {"decided": value}}),
        ("POST", "/review/decide", {"data": {"csrf": csrf, "candidate_id": value, "action": "reject"}}),
        ("POST", "/review/decide", {"data": {"csrf": csrf, "candidate_id": value, "action": "approve"}}),
        ("POST", "/review/decide", {"data": {"csrf": csrf, "candidate_id": str(candidate_id), "action": value}}),
        (
            "POST",
            "/review/decide",
            {"data": {"csrf": csrf, "candidate_id": str(candidate_id), "action": "approve", "section": value}},
        ),
        ("POST", "/review/decide", {"data": {"csrf": value, "candidate_id": value, "action": "reject"}}),
        ("POST", "/review/signout", {"data": {"csrf": value}}),
        ("GET", "/feeds/candidates.xml", {"params": {"token": value}}),
        ("GET", "/feeds/list.xml", {"headers": {"If-None-Match": header_safe(value)}}),
        ("GET", "/feeds/list.atom", {"headers": {"If-Modified-Since": header_safe(value)}}),
        *(
            ("GET", "/review", RequestOptions(params={name: value}))
            for name in ("title", "author", "section", "min", "max")
        ),
        ("GET", "/review", {"params": {"status": value, "undone": value, "rejected": value, "skipped": value}}),
        ("GET", "/review", {"params": {"already": value, "not_undone": value}}),
        ("POST", "/review/decide", {"data": {"csrf": csrf, "candidate_id": value, "action": "undo"}}),
        ("POST", "/review/decide", {"data": {"csrf": csrf, "ids": value, "action": "reject-shown"}}),
        ("POST", "/review/decide", {"data": {"csrf": csrf, "ids": "1", "action": "reject-shown", "filters": value}}),
        ("GET", "/review/shortcuts.js", {"params": {"v": value}}),
        ("POST", "/review/add", {"data": {"csrf": csrf, "paper": value}}),
        ("POST", "/review/add", {"data": {"csrf": csrf, "paper": "2411.16198", "section": value, "filters": value}}),
        ("POST", "/review/add", {"data": {"csrf": value, "paper": value}}),
        ("GET", "/history", {"params": {"since": value}}),
        ("GET", "/suggest", {"params": {"paper": value}}),
        ("POST", "/suggest", {"data": {"paper": value, "note": value}}),
        ("POST", "/suggest", {"data": {"paper": value, "website": value}}),
        ("GET", "/", {"params": {"page": value}}),
        ("GET", "/", {"params": {"q": value}}),
        ("GET", "/list.md", {"params": {"v": value}}),
        ("GET", "/healthz", {"params": {"v": value}}),
    ]
    for method, path, options in requests:
        async with client.request(method, path, **options) as response:
            await assert_no_server_error(response, f"{method} {path} {value!r}")
    for method in ("GET", "POST"):
        async with client.request(method, URL(f"{site.base}/approve/{quoted}", encoded=True)) as response:
            await assert_no_server_error(response, f"{method} /approve/{value!r}")
    cookie = {"Cookie": f"digest_session={header_safe(value).replace(';', '')}"}
    async with site.fresh_client() as stranger:
        async with stranger.get("/review", headers=cookie) as response:
            await assert_no_server_error(response, f"session cookie {value!r}")
        form = {**await signin_form(stranger), "token": value}
        async with stranger.post("/review/signin", data=form) as response:
            await assert_no_server_error(response, f"sign-in token {value!r}")


# Past PostgreSQL's INTEGER, the type of every id column (SQLite's is wider): "integer out of range" there.
PAST_POSTGRESQL = ["2147483648", "3000000000", str(2**63 - 1)]


@pytest.mark.asyncio
async def test_the_named_odd_numbers_get_400_not_500(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
) -> None:
    settings = make_settings(tmp_path / "data", environ={**SECRETS_ENV, **each_database})
    async with running_site(settings) as site:
        await _named_odd_numbers_get_400(site)


async def _named_odd_numbers_get_400(site: Site) -> None:
    _, csrf = await sign_in(site)
    async with site.client.get("/review", params={"decided": "²"}) as response:
        assert response.status == 400
        assert "must be a candidate" in await response.text()
    for odd in ("9" * 25, "²", "-1", "", *PAST_POSTGRESQL):
        async with site.client.get("/review", params={"decided": odd}) as response:
            await assert_no_server_error(response, f"/review?decided={odd}")
    for odd in ("9" * 25, "²", "-1", "", *PAST_POSTGRESQL):
        form = {"csrf": csrf, "candidate_id": odd, "action": "approve"}
        async with site.client.post("/review/decide", data=form) as response:
            assert response.status == 400, odd
            assert '<a href="/review">Back to the review page</a>' in await response.text(), odd  # not the list
    batch = {"csrf": csrf, "ids": "x", "action": "reject-shown"}
    async with site.client.post("/review/decide", data=batch) as response:
        assert response.status == 400 and '<a href="/review">Back to the review page</a>' in await response.text()
    unreadable = {"Content-Type": "application/x-www-form-urlencoded; charset=no-such-charset"}
    async with site.client.post("/review/decide", data=b"csrf=x", headers=unreadable) as response:
        assert response.status == 400 and '<a href="/review">Back to the review page</a>' in await response.text()
    async with site.client.get("/review", params={"decided": "12345"}) as response:
        assert response.status == 200  # a number that names no candidate is no error: nothing is shown


SIGNED_IN: dict[str, tuple[str, int]] = {}  # site address -> (CSRF token, candidate id), once per site


@pytest.mark.asyncio
@BOUNDED
@given(value=ODD)
@example(value="²")
@example(value="99999999999999999999999")
async def test_no_route_answers_500_to_an_odd_value(site: Site, value: str) -> None:
    # One site for all examples (starting one each would cost a second apiece); signed in once, because the odd
    # sign-in tokens below lock this address out of signing in again.
    if site.base not in SIGNED_IN:
        candidate_id = insert_candidate(site.database, real_papers()[0])
        SIGNED_IN[site.base] = ((await sign_in(site))[1], candidate_id)
    csrf, candidate_id = SIGNED_IN[site.base]
    await send_everywhere(site, csrf, candidate_id, value)


# -- the command line ----------------------------------------------------------------------------------------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    """The real entry point in this process: an exception escaping it would be the traceback a user sees."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exc:  # argparse's usage errors
            status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


def assert_one_line_refusal(result: tuple[int, str, str], what: str) -> None:
    status, out, err = result
    assert status in (1, 2), f"{what}: exit {status}: {out!r} {err!r}"
    assert "Traceback" not in err and out == "", what
    assert err.endswith("\n") and err.count("\n") == 1, f"{what}: {err!r}"


def test_the_named_odd_ids_are_one_line_on_the_command_line(
    data_dir: Path,
    each_database: dict[str, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in each_database.items():
        monkeypatch.setenv(name, value)
    for command in ("approve", "reject"):
        for odd in ("99999999999999999999999", "²", "٣", "", "-5", "9" * 5000, *PAST_POSTGRESQL):
            result = run_cli("--data-dir", str(data_dir), command, "--", odd)
            assert_one_line_refusal(result, f"{command} {odd!r}")
            assert result[0] == 2 and "is not a candidate id" in result[2], odd


@BOUNDED
@given(value=ODD)
@example(value="99999999999999999999999")
def test_every_id_taking_command_refuses_an_odd_value_in_one_line(data_dir: Path, value: str) -> None:
    for command in ("approve", "reject"):
        result = run_cli("--data-dir", str(data_dir), command, "--", value)
        if parse_record_id(value) is None:
            assert result[0] == 2, value
        assert_one_line_refusal(result, f"{command} {value!r}")
    # An odd section for an id that names no candidate, and for one that does (the seed list has no candidates).
    result = run_cli("--data-dir", str(data_dir), "approve", f"--section={value}", "--", "1")
    assert_one_line_refusal(result, f"approve --section {value!r}")


@pytest.fixture
def with_candidate(data_dir: Path) -> Iterator[int]:
    from digest.service.wiring import open_service_database
    from tests.conftest import make_settings

    database = open_service_database(make_settings(data_dir))
    try:
        candidate_id = insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()
    yield candidate_id


@BOUNDED
@given(section=ODD)
def test_an_odd_section_for_a_real_candidate_is_one_line(data_dir: Path, with_candidate: int, section: str) -> None:
    result = run_cli("--data-dir", str(data_dir), "approve", f"--section={section}", "--", str(with_candidate))
    if result[0] == 0:  # the drawn text named a real section (e.g. its slug): approved, nothing odd
        run_cli("--data-dir", str(data_dir), "reject", str(with_candidate))
        return
    assert_one_line_refusal(result, f"approve --section {section!r}")
