"""The public list feed dates the papers imported with the list by when they appeared (not by the import) and
carries their bundled abstracts, escaped: through the web app on loopback (tests/web_server.py)."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import pytest
import pytest_asyncio

from digest.awesome import store as liststore
from digest.relevance.gathering import bundled_abstracts
from digest.resources import seed_list_path
from digest.review.rules import Actor
from digest.web.syndication import paper_date
from tests.factories import insert_candidate, real_papers
from tests.web_server import Site, running_site, site_settings

ATOM = "{http://www.w3.org/2005/Atom}"
GUID = "tag:awesome-digest,2025:arxiv:"


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """Every list paper in the feed, so each one's date and abstract can be checked."""
    async with running_site(site_settings(tmp_path / "data", "[web]\nfeed_items = 500\n")) as running:
        yield running


async def rss_items(site: Site) -> list[tuple[str, datetime, str]]:
    """(guid, pubDate, description HTML) of each item of /feeds/list.xml, in order."""
    async with site.client.get("/feeds/list.xml") as response:
        assert response.status == 200
        body = await response.read()
    assert not feedparser.parse(body).bozo
    channel = ET.fromstring(body).find("channel")
    assert channel is not None
    return [
        (
            item.findtext("guid", ""),
            parsedate_to_datetime(item.findtext("pubDate", "")),
            item.findtext("description", ""),
        )
        for item in channel.iter("item")
    ]


def by_guid(items: list[tuple[str, datetime, str]]) -> dict[str, tuple[datetime, str]]:
    return {guid: (published, description) for guid, published, description in items}


@pytest.mark.asyncio
async def test_seed_papers_carry_their_paper_date_and_abstract(site: Site) -> None:
    listed = await rss_items(site)
    assert len(listed) == 64  # every paper of the bundled list
    today = site.clock().date()
    assert all(published.date() < today for _, published, _ in listed)  # none stamped with the import day
    dates = [published for _, published, _ in listed]
    assert dates == sorted(dates, reverse=True)  # newest paper first
    items = by_guid(listed)
    assert items[GUID + "2402.17304"][0] == datetime(2025, 1, 6, tzinfo=UTC)  # "(Jan. 6, 2025)" in the entry

    bundled = bundled_abstracts()
    with_abstract = [
        guid for guid, (_, description) in items.items() if "<p>" in description and len(description) > 400
    ]
    assert len(with_abstract) >= 50
    # A bundled abstract holding '&' or '<' arrives escaped, like every other text of the feed.
    for arxiv_id in ("2406.04341", "2412.02104"):
        abstract = bundled[arxiv_id][1]
        assert any(c in abstract for c in "&<")
        description = items[GUID + arxiv_id][1]
        assert f"<p>{html.escape(abstract)}</p>" in description

    async with site.client.get("/feeds/list.atom") as response:
        root = ET.fromstring(await response.read())
    atom = {entry.findtext(f"{ATOM}id"): entry for entry in root.iter(f"{ATOM}entry")}
    probing = atom[GUID + "2402.17304"]
    assert probing.findtext(f"{ATOM}published") == "2025-01-06T00:00:00Z"
    assert html.escape(bundled["2402.17304"][1]) in (probing.findtext(f"{ATOM}content") or "")


@pytest.mark.asyncio
async def test_an_undated_entry_is_dated_by_its_arxiv_month_and_an_approval_by_its_time(site: Site) -> None:
    seed = seed_list_path().read_bytes()
    undated = seed.replace(b"(https://arxiv.org/abs/2402.17304) (Jan. 6, 2025)", b"(https://arxiv.org/abs/2402.17304)")
    assert undated != seed
    with site.database.transaction() as session:
        liststore.import_markdown(session, undated, source="edited.md")
    items = by_guid(await rss_items(site))
    assert items[GUID + "2402.17304"][0] == datetime(2024, 2, 1, tzinfo=UTC)  # 2402.xxxxx: February 2024

    record = real_papers()[0]
    candidate_id = insert_candidate(site.database, record)
    site.clock.advance(timedelta(hours=2))
    await site.reviewer.decide_async(candidate_id, "approve", Actor("ann", None, "cli"))
    async with site.client.get("/feeds/list.xml") as response:
        parsed = feedparser.parse(await response.read())
        modified = parsedate_to_datetime(response.headers["Last-Modified"])
    first = parsed.entries[0]
    assert first.title == record["title"]  # an approved paper is dated when it was added, so it leads
    approved_at = datetime(*first.published_parsed[:6]).replace(tzinfo=UTC)
    assert abs(approved_at - site.clock()) < timedelta(seconds=2)
    assert modified == approved_at


