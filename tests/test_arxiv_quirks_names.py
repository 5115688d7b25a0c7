"""How arXiv's data quirks are handled: how papers are named, by old-style identifiers (astro-ph/0601001) and by the
hundreds of authors of a collaboration paper."""

from __future__ import annotations

from typing import Any

import pytest

from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.storage.db import Database
from tests.arxiv_server import ARXIV_DATA, ArxivServer, FakeClock, Reply
from tests.factories import insert_candidate
from tests.poller_feeds import RELEVANT, candidates, feed
from tests.poller_feeds import settings as settings  # the fixture

# ---------------------------------------------------------------------------------------------------------------------
# Old-style identifiers


@pytest.mark.asyncio
async def test_an_old_style_candidate_can_be_decided_by_its_arxiv_id(
    settings: Settings, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """A paper with an old-style ID (astro-ph/0601001, from a real API answer) is stored as a candidate under that ID,
    and `digest candidates` prints it; but `digest approve astro-ph/0601001` (README: "ID: the candidate's number, or
    its paper's arXiv ID or address") is a usage error, as is its abs address: only new-style IDs are understood."""
    from digest.arxiv.parse import parse_feed
    from digest.cli import main

    body = (ARXIV_DATA / "api/api_new_arxiv.py_id_astro-ph_0601001_s0_m100_3150dca9dc76_http200.xml").read_bytes()
    paper = parse_feed(body, "api").papers[0]
    assert paper.arxiv_id == "astro-ph/0601001"
    # No poll keeps an astrophysics paper for this list, and `digest add astro-ph/0601001` is refused (exit 2) too:
    # the candidate row is made by the tests' factory, as a poll of an old-style paper would store it.
    insert_candidate(database, {"arxiv_id": paper.arxiv_id, "title": paper.title, "abstract": paper.abstract,
                                "published": "2006-01-01"}, suggested_section="Probing")  # fmt: skip
    data_dir = str(settings.data_dir)
    assert main(["--data-dir", data_dir, "candidates", "--json"]) == 0
    assert "astro-ph/0601001" in capsys.readouterr().out
    # Observed: exit 2, "'astro-ph/0601001' is not a candidate number or an arXiv ID ...".
    assert main(["--data-dir", data_dir, "reject", "astro-ph/0601001"]) == 0, capsys.readouterr().err
    assert main(["--data-dir", data_dir, "pending", "https://arxiv.org/abs/astro-ph/0601001"]) == 0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("astro-ph/0601001", "astro-ph/0601001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("arXiv:quant-ph/0201082v1", "quant-ph/0201082"),
        ("math.GT/0309136", "math/0309136"),  # the subject class arXiv no longer writes in the ID
        ("https://arxiv.org/abs/astro-ph/0601001", "astro-ph/0601001"),
        ("https://arxiv.org/pdf/cond-mat/0703001v3.pdf", "cond-mat/0703001"),
        ("astro-ph/0704001", None),  # new-style IDs from April 2007
        ("hep-th/9107001", None),  # before arXiv (August 1991)
        ("hep-th/9913001", None),
        ("hep-th/9901000", None),
        ("not-an/0601001", None),
        ("astro-ph/060100", None),
        ("Astro-ph/0601001", "astro-ph/0601001"),  # an archive in any case, as arXiv reads it
        ("HEP-TH/9901001v2", "hep-th/9901001"),
        ("https://arxiv.org/abs/MATH.gt/0309136", "math/0309136"),
        ("hep-th/9901001V2", None),  # the version as arXiv writes it
    ],
)
def test_old_style_references(given: str, expected: str | None) -> None:
    from digest.arxiv.additions import parse_arxiv_reference

    assert parse_arxiv_reference(given) == expected


# ---------------------------------------------------------------------------------------------------------------------
# A collaboration paper: hundreds of authors


@pytest.mark.asyncio
async def test_a_paper_with_500_authors_does_not_flood_the_list_page(site: Any) -> None:
    """Large multimodal-model reports carry hundreds of authors on arXiv (the Gemini report, 2312.11805, well over a
    thousand), all in one dc:creator. Discord and the weekly digest show three and "et al."; the public list page
    (`/`) prints every name under the entry, and so does each item of the public feed /feeds/list.xml."""
    from digest.review.rules import Actor

    names = [f"Author{n:03d} Surname{n:03d}" for n in range(500)]
    paper = RELEVANT[0]
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=feed(paper, authors=names)))
        await run_poll(site.settings, site.database, sources=[url], clock=FakeClock())
    stored = candidates(site.database)[paper]
    assert len(stored.authors) == 500
    site.reviewer.decide(stored.id, "approve", Actor("ann", None, "cli"), "Probing")
    async with site.client.get("/") as response:
        page = await response.text()
    async with site.client.get("/feeds/list.xml") as response:
        public_feed = await response.text()
    # Observed: all 500 names on the page (about 11,000 characters of authors for one entry) and in the feed item.
    assert names[499] not in page, "the list page prints all 500 authors of one entry"
    assert names[499] not in public_feed, "the public feed prints all 500 authors of one item"
    shown = "Author000 Surname000, Author001 Surname001, Author002 Surname002 et al. (500 authors)"
    assert shown in page and shown in public_feed
    # One dc:creator, as arXiv's: readers given one per name showed only the last.
    assert public_feed.count("<dc:creator>") == 1 and f"<dc:creator>{shown}</dc:creator>" in public_feed


def test_a_short_author_list_is_shown_whole() -> None:
    from digest.text import authors_line

    assert authors_line(["A", "B", "C", "D"]) == "A, B, C, D"  # "et al." for one name would hide nothing
    assert authors_line(["A", "B", "C", "D", "E"]) == "A, B, C et al. (5 authors)"
    assert authors_line([]) == ""
