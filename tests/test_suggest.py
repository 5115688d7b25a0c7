"""Readers suggest papers on /suggest: fetched, scored and queued as pending candidates marked "suggested by a reader"
(never approved by themselves), through the real app on loopback with arXiv answered from the real recorded files."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from digest.storage.models import PENDING, Candidate, Decision
from tests.add_command import API_PATH, HEAT_BATH, recorded
from tests.arxiv_server import ArxivServer, Reply
from tests.factories import insert_candidate, real_papers
from tests.review_add import UNISSUED, ArxivSite, arxiv_config, counts
from tests.web_server import Site, running_site, sign_in, site_settings

NOTE = 'From the authors <script>alert("x")</script>: a random walk paper'


@pytest_asyncio.fixture
async def arxiv_site(tmp_path: Path) -> AsyncIterator[ArxivSite]:
    """Behind a trusted proxy on 127.0.0.1, so X-Forwarded-For stands for different readers."""
    async with ArxivServer() as arxiv:
        config = arxiv_config(arxiv) + '\n[web]\ntrusted_proxies = ["127.0.0.1"]\n'
        async with running_site(site_settings(tmp_path / "data", config)) as site:
            yield ArxivSite(site, arxiv)


async def suggest(site: Site, reader: str = "198.51.100.7", **form: str) -> tuple[int, str, dict[str, str]]:
    headers = {"X-Forwarded-For": reader}
    async with site.fresh_client() as client, client.post("/suggest", data=form, headers=headers) as reply:
        return reply.status, await reply.text(), dict(reply.headers)


@pytest.mark.asyncio
async def test_a_suggestion_is_queued_for_review_with_its_note_never_approved(arxiv_site: ArxivSite) -> None:
    site, arxiv = arxiv_site.site, arxiv_site.arxiv
    async with site.client.get("/") as listing:
        assert 'href="/suggest"' in await listing.text()
    async with site.client.get("/suggest") as form_page:
        page = await form_page.text()
    assert form_page.status == 200 and 'name="paper"' in page and 'name="note"' in page and 'name="website"' in page
    # A mathematics paper the model would not flag and gives no section: still queued, as a first-tier candidate.
    arxiv.program(API_PATH, recorded(HEAT_BATH))
    status, body, _ = await suggest(site, paper="https://arxiv.org/abs/1605.08386v1", note=NOTE)
    assert status == 200, body
    assert "1605.08386 is queued for review" in body and "What happens next" in body
    assert "id_list=1605.08386" in arxiv.requests[0].query
    with site.database.reading() as session:
        candidate = session.scalars(select(Candidate).where(Candidate.arxiv_id == "1605.08386")).one()
        assert candidate.status == PENDING and candidate.relevant
        assert candidate.source_feeds == ["suggested by a reader"] and candidate.reader_note == NOTE
        assert session.scalar(select(func.count()).select_from(Decision)) == 0
    await sign_in(site)
    async with site.client.get("/review") as review:
        body = await review.text()
    card = body[body.index(f'id="candidate-{candidate.id}"') :]
    assert "Suggested by a reader" in card and "&lt;script&gt;alert" in card and "<script>alert" not in body

    # The same paper again: thanked, not stored twice, arXiv not asked again.
    before = counts(site)
    status, body, _ = await suggest(site, paper="arXiv:1605.08386")
    assert status == 200 and "already reached the maintainers" in body
    assert counts(site) == before and len(arxiv.requests) == 1


@pytest.mark.asyncio
async def test_a_suggestion_raises_a_second_tier_paper_into_the_review_queue(arxiv_site: ArxivSite) -> None:
    """A paper a poll kept just under the threshold (pending, second tier: the weekly digest only) was answered "already
    reached the maintainers" and then shown to none of them; now it joins the queue, marked with the reader's note."""
    site = arxiv_site.site
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper, relevant=False)
    await sign_in(site)
    async with site.client.get("/review") as review:
        assert f'id="candidate-{candidate_id}"' not in await review.text()  # the second tier waits for the digest
    status, body, _ = await suggest(site, paper=paper["arxiv_id"], note=NOTE)
    assert status == 200 and f"{paper['arxiv_id']} is queued for review" in body, body
    assert arxiv_site.arxiv.requests == []  # known already: arXiv is not asked
    async with site.client.get("/review") as review:
        page = await review.text()
    card = page[page.index(f'id="candidate-{candidate_id}"') :]
    assert "Suggested by a reader" in card and "&lt;script&gt;alert" in card
    with site.database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.relevant and candidate.status == PENDING
        assert candidate.reader_note == NOTE and candidate.source_feeds[-1] == "suggested by a reader"
    # Once it is in the queue, or decided, another suggestion changes nothing.
    status, body, _ = await suggest(site, reader="198.51.100.8", paper=paper["arxiv_id"], note="another note")
    assert status == 200 and "already reached the maintainers" in body
    with site.database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.reader_note == NOTE


