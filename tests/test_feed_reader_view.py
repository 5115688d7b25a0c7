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
from tests.feedreading import html_text, shown_text
from tests.web_server import Site, running_site, site_settings

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


def recorded_papers() -> list[ArxivPaper]:
    """Papers of arXiv's recorded feeds with two to four authors (a reader is shown every name of such a paper)."""
    papers = [
        paper
        for path in sorted((Path(__file__).parent / "data" / "arxiv" / "rss").glob("rss_*.xml"))
        for paper in parse_feed(path.read_bytes(), path.name).papers
    ]
    distinct = {paper.arxiv_id: paper for paper in papers}  # a paper cross-listed is in two feeds
    return [paper for paper in distinct.values() if 2 <= len(paper.authors) <= 4]


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
        if path.endswith(".xml"):  # RSS: one dc:creator, as arXiv's; feedparser's `author` and `authors` name all
            assert entry.author == ", ".join(names), (path, entry.author)
            assert [person.get("name") for person in entry.authors] == [", ".join(names)], (path, entry.authors)
        else:  # Atom: an <author> each, all of them in feedparser's `authors`
            assert [person.get("name") for person in entry.authors] == names, (path, entry.authors)


@pytest.mark.asyncio
async def test_an_rss_title_whose_ampersands_start_no_reference_is_carried_as_plain_text(site: Site) -> None:
    """A reader that shows RSS titles as plain text (not HTML) sees `Vision & Language` as written: only what HTML
    would read otherwise is escaped once more."""
    await approve_titled(site)
    async with site.client.get("/feeds/list.xml") as response:
        root = ET.fromstring(await response.read())
    titles = [item.findtext("title") for item in root.iter("item")]
    assert PLAIN in titles, titles
