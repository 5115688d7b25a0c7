"""/history: the audit log for signed-in maintainers, newest first, through the real app on loopback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from markupsafe import escape
from sqlalchemy import update

from digest.review.rules import Actor
from digest.storage.models import Decision
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.web_server import SECRETS_ENV, Site, running_site, sign_in, signin_form


@pytest_asyncio.fixture
async def site_on_each_database(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Site]:
    """The web app on each database in turn, this process's environment naming the same one (DIGEST_DATABASE_URL on
    PostgreSQL, as the maintainer's shell does): the `digest history` a test runs reads the site's database."""
    for name, value in each_database.items():
        monkeypatch.setenv(name, value)
    async with running_site(make_settings(tmp_path / "data", environ={**SECRETS_ENV, **each_database})) as running:
        yield running


def decide_three(site: Site) -> list[int]:
    """Three decisions on two candidates: approve (Discord), reject (CLI, dated 2026-01-02), revert (CLI)."""
    first, second = (insert_candidate(site.database, record) for record in real_papers()[:2])
    site.reviewer.decide(first, "approve", Actor(name="ada <b>", id="1", channel="discord"), "Steering")
    site.reviewer.decide(second, "reject", Actor(name="bob", id=None, channel="cli"))
    with site.database.transaction() as session:
        session.execute(
            update(Decision).where(Decision.candidate_id == second).values(at=datetime(2026, 1, 2, 9, 30, tzinfo=UTC))
        )
    site.reviewer.decide(first, "revert", Actor(name="cyd", id=None, channel="cli"))
    return [first, second]


@pytest.mark.asyncio
async def test_history_shows_who_decided_what_when_and_how_newest_first(site: Site) -> None:
    decide_three(site)
    first_title, second_title = (str(escape(record["title"])) for record in real_papers()[:2])
    await sign_in(site)
    async with site.client.get("/review") as review:
        assert 'href="/history"' in await review.text()
    async with site.client.get("/history") as reply:
        assert reply.status == 200 and reply.headers["Cache-Control"] == "no-store"
        body = await reply.text()
    rows = body.split('<tr class="decision">')[1:]
    assert len(rows) == 3
    # Newest first: the revert, the approval, then the rejection dated 2026-01-02.
    assert "back to pending" in rows[0] and "cyd" in rows[0]
    assert "approved into Steering" in rows[1] and "discord" in rows[1] and first_title in rows[1]
    assert "rejected" in rows[2] and "2026-01-02 09:30" in rows[2] and "bob" in rows[2] and second_title in rows[2]
    assert "ada &lt;b&gt;" in body and "ada <b>" not in body  # escaped


@pytest.mark.asyncio
async def test_since_keeps_the_decisions_from_that_day_on(site: Site) -> None:
    decide_three(site)
    await sign_in(site)
    async with site.client.get("/history", params={"since": "2026-01-03"}) as reply:
        body = await reply.text()
    assert body.count('<tr class="decision">') == 2 and "rejected" not in body
    async with site.client.get("/history", params={"since": "2026-01-02"}) as reply:
        assert (await reply.text()).count('<tr class="decision">') == 3


@pytest.mark.asyncio
@pytest.mark.parametrize("since", ["yesterday", "2026-1-2", "2026-02-30", "２０２６-01-02", "2026-01-02T00:00"])
async def test_a_bad_since_is_a_400_in_one_line(site: Site, since: str) -> None:
    await sign_in(site)
    async with site.client.get("/history", params={"since": since}) as reply:
        body = await reply.text()
        assert reply.status == 400
    assert body.count('class="error"') == 1 and "YYYY-MM-DD" in body


@pytest.mark.asyncio
async def test_history_is_for_maintainers_only(site: Site) -> None:
    decide_three(site)
    async with site.fresh_client() as stranger, stranger.get("/history") as reply:
        body = await reply.text()
    assert "Admin token" in body and "<tr" not in body and "Steering" not in body


@pytest.mark.asyncio
async def test_older_decisions_are_reached_page_by_page_none_twice_none_lost_on_every_database(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A year of decisions outgrows one page: "Older decisions" leads on until the first decision, in order, even
    when decisions share a time (PostgreSQL returns ties as its rows lie: the order falls back to the ids there too)."""
    monkeypatch.setattr("digest.web.maintainer.HISTORY_ROWS", 2)
    settings = make_settings(tmp_path / "data", environ={**SECRETS_ENV, **each_database})
    async with running_site(settings) as site:
        _, second = decide_three(site)
        with site.database.transaction() as session:  # two decisions at one time: the order falls back to their ids
            session.execute(update(Decision).values(at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC)))
        site.reviewer.decide(second, "approve", Actor(name="dan", id=None, channel="cli"), "Probing")
        await sign_in(site)
        seen: list[str] = []
        address: str | None = "/history"
        while address is not None:
            async with site.client.get(address) as reply:
                assert reply.status == 200
                body = await reply.text()
            seen += [row.split("<td>")[4].split("</td>")[0] for row in body.split('<tr class="decision">')[1:]]
            older = body.split('id="older" href="')
            address = older[1].split('"')[0].replace("&amp;", "&") if len(older) > 1 else None
    assert seen == ["dan", "cyd", "bob", "ada &lt;b&gt;"]  # newest first, each once