@pytest.mark.asyncio
async def test_a_paper_already_in_the_list_is_said_so(arxiv_site: ArxivSite) -> None:
    before = counts(arxiv_site.site)
    status, body, _ = await suggest(arxiv_site.site, paper="2411.16198")  # a seed entry
    assert status == 200 and "2411.16198 is already in the list" in body
    assert counts(arxiv_site.site) == before and arxiv_site.arxiv.requests == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "paper",
    [
        "https://arxiv.org/abs/1605.08386?context=math",  # how arXiv's listings link a cross-list
        "https://arxiv.org/abs/1605.08386v1#",
        "https://arxiv.org/html/1605.08386v1",  # arXiv's HTML view of a paper
        "https://arxiv.org/pdf/1605.08386v1?download=true",
    ],
)
async def test_an_arxiv_address_as_a_browser_shows_it_is_taken(arxiv_site: ArxivSite, paper: str) -> None:
    """Was: "That is not an arXiv ID or URL" (400) for the address a reader copied from arXiv's own pages."""
    arxiv_site.arxiv.program(API_PATH, recorded(HEAT_BATH))
    status, body, _ = await suggest(arxiv_site.site, paper=paper)
    assert status == 200 and "1605.08386 is queued for review" in body, body


@pytest.mark.asyncio
@pytest.mark.parametrize("paper", ["not a paper", "https://example.org/abs/1605.08386", "", "1605.08386 please"])
async def test_non_arxiv_input_is_refused_in_one_line(arxiv_site: ArxivSite, paper: str) -> None:
    before = counts(arxiv_site.site)
    status, body, _ = await suggest(arxiv_site.site, paper=paper, note="n")
    assert status == 400 and body.count('class="error"') == 1 and "not an arXiv ID or URL" in body
    assert counts(arxiv_site.site) == before and arxiv_site.arxiv.requests == []


@pytest.mark.asyncio
async def test_an_unreachable_arxiv_stores_nothing(arxiv_site: ArxivSite) -> None:
    arxiv_site.arxiv.program(API_PATH, Reply(status=503, body=b"busy"))
    before = counts(arxiv_site.site)
    status, body, headers = await suggest(arxiv_site.site, paper="1605.08386")
    assert status == 503 and int(headers["Retry-After"]) > 0 and body.count('class="error"') == 1
    assert "arXiv could not be reached just now, so nothing was queued" in body
    for internal in ("127.0.0.1", "/api/query", "503", "Error"):  # the details are the operator's, in the log
        assert internal not in body.split('id="error"')[1].split("</p>")[0], internal
    assert counts(arxiv_site.site) == before


@pytest.mark.asyncio
async def test_a_filled_honeypot_pretends_success_and_stores_nothing(arxiv_site: ArxivSite) -> None:
    arxiv_site.arxiv.program(API_PATH, recorded(HEAT_BATH))
    before = counts(arxiv_site.site)
    status, body, _ = await suggest(arxiv_site.site, paper="1605.08386", website="http://spam.example")
    assert status == 200 and "queued for review" in body and "What happens next" in body
    assert counts(arxiv_site.site) == before and arxiv_site.arxiv.requests == []