def test_the_paper_date_rule() -> None:
    assert paper_date(date(2025, 4, 4), ["Jan. 1, 2020"], "2401.00001") == datetime(2025, 4, 4, tzinfo=UTC)
    assert paper_date(None, ["2023", "Feb. 30, 2024", "Mar. 3, 2024"], None) == datetime(2024, 3, 3, tzinfo=UTC)
    assert paper_date(None, ["2023"], "2411.16198") == datetime(2024, 11, 1, tzinfo=UTC)
    assert paper_date(None, [], "hep-th/9901001") == datetime(1999, 1, 1, tzinfo=UTC)
    assert paper_date(None, ["2023"], None) == datetime(2023, 1, 1, tzinfo=UTC)
    assert paper_date(None, ["soon"], None) is None


HAND_ADDED = (
    b"+ [Hand-Added Older Paper on Multimodal Circuits](https://arxiv.org/abs/2306.04567) (Jun. 7, 2023)\n"
    b"  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2306.04567)\n\n"
)


@pytest.mark.asyncio
async def test_a_paper_a_later_import_added_is_news_in_the_feeds_and_the_weekly_digest(tmp_path: Path) -> None:
    """A maintainer adds a 2023 paper to the Markdown (brought in by `digest list import`, or by publishing's pull of
    upstream edits). The list page marks it new; the feeds dated it by 2023 and cut it below their newest items, and
    the weekly digest counted only approvals and `digest add`."""
    from digest.weekly.contents import load_digest
    from digest.weekly.rendering import render
    from digest.weekly.weeks import week_of

    seed = seed_list_path().read_bytes()
    start = seed.index(b"Sparse Autoencoder\n([Back")
    cut = seed.index(b"\n", seed.index(b"\n", start) + 1) + 1
    async with running_site(site_settings(tmp_path / "data")) as site:  # the default 50 newest items
        site.clock.advance(timedelta(days=2))
        with site.database.transaction() as session:
            liststore.import_markdown(
                session, seed[:cut] + HAND_ADDED + seed[cut:], source="edited.md", now=site.clock()
            )
        for path in ("/feeds/list.xml", "/feeds/list.atom"):
            async with site.client.get(path) as response:
                entries = feedparser.parse(await response.read()).entries
            assert entries[0].id == f"{GUID}2306.04567", path
        with site.database.reading() as session:
            week = week_of(site.clock(), site.settings.tz)
            digest = load_digest(session, site.settings, week, edition="readers")
        assert "Hand-Added Older Paper on Multimodal Circuits" in render(
            digest, site.settings.templates_dir, "email.txt.j2"
        )


OPEN_PROBLEMS = (
    b"+ [Open Problems in Mechanistic Interpretability](https://arxiv.org/abs/2501.16496) (Jan. 27, 2025)\n"
    b"  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2501.16496)\n"
)


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/feeds/list.xml", "/feeds/list.atom"])
async def test_taking_a_paper_out_moves_last_modified_on(tmp_path: Path, path: str) -> None:
    """A reader that asks with If-Modified-Since alone kept a removed paper: the ETag changed, Last-Modified did not."""
    seed = seed_list_path().read_bytes()
    assert OPEN_PROBLEMS in seed
    async with running_site(site_settings(tmp_path / "data")) as site:
        async with site.client.get(path) as response:
            before = response.headers["Last-Modified"]
        site.clock.advance(timedelta(days=1))
        with site.database.transaction() as session:
            liststore.import_markdown(session, seed.replace(OPEN_PROBLEMS, b""), source="edited.md", now=site.clock())
        async with site.client.get(path, headers={"If-Modified-Since": before}) as response:
            assert response.status == 200 and b"2501.16496" not in await response.read()
            assert response.headers["Last-Modified"] != before