@pytest.mark.asyncio
@pytest.mark.parametrize(("before", "status"), [("x", 400), ("-1", 400), ("0", 400), ("99999", 404)])
async def test_a_bad_page_is_refused_in_one_line(site: Site, before: str, status: int) -> None:
    decide_three(site)
    await sign_in(site)
    async with site.client.get("/history", params={"before": before}) as reply:
        body = await reply.text()
        assert reply.status == status
    assert body.count('class="error"') == 1 and "<tr" not in body


@pytest.mark.asyncio
@pytest.mark.parametrize("before", ["2147483648", "3000000000", "999999999999999999"])
async def test_a_page_past_the_id_columns_range_is_no_such_decision_on_every_database(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
    before: str,
) -> None:
    """PostgreSQL holds ids in 32 bits and answered such a number with 'integer out of range': a 500 page."""
    settings = make_settings(tmp_path / "data", environ={**SECRETS_ENV, **each_database})
    async with running_site(settings) as site:
        decide_three(site)
        await sign_in(site)
        async with site.client.get("/history", params={"before": before}) as reply:
            body = await reply.text()
            assert reply.status == 404, body[:300]
    assert "There is no such decision" in body and "<tr" not in body


@pytest.mark.asyncio
async def test_signing_in_from_the_history_page_returns_to_that_page(site: Site) -> None:
    """A bookmark of /history?since=... opened signed out offers the sign-in form; signing in led to /review, and the
    maintainer had to find the history and type the day again. A wrong token first keeps the way back."""
    decide_three(site)
    async with site.client.get("/history", params={"since": "2026-01-03"}) as reply:
        form = await reply.text()
    assert "Admin token" in form
    fields = dict(re.findall(r'<input type="hidden" name="([a-z]+)" value="([^"]*)"', form))
    async with site.client.post("/review/signin", data={**fields, "token": "not the admin token"}) as reply:
        assert reply.status == 403
        fields = dict(re.findall(r'<input type="hidden" name="([a-z]+)" value="([^"]*)"', await reply.text()))
    token = SECRETS_ENV["DIGEST_ADMIN_TOKEN"]
    async with site.client.post("/review/signin", data={**fields, "token": token}, allow_redirects=False) as reply:
        assert reply.status == 303
        assert reply.headers["Location"] == "/history?since=2026-01-03"
    async with site.client.get(reply.headers["Location"]) as page:
        assert (await page.text()).count('<tr class="decision">') == 2


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "filters", ["since=2026-01-03&next=https://evil.example/", "since=//evil.example", "before=x&since=tomorrow"]
)
async def test_the_way_back_after_signing_in_is_rebuilt_never_echoed(site: Site, filters: str) -> None:
    token = SECRETS_ENV["DIGEST_ADMIN_TOKEN"]
    form = {**await signin_form(site.client, "/history"), "page": "history", "filters": filters, "token": token}
    async with site.client.post("/review/signin", data=form, allow_redirects=False) as reply:
        location = reply.headers["Location"]
    assert location in ("/history", "/history?since=2026-01-03"), location


