"""The web server on loopback: the list page, the public feeds (valid, cached, conditional), the private feed,
one-click approval links and health — all through a real HTTP client."""

from __future__ import annotations

import asyncio
import html
import logging
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from digest.review.rules import Actor
from digest.review.signing import ApprovalLink, sign_link
from digest.storage.models import Decision, Entry, Paper
from digest.storage.state import PollRun
from digest.web.feeds import feed_date
from tests.factories import insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site, approval_links, running_site, sign_in, site_settings

FEED_TOKEN = SECRETS_ENV["DIGEST_FEED_TOKEN"]
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EARLIER = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def candidate_feed_links(site: Site) -> list[tuple[str, str]]:
    async with site.client.get("/feeds/candidates.xml", params={"token": FEED_TOKEN}) as response:
        assert response.status == 200
        return approval_links(await response.text())


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


def _actor() -> Actor:
    return Actor("ann", None, "cli")


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
async def test_an_approval_link_shows_on_get_and_approves_only_on_post(site: Site) -> None:
    paper = real_papers()[2]
    candidate_id = insert_candidate(site.database, paper)
    path = next(path for path, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")

    for _ in range(2):  # a link scanner opening it, then the maintainer
        async with site.client.get(path) as page:
            assert page.status == 200
            text = await page.text()
        assert paper["title"] in text and '<form method="post"' in text
    assert site.status_of(candidate_id) == "pending"
    async with site.client.get("/list.md") as listing:
        assert listing.headers["Content-Type"] == "text/markdown; charset=utf-8"
        assert paper["arxiv_id"] not in await listing.text()

    async with site.client.post(path) as done:
        assert done.status == 200
        assert "approved into Sparse Autoencoder" in await done.text()
    assert site.status_of(candidate_id) == "approved"
    async with site.client.get("/list.md") as listing:
        assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in await listing.text()
    async with site.client.get("/") as page:
        assert paper["title"] in await page.text()

    # A second press (or a second copy of the link) finds the candidate decided: refused, nothing recorded.
    async with site.client.post(path) as twice:
        assert twice.status == 409
        assert "already approved into Sparse Autoencoder by feed approval link on " in await twice.text()
    with site.database.reading() as session:
        decisions = session.execute(
            select(Decision.channel, Decision.applied).where(Decision.candidate_id == candidate_id)
        ).all()
        entries = session.scalar(select(func.count(Entry.id)).join(Paper).where(Paper.arxiv_id == paper["arxiv_id"]))
    assert [tuple(row) for row in decisions] == [("feed", True)]
    assert entries == 1


@pytest.mark.asyncio
async def test_a_reject_link_and_an_approve_into_another_section(site: Site) -> None:
    first, second = real_papers()[3], real_papers()[4]
    first_id = insert_candidate(site.database, first, score=0.9)
    second_id = insert_candidate(site.database, second, score=0.5)
    links = await candidate_feed_links(site)
    reject_first = next(path for path, label in links if label == "Reject")
    steer_second = [path for path, label in links if label == "Approve into Steering"][1]
    async with site.client.post(reject_first) as done:
        assert "rejected" in await done.text()
    async with site.client.post(steer_second) as done:
        assert "approved into Steering" in await done.text()
    assert (site.status_of(first_id), site.status_of(second_id)) == ("rejected", "approved")


def decisions_of(site: Site, candidate_id: int) -> list[tuple[str, str, bool]]:
    with site.database.reading() as session:
        rows = session.execute(
            select(Decision.action, Decision.channel, Decision.applied)
            .where(Decision.candidate_id == candidate_id)
            .order_by(Decision.id)
        )
        return [(action, channel, applied) for action, channel, applied in rows]


@pytest.mark.asyncio
async def test_a_stale_reject_link_cannot_overturn_an_approval_made_in_discord(site: Site) -> None:
    paper = real_papers()[3]
    candidate_id = insert_candidate(site.database, paper)
    reject = next(path for path, label in await candidate_feed_links(site) if label == "Reject")
    site.clock.advance(timedelta(hours=2))
    await site.reviewer.decide_async(candidate_id, "approve", Actor("ann", "1001", "discord"), "Probing")
    approved_at = site.clock.now.strftime("%Y-%m-%d %H:%M")

    async with site.client.get(reject) as page:
        assert page.status == 200
        text = await page.text()
    assert paper["title"] in text and "<h1>Already approved</h1>" in text
    assert f"already approved into Probing by ann via discord on {approved_at} UTC" in text
    assert "<form" not in text and "<button" not in text
    assert f"digest reject {candidate_id}" in text

    async with site.client.post(reject) as refused:
        assert refused.status == 409
        text = await refused.text()
    assert (
        f"Candidate {candidate_id} was already approved into Probing by ann via discord on {approved_at} UTC; "
        f"approval links and the review page act only on pending candidates. To change the decision on purpose, run "
        f"`digest reject {candidate_id}`."
    ) in text
    assert site.status_of(candidate_id) == "approved"
    assert decisions_of(site, candidate_id) == [("approve", "discord", True)]
    async with site.client.get("/list.md") as listing:
        assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in await listing.text()

    # Back to pending (the Discord reaction removed): the same link decides again.
    await site.reviewer.decide_async(candidate_id, "revert", Actor("ann", "1001", "discord"))
    async with site.client.post(reject) as done:
        assert done.status == 200 and "Done: rejected by feed approval link on " in await done.text()
    assert site.status_of(candidate_id) == "rejected"


@pytest.mark.asyncio
async def test_an_approve_link_on_a_candidate_rejected_from_the_cli_says_so_and_changes_nothing(site: Site) -> None:
    paper = real_papers()[4]
    candidate_id = insert_candidate(site.database, paper)
    approve = next(p for p, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
    await site.reviewer.decide_async(candidate_id, "reject", Actor("bob", None, "cli"))

    async with site.client.get(approve) as page:
        text = await page.text()
    assert page.status == 200 and "already rejected by bob via cli on" in text and "<button" not in text
    async with site.client.post(approve) as refused:
        assert refused.status == 409
        text = await refused.text()
    assert "<h1>Already rejected</h1>" in text and f"run `digest approve {candidate_id}`." in text
    assert site.status_of(candidate_id) == "rejected"
    assert decisions_of(site, candidate_id) == [("reject", "cli", True)]
    async with site.client.get("/list.md") as listing:
        assert paper["arxiv_id"] not in await listing.text()


@pytest.mark.asyncio
async def test_forged_altered_and_expired_links_are_refused_and_change_nothing(site: Site) -> None:
    candidate_id = insert_candidate(site.database, real_papers()[5])
    link = ApprovalLink(candidate_id, "approve", None, site.clock.now + timedelta(days=14))
    forged = "/approve/" + sign_link("not the service's key, but long enough", link)
    genuine = "/approve/" + sign_link(SECRETS_ENV["DIGEST_SECRET_KEY"], link)
    _, mac = genuine.removeprefix("/approve/").split(".")
    reject_payload = sign_link(
        SECRETS_ENV["DIGEST_SECRET_KEY"], ApprovalLink(candidate_id, "reject", None, link.expires_at)
    )
    altered = "/approve/" + reject_payload.split(".")[0] + "." + mac  # action swapped, signature kept
    cases = [(forged, "forged"), (altered, "altered"), ("/approve/garbage", "malformed")]
    for path, reason in cases:
        for method in ("GET", "POST"):
            async with site.client.request(method, path) as response:
                assert response.status == 403
                assert f"Link refused: {reason}" in await response.text()
    site.clock.advance(timedelta(days=14))
    for method in ("GET", "POST"):
        async with site.client.request(method, genuine) as response:
            assert response.status == 403
            assert "Link refused: expired" in await response.text()
    assert site.status_of(candidate_id) == "pending"
    with site.database.reading() as session:
        assert session.scalar(select(func.count(Decision.id))) == 0


@pytest.mark.asyncio
async def test_an_approval_link_cut_off_at_its_end_is_called_cut_off_not_changed(site: Site) -> None:
    """A maintainer copied a feed's approval link and lost its last characters (a wrapped line, a selection one short):
    the page said "This link was changed after it was made (its action, section or expiry was edited)", as if someone
    had tampered with it. Expected: every such link is refused as not valid, maybe cut off, and changes nothing."""
    candidate_id = insert_candidate(site.database, real_papers()[5])
    path = next(path for path, label in await candidate_feed_links(site) if label == "Reject")
    for cut in range(1, 8):
        for method in ("GET", "POST"):
            async with site.client.request(method, path[:-cut]) as response:
                page = await response.text()
            assert response.status == 403, cut
            assert "Link refused: malformed" in page and "cut off" in page, (cut, page)
            assert "changed after it was made" not in page
    assert site.status_of(candidate_id) == "pending"


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


@pytest.mark.asyncio
async def test_the_pages_and_feeds_say_503_when_the_database_is_unreachable_not_500(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A lost volume (or PostgreSQL down for maintenance): the list page, its feeds, the private feed and /review
    answered "500 Internal Server Error: Server got itself in trouble", each with a traceback of SQL in the log (a
    feed reader's every poll one more). They answer 503 with a Retry-After and a line saying the database cannot be
    reached, and the log has one line per request naming the reason."""
    settings = site_settings(tmp_path / "data")
    async with running_site(settings) as site:
        await sign_in(site)
        site.database.engine.dispose()
        database_file = Path(site.database.engine.url.database or "")
        for leftover in database_file.parent.glob(database_file.name + "*"):
            leftover.unlink()
        database_file.mkdir()
        addresses = [
            "/",
            "/list.md",
            "/feeds/list.xml",
            "/feeds/list.atom",
            f"/feeds/candidates.xml?token={FEED_TOKEN}",
        ]
        with caplog.at_level(logging.INFO):
            for address in [*addresses, "/review", "/history"]:
                async with site.client.get(address) as response:
                    page = html.unescape(await response.text())
                    assert response.status == 503, (address, page)
                    assert response.headers["Retry-After"] == "60"
                    assert "The list's database cannot be reached just now; please try again in a few minutes." in page
                    assert FEED_TOKEN not in page and "SELECT" not in page
        assert "Traceback" not in caplog.text and "SELECT" not in caplog.text
        lines = [
            record.getMessage() for record in caplog.records if "database cannot be reached" in record.getMessage()
        ]
        assert len(lines) == len(addresses) + 2
        assert all("unable to open database file" in line and FEED_TOKEN not in line for line in lines)


@pytest.mark.asyncio
async def test_a_database_file_moved_away_while_serving_is_503_and_no_empty_one_is_made_in_its_place(
    tmp_path: Path,
) -> None:
    """The database file moved away (a backup script, an operator tidying up) or deleted while the service ran: the
    next page view's connection silently created a new, empty database beside it (with its -wal and -shm), and the
    list page showed an error over a database with no tables. An existing database is opened without creating it: the
    page says the database cannot be reached, nothing is made in its place, and the file put back is served again."""
    settings = site_settings(tmp_path / "data")
    async with running_site(settings) as site:
        site.database.engine.dispose()
        database_file = Path(site.database.engine.url.database or "").resolve()
        aside = tmp_path / "aside"
        aside.mkdir()
        for part in database_file.parent.glob(database_file.name + "*"):
            part.rename(aside / part.name)
        for address in ("/", "/list.md"):
            async with site.client.get(address) as response:
                assert response.status == 503, address
                assert "The list's database cannot be reached just now" in html.unescape(await response.text())
        assert sorted(database_file.parent.glob(database_file.name + "*")) == []
        site.database.engine.dispose()
        for part in aside.iterdir():
            part.rename(database_file.parent / part.name)
        async with site.client.get("/list.md") as response:
            assert response.status == 200
            assert "# " in await response.text()


def rename_headings(site: Site, renames: dict[str, str]) -> None:
    """A maintainer renames headings in the list's Markdown and imports it."""
    from digest.awesome import store as liststore

    markdown = site.settings.list_markdown_path.read_text(encoding="utf-8")
    for old, new in renames.items():
        heading = next(line for line in markdown.splitlines() if line.startswith("#") and line.rstrip().endswith(old))
        markdown = markdown.replace(heading + "\n", heading.rstrip()[: -len(old)] + new + "\n", 1)
    with site.database.transaction() as session:
        liststore.import_markdown(session, markdown.encode("utf-8"), source="edited.md")


@pytest.mark.asyncio
async def test_an_approval_links_page_names_the_section_its_button_approves_into_today(site: Site) -> None:
    """A link made before a heading was renamed: its page asked 'Approve into Steering?' and the button approved into
    'Activation Steering'; one whose section was renamed out of reach offered the button, then answered 409."""
    candidate_id = insert_candidate(site.database, real_papers()[0])
    links = dict((label, path) for path, label in await candidate_feed_links(site))
    rename_headings(site, {"Steering": "Activation Steering", "Probing": "Linear Classifiers"})
    async with site.client.get(links["Approve into Steering"]) as page:
        text = await page.text()
    assert "Approve into Activation Steering?" in text and "Approve into Steering" not in text
    async with site.client.get(links["Approve into Probing"]) as page:
        assert page.status == 200
        text = await page.text()
    assert "the list has no section “Probing” now" in text and '<form method="post"' not in text
    assert 'href="/review"' in text and site.status_of(candidate_id) == "pending"
    async with site.client.post(links["Approve into Steering"]) as done:
        assert "approved into Activation Steering" in await done.text()


@pytest.mark.asyncio
async def test_a_link_into_a_name_the_list_now_gives_two_headings_says_so_not_that_it_was_taken_out(site: Site) -> None:
    """A maintainer renamed Steering to Probing after the feed gave out "Approve into Probing": its page said the list
    has no section "Probing" now, "renamed or taken out of the list since this link was made", where it has two and
    pressing on would be refused for that. The page says what the refusal says, and offers no button."""
    candidate_id = insert_candidate(site.database, real_papers()[0])
    links = dict((label, path) for path, label in await candidate_feed_links(site))
    rename_headings(site, {"Steering": "Probing"})
    async with site.client.post(links["Approve into Probing"]) as refused:
        assert refused.status == 409
        said = html.unescape(await refused.text())
    found = re.search(r"the list has 2 sections named 'Probing': name one of [^<]*", said)
    assert found is not None, said
    async with site.client.get(links["Approve into Probing"]) as response:
        assert response.status == 200
        page = html.unescape(await response.text())
    assert found.group(0) in page and "renamed or taken out" not in page and "no section" not in page
    assert '<form method="post"' not in page and 'href="/review"' in page
    assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
async def test_a_refused_approval_link_leads_to_the_review_page_it_names(site: Site) -> None:
    """A maintainer opened an approval link from a three-week-old email: the page said "This link has expired. Take a
    fresh one from the candidates feed or use the review page", and its one link, "Back to the list", led to the
    public list. Expected: the link leads to the review page, for every link refused."""
    candidate_id = insert_candidate(site.database, real_papers()[5])
    link = ApprovalLink(candidate_id, "approve", None, site.clock.now + timedelta(days=14))
    genuine = "/approve/" + sign_link(SECRETS_ENV["DIGEST_SECRET_KEY"], link)
    gone = "/approve/" + sign_link(
        SECRETS_ENV["DIGEST_SECRET_KEY"], ApprovalLink(999_999, "approve", None, link.expires_at + timedelta(days=30))
    )
    site.clock.advance(timedelta(days=21))
    for path in (genuine, "/approve/garbage", gone):
        async with site.client.get(path) as response:
            page = await response.text()
        assert response.status in (403, 404), path
        assert '<a href="/review">Back to the review page</a>' in page, page


@pytest.mark.asyncio
@pytest.mark.parametrize("where", ["feed link", "review page"])
async def test_a_paper_listed_by_hand_since_it_was_found_is_not_copied_by_a_link_or_the_review_page(
    site: Site, where: str
) -> None:
    """A maintainer put a candidate's paper into Probing by hand (a list edited in git and pulled). Its feed link
    "Approve (Sparse Autoencoder)" and the review page's Approve (its suggested section chosen already) both added a
    second entry of it in silence, where `digest approve` refuses: both say where it is now and change nothing."""
    listed = "2402.17304"  # an entry of the bundled list, in Probing
    candidate_id = insert_candidate(site.database, {**real_papers()[0], "arxiv_id": listed})
    if where == "feed link":
        path = next(p for p, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
        async with site.client.post(path) as reply:
            status, page = reply.status, html.unescape(await reply.text())
    else:
        _, csrf = await sign_in(site)
        form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": "approve", "section": "Sparse Autoencoder"}
        async with site.client.post("/review/decide", data=form) as reply:
            status, page = reply.status, html.unescape(await reply.text())
    assert status == 409, page
    assert f"{listed} is already in the list (Probing)" in page and "nothing was changed" in page
    assert f'digest approve {candidate_id} --section "Sparse Autoencoder"' in page
    async with site.client.get("/list.md") as listing:
        markdown = await listing.text()
    assert sum(line.startswith("+ ") and listed in line for line in markdown.splitlines()) == 1
    assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
async def test_the_page_of_a_link_for_a_paper_listed_by_hand_since_says_where_it_is_and_offers_no_approve(
    site: Site,
) -> None:
    """A maintainer put a candidate's paper into Probing by hand. The page of its feed link "Approve (Sparse
    Autoencoder)" still offered the button, and only pressing it said the paper was in the list already. The page
    says so up front, in the words the button's refusal uses, and offers no button; its Reject link still rejects."""
    listed = "2402.17304"  # an entry of the bundled list, in Probing
    candidate_id = insert_candidate(site.database, {**real_papers()[0], "arxiv_id": listed})
    links = {label: path for path, label in await candidate_feed_links(site)}
    async with site.client.get(links["Approve (Sparse Autoencoder)"]) as response:
        assert response.status == 200
        page = html.unescape(await response.text())
    assert f"{listed} is already in the list (Probing), put there since it was found; nothing was changed" in page
    assert f'digest approve {candidate_id} --section "Sparse Autoencoder"' in page
    assert '<form method="post"' not in page and "Approve into Sparse Autoencoder" not in page
    assert 'href="/review"' in page
    async with site.client.get(links["Reject"]) as response:
        page = await response.text()
    assert '<button type="submit" class="reject">Reject</button>' in page
    async with site.client.post(links["Reject"]) as done:
        assert done.status == 200 and "rejected" in await done.text()
    assert site.status_of(candidate_id) == "rejected"


@pytest.mark.asyncio
async def test_the_review_card_of_a_paper_listed_by_hand_since_says_where_it_is(site: Site) -> None:
    """A maintainer put a candidate's paper into Probing by hand. Its card on /review offered "Approve into Sparse
    Autoencoder" like any other, and only the refusal after pressing said where the list holds the paper. The card
    says so up front; a candidate the list does not hold has no such line."""
    listed = "2402.17304"  # an entry of the bundled list, in Probing
    candidate_id = insert_candidate(site.database, {**real_papers()[0], "arxiv_id": listed})
    other_id = insert_candidate(site.database, real_papers()[1])
    await sign_in(site)
    async with site.client.get("/review") as response:
        assert response.status == 200
        page = html.unescape(await response.text())
    cards = {int(found[0]): found[1] for found in re.findall(r'id="candidate-(\d+)"(.*?)</article>', page, re.S)}
    said = f"{listed} is already in the list (Probing), put there since it was found"
    assert said in cards[candidate_id] and f"digest approve {candidate_id} --section NAME" in cards[candidate_id]
    assert "already in the list" not in cards[other_id]


@pytest.mark.asyncio
async def test_the_review_card_of_a_paper_listed_by_hand_since_offers_only_the_approval_that_goes_through(
    site: Site,
) -> None:
    """A maintainer put a candidate's paper into Probing by hand. Its card still offered "Approve into Sparse
    Autoencoder" (its suggestion) and every section of the list, each refused when pressed. The card offers what
    goes through: approving it into Probing (recorded, the maintainer's entry kept as the one entry), or Reject."""
    listed = "2402.17304"  # an entry of the bundled list, in Probing
    candidate_id = insert_candidate(site.database, {**real_papers()[0], "arxiv_id": listed})
    other_id = insert_candidate(site.database, real_papers()[1])
    _, csrf = await sign_in(site)
    async with site.client.get("/review") as response:
        assert response.status == 200
        page = html.unescape(await response.text())
    cards = {int(found[0]): found[1] for found in re.findall(r'id="candidate-(\d+)"(.*?)</article>', page, re.S)}
    quick = re.findall(r'<button type="submit" name="section" value="([^"]*)"', cards[candidate_id])
    options = re.findall(r'<option value="([^"]*)"', cards[candidate_id])
    assert quick == ["Probing"] and options == ["Probing"], (quick, options)
    assert "Approve into Sparse Autoencoder" not in cards[candidate_id]
    assert len(re.findall(r'<option value="', cards[other_id])) > 1  # a card the list does not hold offers each
    form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": "approve", "section": "Probing"}
    async with site.client.post("/review/decide", data=form) as reply:
        assert reply.status == 200, await reply.text()
    assert site.status_of(candidate_id) == "approved"
    async with site.client.get("/list.md") as listing:
        markdown = await listing.text()
    assert sum(line.startswith("+ ") and listed in line for line in markdown.splitlines()) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("where", ["feed link", "review page", "reject all shown"])
async def test_a_decision_while_another_process_holds_the_database_says_nothing_was_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Another process held the database's write lock past the busy timeout (`digest list import`, a sqlite3 shell in
    a transaction): an approval link and the review page answered "500 Internal Server Error", and the maintainer
    could not tell whether the decision was made. They answer 503 saying nothing was changed, and why."""
    monkeypatch.setattr("digest.storage.db.BUSY_TIMEOUT_MS", 200)  # the wait, not the words: quick
    async with running_site(site_settings(tmp_path / "data")) as site:
        candidate_id = insert_candidate(site.database, real_papers()[0])
        path = next(p for p, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
        _, csrf = await sign_in(site)
        holder = sqlite3.connect(make_url(site.settings.database_url).database or "", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            if where == "feed link":
                reply = await site.client.post(path)
            elif where == "review page":
                form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": "approve"}
                reply = await site.client.post("/review/decide", data=form)
            else:
                form = {"csrf": csrf, "action": "reject-shown", "ids": str(candidate_id), "confirm": "yes"}
                reply = await site.client.post("/review/decide", data=form)
            async with reply:
                status, page = reply.status, html.unescape(await reply.text())
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert status == 503, page
        done = "Rejected 0 of the 1; the others were not" if where == "reject all shown" else "Nothing was changed"
        assert f"{done}: the database could not be written: database is locked (another process" in page
        assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
@pytest.mark.parametrize("form", ["sign out", "add a paper", "suggest a paper"])
async def test_the_other_forms_while_another_process_holds_the_database_say_so_not_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """With the write lock held past the busy timeout, Sign out, the review page's "Add and approve" and a reader's
    suggestion answered "500 Internal Server Error": the maintainer could not tell whether the session was ended or
    the paper added. Each says what was not done and why (the reader: only that it could not be queued yet)."""
    monkeypatch.setattr("digest.storage.db.BUSY_TIMEOUT_MS", 200)
    async with running_site(site_settings(tmp_path / "data")) as site:
        paper = real_papers()[0]
        candidate_id = insert_candidate(site.database, paper)
        _, csrf = await sign_in(site)
        holder = sqlite3.connect(make_url(site.settings.database_url).database or "", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            if form == "sign out":
                reply = await site.client.post("/review/signout", data={"csrf": csrf})
            elif form == "add a paper":
                reply = await site.client.post("/review/add", data={"csrf": csrf, "paper": paper["arxiv_id"]})
            else:
                reply = await site.client.post("/suggest", data={"paper": paper["arxiv_id"], "note": "a fine one"})
            async with reply:
                status, page = reply.status, html.unescape(await reply.text())
                retry_after = reply.headers.get("Retry-After")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert status == 503, page
        if form == "suggest a paper":
            assert "The list's database is busy just now, so nothing was queued" in page
            assert 'value="a fine one"' not in page and ">a fine one</textarea>" in page  # the form as it was sent
            assert retry_after == "60" and "database is locked" not in page
        else:
            done = "Not signed out" if form == "sign out" else "Not added to the list"
            assert f"{done}: the database could not be written: database is locked (another process" in page
        async with site.client.get("/review") as again:  # still signed in, and nothing decided
            assert "Sign out" in await again.text()
        assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
async def test_a_feed_waiting_for_the_database_does_not_stop_the_other_pages(site: Site) -> None:
    """The list feeds asked the database for the list's version on the service's event loop: with PostgreSQL
    unreachable in the way that hangs (a host that takes the connection and never answers, a firewall dropping it),
    one feed reader's poll froze every page, /healthz, the Discord bot and the schedule until the connection gave
    up. The feed waits in a worker thread; the other pages answer meanwhile."""
    import socket
    import threading
    import time
    import urllib.error
    import urllib.request

    from digest.storage.db import create_database_engine

    silent = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def take_and_hang_up() -> None:  # a server that says nothing for two seconds, then hangs up
        connection, _ = silent.accept()
        held.append(connection)
        time.sleep(2)
        connection.close()

    threading.Thread(target=take_and_hang_up, daemon=True).start()
    port = silent.getsockname()[1]
    original, site.database.engine = (
        site.database.engine,
        create_database_engine(f"postgresql+psycopg://digest:x@127.0.0.1:{port}/digest"),
    )

    def get(path: str, after: float = 0.0) -> tuple[int, float]:
        time.sleep(after)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(site.base + path, timeout=10) as reply:
                status = reply.status
        except urllib.error.HTTPError as refused:
            status = refused.code
        return status, time.monotonic() - started

    try:
        (feed_status, _), (health_status, health_took) = await asyncio.gather(
            asyncio.to_thread(get, "/feeds/list.xml"), asyncio.to_thread(get, "/healthz", 0.5)
        )
    finally:
        silent.close()
        site.database.engine.dispose()
        site.database.engine = original
    assert feed_status == 503
    assert health_status == 200 and health_took < 1.0, health_took


@pytest.mark.asyncio
async def test_an_approval_links_token_stays_out_of_the_log_when_the_database_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An approval link pressed while another process held the write lock logged 'POST /approve/<token>: the database
    could not be written': whoever reads the log (a log service, a support ticket it is pasted into) could approve
    or reject that paper with it until it expires. The line names the link's page, never its token."""
    monkeypatch.setattr("digest.storage.db.BUSY_TIMEOUT_MS", 200)
    async with running_site(site_settings(tmp_path / "data")) as site:
        insert_candidate(site.database, real_papers()[0])
        path = next(p for p, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
        token = path.removeprefix("/approve/").split("?")[0]
        holder = sqlite3.connect(make_url(site.settings.database_url).database or "", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with caplog.at_level(logging.INFO):
                async with site.client.post(path) as reply:
                    assert reply.status == 503
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        site.database.engine.dispose()
        database_file = Path(site.database.engine.url.database or "")
        for leftover in database_file.parent.glob(database_file.name + "*"):
            leftover.unlink()
        database_file.mkdir()
        with caplog.at_level(logging.INFO):
            async with site.client.get(path) as reply:
                assert reply.status == 503
    lines = [record.getMessage() for record in caplog.records if "/approve/" in record.getMessage()]
    assert [line.split(":")[0] for line in lines] == ["POST /approve/…", "GET /approve/…"], lines
    assert token not in caplog.text
