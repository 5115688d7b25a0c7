"""The public feeds as a reader's feed reader shows them (feedparser, as readers read RSS and Atom): a title as the
list page shows it, whatever markup-like text it holds, and every author of a paper. Through the web app on loopback
(tests/web_server.py), papers approved from real recorded candidates."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import feedparser
import pytest
import pytest_asyncio

from digest.arxiv.parse import ArxivPaper, parse_feed
from digest.review.rules import Actor
from tests.factories import insert_candidate
from tests.feedreading import html_text, shown_names, shown_text
from tests.web_server import SECRETS_ENV, Site, running_site, site_settings

FEED_TOKEN = SECRETS_ENV["DIGEST_FEED_TOKEN"]

# Titles as arXiv sends them: its HTML markup (a title's <i>, <sub>), TeX already made Unicode, escapes and a hostile
# one. A reader must see each as the list shows it: the characters, never italics or a swallowed tag.
TITLES = [
    "Probing <i>in situ</i>: H<sub>2</sub>O Features in CLIP",
    "Why a &lt; b Is Not <b>Bold</b> & Other Tales",
    "Sparse Codes for α → β ≤ γ in Vision Transformers",
    "<script>alert(1)</script> ]]> Tom & Jerry's <img src=x onerror=alert(2)> Probe",
    "Vision & Language: Q&A on AT&T's CLIP Probes",  # `&` that starts no reference: plain text too
]
PLAIN = TITLES[-1]


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data", "[web]\nfeed_items = 500\n")) as running:
        yield running


def recorded_papers(*, more: bool = False) -> list[ArxivPaper]:
    """Papers of arXiv's recorded feeds with two to four authors (a reader is shown every name of such a paper), or
    `more` of them."""
    papers = [
        paper
        for path in sorted((Path(__file__).parent / "data" / "arxiv" / "rss").glob("rss_*.xml"))
        for paper in parse_feed(path.read_bytes(), path.name).papers
    ]
    distinct = {paper.arxiv_id: paper for paper in papers}  # a paper cross-listed is in two feeds
    return [paper for paper in distinct.values() if (len(paper.authors) > 4) == more and len(paper.authors) >= 2]


async def approve_titled(site: Site) -> dict[str, list[str]]:
    """Real recorded papers retitled with TITLES, approved into the list; their authors by title."""
    authors: dict[str, list[str]] = {}
    for paper, title in zip(recorded_papers(), TITLES, strict=False):
        assert paper.published is not None
        record = {
            "arxiv_id": paper.arxiv_id,
            "title": title,
            "authors": paper.authors,
            "abstract": paper.abstract,
            "published": paper.published.replace(tzinfo=None).isoformat(),
        }
        candidate = insert_candidate(site.database, record)
        await site.reviewer.decide_async(candidate, "approve", Actor("ann", None, "cli"))
        authors[title] = list(paper.authors)
    assert list(authors) == TITLES
    return authors


async def read(site: Site, path: str) -> feedparser.FeedParserDict:
    async with site.client.get(path) as response:
        assert response.status == 200
        parsed = feedparser.parse(await response.read())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/feeds/list.xml", "/feeds/list.atom"])
async def test_a_reader_sees_each_title_as_the_list_shows_it(site: Site, path: str) -> None:
    await approve_titled(site)
    async with site.client.get("/") as response:
        page = html_text(await response.text())
    parsed = await read(site, path)
    shown = [shown_text(entry.title_detail) for entry in parsed.entries]
    for title in TITLES:
        assert title in page  # the list page shows the title's text
        assert title in shown, (path, title, shown[:6])
    # Nothing of a title became markup a reader would run or render.
    for entry in parsed.entries:
        if entry.title_detail.type == "text/html":
            assert "<" not in entry.title, entry.title


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/feeds/list.xml", "/feeds/list.atom"])
async def test_a_reader_sees_every_author_of_a_paper(site: Site, path: str) -> None:
    authors = await approve_titled(site)
    parsed = await read(site, path)
    by_title = {shown_text(entry.title_detail): entry for entry in parsed.entries}
    for title, names in authors.items():
        entry = by_title[title]
        # One author naming them all (RSS's dc:creator, as arXiv's; Atom's <author>): a reader showing an entry's author
        # (feedparser's `author`, the last <author> of several) shows every name, and so does `authors`.
        assert entry.author == ", ".join(names), (path, entry.author)
        assert [person.get("name") for person in entry.authors] == [", ".join(names)], (path, entry.authors)


@pytest.mark.asyncio
async def test_an_rss_title_whose_ampersands_start_no_reference_is_carried_as_plain_text(site: Site) -> None:
    """A reader that shows RSS titles as plain text (not HTML) sees `Vision & Language` as written: only what HTML
    would read otherwise is escaped once more."""
    await approve_titled(site)
    async with site.client.get("/feeds/list.xml") as response:
        root = ET.fromstring(await response.read())
    titles = [item.findtext("title") for item in root.iter("item")]
    assert PLAIN in titles, titles


@pytest.mark.asyncio
async def test_a_long_author_list_with_an_address_for_a_name_reads_whole_in_every_feed(site: Site) -> None:
    """A paper of more than four authors reads "A, B, C et al. (N authors)" as the author of its entry, in the list's
    RSS and Atom and in the candidates feed. Atom's <author> each showed the last of the three names alone, and a name
    that looks like an e-mail address was split out by readers into `email`: the name
    read "A, B," and the address was no author."""
    listed, pending = recorded_papers(more=True)[:2]
    expected: dict[str, str] = {}
    for paper in (listed, pending):
        assert paper.published is not None
        authors = [paper.authors[0], "j.doe@example.org", *paper.authors[2:]]
        expected[paper.title] = f"{authors[0]}, j.doe@example.org, {authors[2]} et al. ({len(authors)} authors)"
        record = {
            "arxiv_id": paper.arxiv_id,
            "title": paper.title,
            "authors": authors,
            "abstract": paper.abstract,
            "published": paper.published.replace(tzinfo=None).isoformat(),
        }
        candidate = insert_candidate(site.database, record)
        if paper is listed:
            await site.reviewer.decide_async(candidate, "approve", Actor("ann", None, "cli"))
    for path in ("/feeds/list.xml", "/feeds/list.atom", f"/feeds/candidates.xml?token={FEED_TOKEN}"):
        title = pending.title if "candidates" in path else listed.title
        (entry,) = [entry for entry in (await read(site, path)).entries if shown_text(entry.title_detail) == title]
        assert shown_names(entry.author) == expected[title], (path, entry.author)
        names = [shown_names(person.get("name", "")) for person in entry.authors]
        assert names == [expected[title]], (path, entry.authors)
        assert "email" not in entry.authors[0], (path, entry.authors)
