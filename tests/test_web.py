"""The web server on loopback: the list page, the public feeds (valid, cached, conditional), the private feed and
health — all through a real HTTP client."""

from __future__ import annotations

import html
import re
from datetime import UTC, timedelta
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import func, select

from digest.storage.models import Entry, Paper
from digest.storage.state import PollRun
from digest.web.feeds import feed_date
from tests.factories import insert_candidate, real_papers
from tests.web_pages import EARLIER, FEED_TOKEN, START, _actor
from tests.web_server import SECRETS_ENV, Site, approval_links, running_site, sign_in, site_settings


@pytest.mark.asyncio
async def test_the_list_page_shows_sections_entries_and_the_paper_count(site: Site) -> None:
    with site.database.reading() as session:
        papers = session.scalar(select(func.count(func.distinct(Entry.paper_id))))
        some_arxiv_id = session.scalars(select(Paper.arxiv_id).where(Paper.arxiv_id.is_not(None)).limit(1)).one()
    async with site.client.get("/") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        page = await response.text()
    assert f"{papers} papers" in page
    assert "<h2>Sparse Autoencoder</h2>" in page and "<h2>Probing</h2>" in page
    assert f"https://arxiv.org/abs/{some_arxiv_id}" in page


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/feeds/list.xml", "application/rss+xml; charset=utf-8"),
        ("/feeds/list.atom", "application/atom+xml; charset=utf-8"),
    ],
)
async def test_the_public_feeds_are_valid_newest_first_and_answer_304(site: Site, path: str, content_type: str) -> None:
    with site.database.reading() as session:  # seed papers by their paper date (tests/test_feed_dates.py)
        listed = session.scalars(select(Paper).where(Paper.entries.any())).all()
        newest = sorted(listed, key=lambda paper: (feed_date(paper), paper.id), reverse=True)[:3]
        expected_titles = [paper.title for paper in newest]
    async with site.client.get(path) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == content_type
        etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
        body = await response.read()
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == site.settings.web.feed_items
    assert [entry.title for entry in parsed.entries[:3]] == expected_titles
    assert parsed.entries[0].tags and parsed.entries[0].summary
    assert [link.href for link in parsed.feed.links if link.rel == "self"] == [site.settings.web.base_url + path]

    async with site.client.get(path, headers={"If-None-Match": etag}) as again:
        assert again.status == 304 and await again.read() == b""
        assert again.headers["ETag"] == etag
    async with site.client.get(path, headers={"If-Modified-Since": modified}) as again:
        assert again.status == 304
    async with site.client.get(path, headers={"If-None-Match": '"something-else"'}) as changed:
        assert changed.status == 200 and await changed.read() == body

    # A paper approved into the list leads the feed, and the old validators no longer match.
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper)
    site.clock.advance(timedelta(days=1))
    await site.reviewer.decide_async(candidate_id, "approve", _actor())
    async with site.client.get(path, headers={"If-None-Match": etag}) as after:
        assert after.status == 200 and after.headers["ETag"] != etag
        parsed = feedparser.parse(await after.read())
    assert not parsed.bozo
    assert parsed.entries[0].title == paper["title"]
    assert paper["abstract"][:80] in parsed.entries[0].summary
    assert [tag.term for tag in parsed.entries[0].tags] == ["Sparse Autoencoder"]


@pytest.mark.asyncio
async def test_the_candidates_feed_needs_its_token_and_leaks_nothing_without_it(site: Site) -> None:
    papers = real_papers()[:3]
    ids = [
        insert_candidate(site.database, paper, score=score)
        for paper, score in zip(papers, (0.3, 0.9, 0.6), strict=True)
    ]
    for params in ({}, {"token": ""}, {"token": FEED_TOKEN[:-1]}, {"token": SECRETS_ENV["DIGEST_ADMIN_TOKEN"]}):
        async with site.client.get("/feeds/candidates.xml", params=params) as refused:
            assert refused.status == 403
            body = await refused.text()
        assert not any(paper["title"] in body or paper["arxiv_id"] in body for paper in papers)
    async with site.client.get("/feeds/candidates.xml", params={"token": FEED_TOKEN}) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
        assert "no-store" in response.headers["Cache-Control"]
        body = await response.text()
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [entry.title for entry in parsed.entries] == [papers[1]["title"], papers[2]["title"], papers[0]["title"]]
    labels = [label for _, label in approval_links(body)]
    assert labels.count("Approve (Sparse Autoencoder)") == 3 and labels.count("Reject") == 3
    assert "Approve into Steering" in labels and "Approve into Sparse Autoencoder" not in labels
    assert all(site.status_of(candidate_id) == "pending" for candidate_id in ids)