@pytest.mark.asyncio
async def test_suggestions_are_rate_limited_per_reader(arxiv_site: ArxivSite) -> None:
    site = arxiv_site.site
    for _ in range(6):  # typos cost a reader nothing
        status, _, _ = await suggest(site, reader="203.0.113.5", paper="nope")
        assert status == 400
    for _ in range(5):  # what may reach arXiv counts (here: a paper already in the list)
        status, _, _ = await suggest(site, reader="203.0.113.5", paper="2411.16198")
        assert status == 200
    status, body, headers = await suggest(site, reader="203.0.113.5", paper="2411.16198")
    assert status == 429 and int(headers["Retry-After"]) > 0 and "Too many suggestions" in body
    # Another reader behind the same trusted proxy is not limited by the first one's posts.
    status, _, _ = await suggest(site, reader="203.0.113.6", paper="2411.16198")
    assert status == 200
    # A locked-out reader stores nothing, even with a good paper.
    insert_before = counts(site)
    status, _, _ = await suggest(site, reader="203.0.113.5", paper="1605.08386")
    assert status == 429 and counts(site) == insert_before and arxiv_site.arxiv.requests == []


@pytest.mark.asyncio
async def test_the_forwarded_header_is_ignored_from_an_untrusted_peer(site: Site) -> None:
    """Without web.trusted_proxies every post counts against the peer, whatever X-Forwarded-For claims."""
    insert_candidate(site.database, real_papers()[0])
    for number in range(5):
        status, _, _ = await suggest(site, reader=f"192.0.2.{number}", paper="2411.16198")
        assert status == 200
    status, _, _ = await suggest(site, reader="192.0.2.99", paper="2411.16198")
    assert status == 429


@pytest.mark.asyncio
async def test_a_refused_suggestion_is_announced_and_tied_to_its_field(arxiv_site: ArxivSite) -> None:
    status, body, _ = await suggest(arxiv_site.site, paper="not an id")
    assert status == 400
    field = re.search(r'<input type="text" id="paper"[^>]*>', body)
    assert (
        field is not None and 'aria-invalid="true"' in field.group(0) and 'aria-describedby="error"' in field.group(0)
    )
    assert 'id="error" role="alert"' in body and re.search(r"<title>Not suggested:", body)


@pytest.mark.asyncio
async def test_a_reader_note_reaches_the_review_page_without_controls_or_bidi_overrides(arxiv_site: ArxivSite) -> None:
    """A reader's note was kept as typed: a right-to-left override (U+202E turns the rest of the line around on the
    maintainers' page), a NUL or a terminal escape reached /review, where the feed's own text never gets them."""
    site, arxiv = arxiv_site.site, arxiv_site.arxiv
    arxiv.program(API_PATH, recorded(HEAT_BATH))
    note = "Read \u202egnp.exe\u202c it\x00 now\x1b[31m\u2066 please\u2069\r\nthanks"
    status, body, _ = await suggest(site, paper="1605.08386", note=note)
    assert status == 200, body
    await sign_in(site)
    async with site.client.get("/review") as review:
        page = await review.text()
    shown = page[page.index("Suggested by a reader") :].split("</p>")[0]
    assert "Read" in shown and "gnp.exe" in shown and "please" in shown and "thanks" in shown
    for invisible in ("\u202e", "\u202c", "\u2066", "\u2069", "\x00", "\x1b", "\r"):
        assert invisible not in page, repr(invisible)
    with site.database.reading() as session:
        stored = session.scalars(select(Candidate.reader_note).where(Candidate.arxiv_id == "1605.08386")).one()
    assert stored is not None and "\x00" not in stored and "\u202e" not in stored


def second_tier_papers(site: Site, count: int) -> list[str]:
    """`count` papers a poll kept in the second tier, each of which a suggestion raises into the review queue."""
    paper = real_papers()[0]
    arxiv_ids = [f"2601.{number + 10:05d}" for number in range(count)]
    for arxiv_id in arxiv_ids:
        insert_candidate(site.database, {**paper, "arxiv_id": arxiv_id}, relevant=False, title=f"Paper {arxiv_id}")
    return arxiv_ids