@pytest.mark.asyncio
async def test_a_refused_address_of_a_maintainers_page_leads_back_to_that_page(site: Site) -> None:
    """An old bookmark of /history?before=... (a decision since deleted with its candidate) said "start again from the
    newest" and its only link, "Back to the list", led to the public list, where neither the newest decisions nor the
    review queue are; a mistyped filter on /review led there too. Expected: the link goes back to the page refused,
    with nothing of the refused address."""
    await sign_in(site)
    for path, back, label in (
        ("/history?before=999999", "/history", "Back to the history"),
        ("/history?since=yesterday", "/history", "Back to the history"),
        ("/review?min=abc&status=pending", "/review", "Back to the review page"),
        ("/review?decided=first", "/review", "Back to the review page"),
    ):
        async with site.client.get(path) as reply:
            page = await reply.text()
        assert reply.status in (400, 404), path
        assert f'<a href="{back}">{label}</a>' in page, (path, page)


@pytest.mark.asyncio
async def test_an_approval_that_moved_the_paper_says_the_move_in_the_history(
    site_on_each_database: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest approve 17 --section Steering` of a paper approved into Attention answered "moved from Attention (...) to
    Steering", but `digest history` and /history said only "approved into Steering". They now say the move too."""
    from digest.cli import main

    site = site_on_each_database
    candidate = insert_candidate(site.database, real_papers()[0])
    site.reviewer.decide(candidate, "approve", Actor(name="ann", id="1", channel="discord"), "Attention")
    moved = site.reviewer.decide(candidate, "approve", Actor(name="bob", id=None, channel="cli"), "Steering")
    assert moved.message.startswith("moved from Attention (approved there by ann via discord"), moved.message

    assert main(["--data-dir", str(site.settings.data_dir), "history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "approved into Attention by ann via discord:" in lines[0] and "moved" not in lines[0]
    assert "approved into Steering (moved from Attention) by bob via cli:" in lines[1], lines
    await sign_in(site)
    async with site.client.get("/history") as reply:
        rows = (await reply.text()).split('<tr class="decision">')[1:]
    assert "approved into Steering (moved from Attention)" in rows[0] and "bob" in rows[0]


@pytest.mark.asyncio
async def test_history_ends_on_the_decision_that_stands_when_the_clock_went_back(
    site_on_each_database: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ann approves; the clock is stepped back half an hour (NTP, a second host behind) and Bob rejects: Bob's
    rejection stands, but `digest history` ended on Ann's approval and /history put it on top, as if it stood.
    Expected: a candidate's decisions in the order they were made, page after page; across candidates, by time."""
    from datetime import timedelta

    from digest.cli import main

    site = site_on_each_database
    monkeypatch.setattr("digest.web.maintainer.HISTORY_ROWS", 1)
    first, second = (insert_candidate(site.database, record) for record in real_papers()[:2])
    site.reviewer.decide(first, "approve", Actor(name="ann", id="1", channel="discord"), "Steering")
    site.clock.step(-timedelta(minutes=30))
    site.reviewer.decide(first, "reject", Actor(name="bob", id=None, channel="cli"))
    site.reviewer.decide(second, "reject", Actor(name="cyd", id=None, channel="cli"))  # half an hour "before" ann
    assert site.status_of(first) == "rejected"

    assert main(["--data-dir", str(site.settings.data_dir), "history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" by ")[1].split()[0] for line in lines] == ["cyd", "ann", "bob"], lines
    assert "rejected by bob via cli" in lines[-1]
    await sign_in(site)
    seen: list[str] = []
    address: str | None = "/history"
    while address is not None:
        async with site.client.get(address) as reply:
            body = await reply.text()
        seen += [row.split("<td>")[4].split("</td>")[0] for row in body.split('<tr class="decision">')[1:]]
        older = body.split('id="older" href="')
        address = older[1].split('"')[0].replace("&amp;", "&") if len(older) > 1 else None
    assert seen == ["bob", "ann", "cyd"]  # newest first, each once: the one that stands on top