@pytest.mark.asyncio
@pytest.mark.parametrize("query", ["arXiv:2506.11976", "https://arxiv.org/abs/2506.11976v2", "2506.11976"])
async def test_the_list_is_searched_by_an_arxiv_reference_as_suggest_takes_it(tmp_path: Path, query: str) -> None:
    async with (
        running_site(site_settings(tmp_path / "data")) as site,
        site.client.get("/", params={"q": query}) as reply,
    ):
        page = await reply.text()
    assert "2506.11976" in page and 'id="search-count">1 of ' in page


@pytest.mark.asyncio
async def test_renaming_a_heading_is_no_news(tmp_path: Path) -> None:
    """An import recreates the entries of a renamed section (they count as moved): no paper of it may turn up as added
    in the weekly digest, jump to the top of the feeds, or be marked new on the list page."""
    from digest.weekly.contents import load_digest
    from digest.weekly.rendering import render
    from digest.weekly.weeks import week_of

    seed = seed_list_path().read_text(encoding="utf-8")
    heading = next(
        line for line in seed.splitlines(keepends=True) if line.startswith("### ") and "Sparse Autoencoder" in line
    )
    renamed = seed.replace(heading, heading.rstrip("\n") + "s (SAE)\n")
    async with running_site(site_settings(tmp_path / "data")) as site:
        async with site.client.get("/feeds/list.atom") as response:
            before = [entry.id for entry in feedparser.parse(await response.read()).entries]
        site.clock.advance(timedelta(days=2))
        with site.database.transaction() as session:
            report = liststore.import_markdown(session, renamed.encode(), source="edited.md", now=site.clock())
        assert report.renamed and not report.moved and not report.added  # one rename, its entries no news
        async with site.client.get("/feeds/list.atom") as response:
            after = [entry.id for entry in feedparser.parse(await response.read()).entries]
        async with site.client.get("/") as response:
            page = await response.text()
        with site.database.reading() as session:
            digest = load_digest(session, site.settings, week_of(site.clock(), site.settings.tz), edition="readers")
    assert after == before
    assert "new this week" not in page
    moved = [line for line in renamed.split(heading.rstrip("\n") + "s (SAE)\n", 1)[1].splitlines() if "](" in line]
    title = moved[0].split("[", 1)[1].split("]", 1)[0]
    assert title not in render(digest, site.settings.templates_dir, "email.txt.j2")


@pytest.mark.asyncio
async def test_a_decision_that_takes_a_paper_out_moves_last_modified_on(tmp_path: Path) -> None:
    async with running_site(site_settings(tmp_path / "data")) as site:
        candidate = insert_candidate(site.database, real_papers()[0])
        await site.reviewer.decide_async(candidate, "approve", Actor("ann", "1", "discord"), "Steering")
        async with site.client.get("/feeds/list.xml") as response:
            before = response.headers["Last-Modified"]
        site.clock.advance(timedelta(days=1))
        await site.reviewer.decide_async(candidate, "reject", Actor("ann", "1", "discord"))
        async with site.client.get("/feeds/list.xml", headers={"If-Modified-Since": before}) as response:
            assert response.status == 200 and real_papers()[0]["arxiv_id"] not in await response.text()


NUMBERS_TITLE = b"[Probing Representations of Numbers in Vision and Language Models](https://openreview.net/"
STEERING_BLOG = (
    b"+ [Interpreting and Steering Features in Images](https://www.lesswrong.com/posts/Quqekpvx8BGMMcaem/"
    b"interpreting-and-steering-features-in-images) (Apr. 28, 2025)\n"
)