@pytest.mark.asyncio
async def test_the_candidates_feed_answers_304_to_a_reader_that_has_it_and_only_with_its_token(site: Site) -> None:
    """A maintainer's feed reader polled the private feed every few minutes and was sent the whole feed each time (50
    candidates' abstracts and links), unchanged since its last poll, where the public feeds answer 304. Expected: the
    same feed answers 304 to the reader holding it, a changed one 200, and a wrong token 403 whatever it holds."""
    first, second = (insert_candidate(site.database, paper) for paper in real_papers()[:2])
    token = {"token": FEED_TOKEN}
    async with site.client.get("/feeds/candidates.xml", params=token) as response:
        assert response.status == 200
        etag = response.headers["ETag"]
        body = await response.read()
    assert not feedparser.parse(body).bozo
    async with site.client.get("/feeds/candidates.xml", params=token, headers={"If-None-Match": etag}) as again:
        assert again.status == 304 and await again.read() == b""
        assert again.headers["ETag"] == etag and "no-store" in again.headers["Cache-Control"]
    for params in ({}, {"token": FEED_TOKEN[:-1]}):
        async with site.client.get("/feeds/candidates.xml", params=params, headers={"If-None-Match": etag}) as refused:
            assert refused.status == 403 and "ETag" not in refused.headers

    await site.reviewer.decide_async(first, "reject", _actor())
    async with site.client.get("/feeds/candidates.xml", params=token, headers={"If-None-Match": etag}) as changed:
        assert changed.status == 200 and changed.headers["ETag"] != etag
        parsed = feedparser.parse(await changed.read())
    assert [entry.title for entry in parsed.entries] == [real_papers()[1]["title"]]
    assert site.status_of(second) == "pending"


@pytest.mark.asyncio
async def test_the_candidates_feed_names_as_its_own_address_the_one_it_is_read_at(site: Site) -> None:
    """The private feed named as its own address (atom:link rel="self") /feeds/candidates.xml without its token: an
    address that answers 403, which feed readers that follow a feed's self link subscribe to instead, and the W3C
    validator flags. Expected: the self link is the address the review page gives to subscribe; it opens the feed."""
    insert_candidate(site.database, real_papers()[0])
    await sign_in(site)
    async with site.client.get("/review") as page:
        found = re.findall(r'<a href="([^"]+)"[^>]*>Subscribe to the candidates feed', await page.text())
    subscribe = html.unescape(found[0])
    async with site.client.get(subscribe.removeprefix(site.settings.web.base_url)) as response:
        assert response.status == 200
        parsed = feedparser.parse(await response.read())
    assert not parsed.bozo
    [own] = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert own == subscribe
    async with site.fresh_client() as reader, reader.get(own.removeprefix(site.settings.web.base_url)) as again:
        assert again.status == 200


@pytest.mark.asyncio
async def test_the_candidates_feed_at_an_address_whose_token_was_changed_says_so(site: Site) -> None:
    """After DIGEST_FEED_TOKEN was changed (README: subscribe again with the new one), the maintainer's feed reader,
    still at the old address, showed "403: this feed needs its token (?token=…)": its address holds a token, and
    nothing said it was no longer the feed's. Expected: a token given but wrong says so and where the address is."""
    async with site.client.get("/feeds/candidates.xml", params={"token": "the-token-before-it-was-changed"}) as old:
        assert old.status == 403
        said = await old.text()
    assert "not this feed's token" in said and "DIGEST_FEED_TOKEN" in said and "/review" in said
    async with site.client.get("/feeds/candidates.xml") as bare:
        assert bare.status == 403 and "needs its token" in await bare.text()


@pytest.mark.asyncio
async def test_healthz_reports_the_last_poll_and_the_database(site: Site) -> None:
    async with site.client.get("/healthz") as response:
        assert response.status == 200
        report = await response.json()
    assert {key: report[key] for key in ("status", "database", "last_poll")} == {
        "status": "ok",
        "database": "reachable",
        "last_poll": None,
    }
    with site.database.transaction() as session:
        # The last poll is the run made last (a clock set back since may date an earlier run later: poll_runs).
        session.add(PollRun(started_at=EARLIER, finished_at=EARLIER, outcome="ok", summary={}))
        session.flush()
        session.add(PollRun(started_at=START, finished_at=START + timedelta(seconds=40), outcome="partial", summary={}))
    async with site.client.get("/healthz") as response:
        report = await response.json()
    assert report["last_poll"]["outcome"] == "partial"
    assert report["last_poll"]["finished_at"].startswith("2026-11-23T12:00:40")
    # The same instant on SQLite (naive values) and PostgreSQL (aware ones): UTC, and saying so.
    assert report["last_poll"]["started_at"] == START.astimezone(UTC).isoformat()


@pytest.mark.asyncio
async def test_healthz_says_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = site_settings(tmp_path / "data")
    async with running_site(settings) as site:
        site.database.engine.dispose()
        # The database file becomes a folder: every new connection fails, as on a lost volume.
        database_file = Path(site.database.engine.url.database or "")
        for leftover in database_file.parent.glob(database_file.name + "*"):
            leftover.unlink()
        database_file.mkdir()
        async with site.client.get("/healthz") as response:
            assert response.status == 503
            assert (await response.json())["database"] == "unreachable"
