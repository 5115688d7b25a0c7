"""The "Add a paper" field on /review: what `digest add` does (fetch, score, approve as channel "web"), through the
real app on loopback, arXiv answered by a loopback server with the real recorded API responses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from digest.storage.models import APPROVED, Candidate, Decision
from tests.add_command import API_PATH, HEAT_BATH, NO_ENTRY, recorded, trimmed
from tests.arxiv_server import ArxivServer, Reply
from tests.review_add import NEW_PAPER, UNISSUED, ArxivSite, add, arxiv_config, counts
from tests.waiting import until
from tests.web_server import running_site, sign_in, site_settings


@pytest_asyncio.fixture
async def arxiv_site(tmp_path: Path) -> AsyncIterator[ArxivSite]:
    """The web app whose arXiv API is a loopback server (program it per test)."""
    async with ArxivServer() as arxiv, running_site(site_settings(tmp_path / "data", arxiv_config(arxiv))) as site:
        yield ArxivSite(site, arxiv)


@pytest.mark.asyncio
async def test_a_paper_is_fetched_scored_and_approved_from_the_review_page(arxiv_site: ArxivSite) -> None:
    site, arxiv = arxiv_site.site, arxiv_site.arxiv
    _, csrf = await sign_in(site)
    async with site.client.get("/review") as page:
        assert 'action="/review/add"' in await page.text()
    arxiv.program(API_PATH, trimmed(NEW_PAPER, "2511.16674"))
    status, body = await add(site, csrf, "https://arxiv.org/abs/2511.16674v1")
    assert status == 200, body
    assert [r.path for r in arxiv.requests] == [API_PATH] and "id_list=2511.16674" in arxiv.requests[0].query
    with site.database.reading() as session:
        candidate = session.scalars(select(Candidate).where(Candidate.arxiv_id == "2511.16674")).one()
        decisions = list(session.scalars(select(Decision).where(Decision.candidate_id == candidate.id)))
        assert candidate.status == APPROVED and candidate.decided_section == candidate.suggested_section
        assert [(d.action, d.channel) for d in decisions] == [("approve", "web")]
    assert f"2511.16674 ({candidate.title}): approved into {candidate.suggested_section}" in body
    async with site.client.get("/list.md") as markdown:
        assert "https://arxiv.org/abs/2511.16674" in await markdown.text()

    # Again: already in the list, said in one line, arXiv not asked, nothing written.
    before = counts(site)
    status, body = await add(site, csrf, "2511.16674")
    assert status == 409 and "2511.16674 is already in the list" in body
    assert len(arxiv.requests) == 1 and counts(site) == before


@pytest.mark.asyncio
async def test_a_pending_candidate_is_approved_into_the_named_section_not_duplicated(arxiv_site: ArxivSite) -> None:
    from tests.factories import insert_candidate, real_papers

    site = arxiv_site.site
    record = real_papers()[0]
    candidate_id = insert_candidate(site.database, record)
    _, csrf = await sign_in(site)
    status, body = await add(site, csrf, f"arXiv:{record['arxiv_id']}", "Steering")
    assert status == 200, body
    assert arxiv_site.arxiv.requests == []  # known candidate: arXiv is not asked
    with site.database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.status == APPROVED and candidate.decided_section == "Steering"
        assert session.scalar(select(func.count()).select_from(Candidate)) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("paper", "section", "reply", "status", "said"),
    [
        ("not a paper", "", None, 400, "not an arXiv ID or URL"),
        ("https://example.org/abs/1605.08386", "", None, 400, "not an arXiv ID or URL"),
        ("1605.08386", "", recorded(HEAT_BATH), 409, "no section suggested for 1605.08386"),
        ("1605.08386", "Nowhere", recorded(HEAT_BATH), 409, "no section named &#39;Nowhere&#39;"),
        ("1605.08386", "", recorded(NO_ENTRY), 404, "arXiv has no paper 1605.08386"),
        ("1605.08386", "", Reply(status=503, body=b"busy"), 502, "could not fetch 1605.08386"),
    ],
)
async def test_refusals_are_one_line_and_write_nothing(
    arxiv_site: ArxivSite, paper: str, section: str, reply: Reply | None, status: int, said: str
) -> None:
    site = arxiv_site.site
    if reply is not None:
        arxiv_site.arxiv.program(API_PATH, reply)
    _, csrf = await sign_in(site)
    before = counts(site)
    got, body = await add(site, csrf, paper, section)
    assert got == status and said in body, body
    assert body.count('class="error"') == 1 and "Traceback" not in body
    assert counts(site) == before


@pytest.mark.asyncio
async def test_the_arxiv_fetch_does_not_block_other_requests(arxiv_site: ArxivSite) -> None:
    site = arxiv_site.site
    arxiv_site.arxiv.program(API_PATH, Reply(**{**vars(trimmed(NEW_PAPER, "2511.16674")), "delay_seconds": 1.5}))
    _, csrf = await sign_in(site)
    started = time.monotonic()
    adding = asyncio.create_task(add(site, csrf, "2511.16674"))
    # The add is now waiting for arXiv, which answers 1.5 s after being asked (arXiv here is served on this loop too:
    # a fetch that blocked the loop would not be seen asking).
    await until(lambda: arxiv_site.arxiv.requests_to(API_PATH), "the add asking arXiv, the loop free", 1.2)
    async with site.client.get("/healthz") as health:
        await health.read()
    # Answered while the add still waits: a fetch that blocked the loop would hold this answer back past 1.5 s.
    assert time.monotonic() - started < 1.2 and not adding.done()
    status, _ = await adding
    assert status == 200


@pytest.mark.asyncio
async def test_adding_needs_a_session_and_its_csrf_token(arxiv_site: ArxivSite) -> None:
    site = arxiv_site.site
    before = counts(site)
    form = {"paper": "2511.16674", "csrf": "x"}
    async with site.fresh_client() as stranger, stranger.post("/review/add", data=form) as reply:
        assert reply.status == 403
    await sign_in(site)
    status, _ = await add(site, "a forged token", "2511.16674")
    assert status == 403
    assert counts(site) == before and arxiv_site.arxiv.requests == []


@pytest.mark.asyncio
@pytest.mark.parametrize(("paper", "said"), UNISSUED)
async def test_an_id_arxiv_cannot_have_issued_is_named_so(arxiv_site: ArxivSite, paper: str, said: str) -> None:
    """Was: "That is not an arXiv ID or URL", as for any text, where `digest add` names what is wrong."""
    site = arxiv_site.site
    _, csrf = await sign_in(site)
    before = counts(site)
    status, body = await add(site, csrf, paper)
    assert status == 400 and body.count('class="error"') == 1 and said in body, body
    assert counts(site) == before and arxiv_site.arxiv.requests == []