@pytest.mark.asyncio
async def test_a_title_or_an_arxiv_link_edited_by_hand_keeps_the_papers_feed_item(site: Site) -> None:
    """A paper without an arXiv ID was named in the feeds by its title: fixing a typo in it, or giving the paper the
    arXiv link it gained since, gave it a new id, and every feed reader showed the paper a second time."""
    seed = seed_list_path().read_bytes()
    assert seed.count(NUMBERS_TITLE) == 1 and seed.count(STEERING_BLOG) == 1
    edited = seed.replace(NUMBERS_TITLE, NUMBERS_TITLE.replace(b"Vision and Language", b"Vision-Language")).replace(
        STEERING_BLOG,
        STEERING_BLOG
        + b"  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2504.01234)\n",
    )
    before = {}
    for path in ("/feeds/list.xml", "/feeds/list.atom"):
        async with site.client.get(path) as response:
            before[path] = {entry.id: entry.title for entry in feedparser.parse(await response.read()).entries}
    site.clock.advance(timedelta(days=1))
    with site.database.transaction() as session:
        liststore.import_markdown(session, edited, source="edited.md", now=site.clock())
    for path in ("/feeds/list.xml", "/feeds/list.atom"):
        async with site.client.get(path) as response:
            after = {entry.id: entry.title for entry in feedparser.parse(await response.read()).entries}
        assert set(after) == set(before[path]), (set(after) ^ set(before[path]), path)
        assert "Probing Representations of Numbers in Vision-Language Models" in after.values()


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/feeds/list.xml", "/feeds/list.atom"])
async def test_an_entry_dated_in_the_future_does_not_hide_later_additions(tmp_path: Path, path: str) -> None:
    """A hand-kept entry dated ahead (a venue's year, a typo) was the feed's Last-Modified, in the future: a reader
    asking with If-Modified-Since got 304 for every paper approved until that day, and the entry led the feed."""
    ahead = date.today().year + 2
    seed = tmp_path / "seed.md"
    seed.write_text(
        "# Awesome X\n\n## Papers\n\n"
        f"+ [A Paper Dated Ahead](https://example.org/ahead) (Jan. 5, {ahead})\n\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n",
        encoding="utf-8",
    )
    settings = site_settings(tmp_path / "data", f'seed_list = "{seed}"\n')
    async with running_site(settings) as site:
        async with site.client.get(path) as response:
            first = response.headers["Last-Modified"]
            assert parsedate_to_datetime(first) <= parsedate_to_datetime(response.headers["Date"])
        site.clock.advance(timedelta(days=1))
        candidate = insert_candidate(site.database, real_papers()[0])
        await site.reviewer.decide_async(candidate, "approve", Actor("ann", "1", "discord"), "Papers")
        async with site.client.get(path, headers={"If-Modified-Since": first}) as response:
            assert response.status == 200, "a reader asking with If-Modified-Since never hears of the new paper"
            entries = feedparser.parse(await response.read()).entries
        assert entries[0].id == GUID + real_papers()[0]["arxiv_id"]
        assert all(entry.published_parsed.tm_year < ahead for entry in entries)


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/feeds/list.xml", "/feeds/list.atom"])
async def test_an_approval_made_while_the_clock_was_ahead_does_not_hide_later_additions(
    tmp_path: Path, path: str
) -> None:
    """The machine's clock ran a day ahead when a paper was approved, then was set right (NTP, an operator): the
    feed's Last-Modified stayed on that day to come, later than the answer's own time, and a reader asking with
    If-Modified-Since got 304 for every paper approved until then. Expected: Last-Modified is never later than the
    service's time, and the next approval reaches that reader."""
    async with running_site(site_settings(tmp_path / "data")) as site:
        first, second = (insert_candidate(site.database, paper) for paper in real_papers()[:2])
        site.clock.step(timedelta(days=1))
        await site.reviewer.decide_async(first, "approve", Actor("ann", "1", "discord"), "Steering")
        site.clock.step(-timedelta(days=1))
        async with site.client.get(path) as response:
            modified = response.headers["Last-Modified"]
        assert parsedate_to_datetime(modified) <= site.clock.now
        site.clock.advance(timedelta(hours=1))
        await site.reviewer.decide_async(second, "approve", Actor("ann", "1", "discord"), "Steering")
        async with site.client.get(path, headers={"If-Modified-Since": modified}) as response:
            assert response.status == 200, "a reader asking with If-Modified-Since never hears of the new paper"
            ids = [entry.id for entry in feedparser.parse(await response.read()).entries]
        assert GUID + real_papers()[1]["arxiv_id"] in ids


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/feeds/list.xml", "/feeds/list.atom"])
async def test_two_approvals_within_one_second_both_reach_a_reader_asking_by_date(tmp_path: Path, path: str) -> None:
    """Two papers approved within one second (two maintainers on Discord), a reader polling between them: the feed's
    Last-Modified, to the second, was the same after the second approval, and a reader asking with If-Modified-Since
    alone got 304 and never saw the second paper. Expected: 200 with it, then 304 once the reader has it."""
    async with running_site(site_settings(tmp_path / "data")) as site:
        first, second = (insert_candidate(site.database, paper) for paper in real_papers()[:2])
        site.clock.advance(timedelta(hours=1))
        await site.reviewer.decide_async(first, "approve", Actor("ann", "1", "discord"), "Steering")
        async with site.client.get(path) as response:
            modified = response.headers["Last-Modified"]
        await site.reviewer.decide_async(second, "approve", Actor("bob", "2", "discord"), "Steering")
        async with site.client.get(path, headers={"If-Modified-Since": modified}) as response:
            assert response.status == 200, "a reader asking with If-Modified-Since never hears of the second paper"
            ids = [entry.id for entry in feedparser.parse(await response.read()).entries]
            assert "Last-Modified" not in response.headers  # its second has not come yet
        assert GUID + real_papers()[1]["arxiv_id"] in ids
        site.clock.advance(timedelta(seconds=2))
        async with site.client.get(path, headers={"If-Modified-Since": modified}) as response:
            assert response.status == 200
            modified = response.headers["Last-Modified"]
        async with site.client.get(path, headers={"If-Modified-Since": modified}) as response:
            assert response.status == 304


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/feeds/list.xml", "/feeds/list.atom"])
async def test_an_approval_after_the_clock_was_set_back_reaches_a_reader_asking_by_date(
    tmp_path: Path, path: str
) -> None:
    """The clock was set back an hour (NTP, an operator) after a reader fetched the feed: the next approval was stamped
    earlier than the Last-Modified the reader held, and asking with it the reader got 304 for that paper."""
    async with running_site(site_settings(tmp_path / "data")) as site:
        first, second = (insert_candidate(site.database, paper) for paper in real_papers()[:2])
        site.clock.advance(timedelta(hours=1))
        await site.reviewer.decide_async(first, "approve", Actor("ann", "1", "discord"), "Steering")
        async with site.client.get(path) as response:
            modified = response.headers["Last-Modified"]
        site.clock.step(-timedelta(hours=1))
        site.clock.advance(timedelta(minutes=5))
        await site.reviewer.decide_async(second, "approve", Actor("ann", "1", "discord"), "Steering")
        async with site.client.get(path, headers={"If-Modified-Since": modified}) as response:
            assert response.status == 200, "a reader asking with If-Modified-Since never hears of the new paper"
            ids = [entry.id for entry in feedparser.parse(await response.read()).entries]
        assert GUID + real_papers()[1]["arxiv_id"] in ids