@pytest.mark.asyncio
async def test_suggestions_that_add_nothing_do_not_pause_the_form_for_everyone(arxiv_site: ArxivSite) -> None:
    """A paper went round social media and 30 readers suggested it in an hour, 15 while it waited in the review
    queue and 15 once it was in the list: each was answered "already reached the maintainers" or "already in the
    list", nothing was queued and arXiv was not asked, yet the form was then paused for everyone for an hour, and
    the next reader's new paper refused. Six addresses could do the same on purpose, leaving no trace in the queue.
    Expected: only a suggestion that may ask arXiv or add to the review queue counts towards the limit for everyone."""
    site, arxiv = arxiv_site.site, arxiv_site.arxiv
    queued = insert_candidate(site.database, real_papers()[0])
    popular = real_papers()[0]["arxiv_id"]
    for number in range(15):
        status, body, _ = await suggest(site, reader=f"198.51.100.{number + 1}", paper=popular)
        assert status == 200 and "already reached the maintainers" in body, body
    for number in range(15):
        status, body, _ = await suggest(site, reader=f"198.51.100.{number + 101}", paper="2411.16198")
        assert status == 200 and "already in the list" in body, body
    arxiv.program(API_PATH, recorded(HEAT_BATH))
    status, body, _ = await suggest(site, reader="203.0.113.99", paper="1605.08386")
    assert status == 200 and "1605.08386 is queued for review" in body, body
    with site.database.reading() as session:
        assert session.get(Candidate, queued) is not None
        assert session.scalars(select(Candidate.status).where(Candidate.arxiv_id == "1605.08386")).one() == PENDING


@pytest.mark.asyncio
async def test_a_flood_from_many_addresses_is_limited_in_total(arxiv_site: ArxivSite) -> None:
    """The limit was per address only: a bot with many addresses (a botnet, an IPv6 block per post) could post
    suggestions without end, each a candidate in the maintainers' review queue and a request to arXiv. Expected: past
    30 suggestions in an hour from all addresses together, the form answers 429 with a page saying it is paused for
    everyone and for how long, and stores nothing."""
    site = arxiv_site.site
    for arxiv_id in second_tier_papers(site, 30):  # 30 readers, each raising a paper into the review queue
        status, body, _ = await suggest(site, reader=f"198.51.100.{arxiv_id[-2:]}", paper=arxiv_id)
        assert status == 200 and "is queued for review" in body, body
    before = counts(site)
    status, body, headers = await suggest(site, reader="203.0.113.99", paper="1605.08386")
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 3600
    assert "paused for everyone: try again in 60 minutes." in body and 'role="alert"' in body
    assert 'value="1605.08386"' in body  # the reader's input is kept for later
    assert counts(site) == before and arxiv_site.arxiv.requests == []


@pytest.mark.asyncio
async def test_the_limit_for_everyone_is_a_setting(tmp_path: Path) -> None:
    """The 30 suggestions an hour from all addresses were written into the code: a big list's operator, its readers
    paused every conference week, could not raise it, nor a small one lower it, without editing the source. Expected:
    `[web] suggestions_per_hour` sets it (30 when unset), and the page pauses past it."""
    async with ArxivServer() as arxiv:
        config = (
            f'[arxiv]\nsources = ["{arxiv.url("/rss/unused")}"]\napi_url = "{arxiv.url(API_PATH)}"\n'
            "min_interval_seconds = 0\nmax_retries = 0\n\n"
            '[web]\ntrusted_proxies = ["127.0.0.1"]\nsuggestions_per_hour = 3\n'
        )
        async with running_site(site_settings(tmp_path / "data", config)) as site:
            for arxiv_id in second_tier_papers(site, 3):
                assert (await suggest(site, reader=f"198.51.100.{arxiv_id[-2:]}", paper=arxiv_id))[0] == 200
            status, body, _ = await suggest(site, reader="203.0.113.99", paper="1605.08386")
            assert status == 429 and "paused for everyone" in body
            assert arxiv.requests == []
    assert site_settings(tmp_path / "other").web.suggestions_per_hour == 30


@pytest.mark.asyncio
@pytest.mark.parametrize(("paper", "said"), UNISSUED)
async def test_an_id_arxiv_cannot_have_issued_is_named_so(arxiv_site: ArxivSite, paper: str, said: str) -> None:
    """Was: "That is not an arXiv ID or URL", as for any text, where `digest add` names what is wrong."""
    before = counts(arxiv_site.site)
    status, body, _ = await suggest(arxiv_site.site, paper=paper, note="n")
    assert status == 400 and body.count('class="error"') == 1 and said in body, body
    assert "not an arXiv ID or URL" not in body
    assert counts(arxiv_site.site) == before and arxiv_site.arxiv.requests == []