@pytest.mark.asyncio
async def test_a_paper_moved_to_another_section_shows_as_updated_in_the_atom_feed(site: Site) -> None:
    """A maintainer moved a survey to the Blog section: the Atom entry's categories changed, but its <updated> stayed
    its <published>, so feed readers that show changed entries by <updated> never told anyone it had moved."""
    seed = seed_list_path().read_bytes()
    assert seed.count(OPEN_PROBLEMS) == 1 and seed.count(STEERING_BLOG) == 1
    moved = seed.replace(OPEN_PROBLEMS, b"").replace(STEERING_BLOG, OPEN_PROBLEMS + STEERING_BLOG)
    site.clock.advance(timedelta(days=3))
    when = site.clock()
    with site.database.transaction() as session:
        report = liststore.import_markdown(session, moved, source="edited.md", now=when)
    assert report.moved
    async with site.client.get("/feeds/list.atom") as response:
        root = ET.fromstring(await response.read())
    dates = {
        entry.findtext(f"{ATOM}id"): (entry.findtext(f"{ATOM}published"), entry.findtext(f"{ATOM}updated"))
        for entry in root.iter(f"{ATOM}entry")
    }
    published, updated = dates[f"{GUID}2501.16496"]
    assert published is not None and updated is not None, dates
    assert datetime.fromisoformat(updated.replace("Z", "+00:00")) == when.replace(microsecond=0), (published, updated)
    assert datetime.fromisoformat(published.replace("Z", "+00:00")) < when - timedelta(days=1)
    # The papers left where they were keep <updated> at <published>.
    assert sum(published == updated for published, updated in dates.values()) == len(dates) - 1
