"""arXiv's own ways of writing text, end to end: TeX accents in a title and the authors' names, math, and Unicode
written otherwise than arXiv's pages show it. A feed in arXiv's format is polled, the paper approved, and what a
reader sees is checked: the list page and its search, the list's Markdown, the Discord embed, the public feed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
import pytest_asyncio
from sqlalchemy import select

from digest.arxiv.poll_pass import run_poll
from digest.discord.messages import candidate_embed
from digest.review.rules import Actor
from digest.storage.models import Candidate
from tests.arxiv_server import FakeClock
from tests.feedbuild import build_rss, load_records
from tests.web_server import Site, running_site, site_settings

PAPER = "2506.04706"  # a real multimodal-interpretability paper that is not in the list
MONDAY = date(2026, 4, 27)
# As arXiv's metadata writes them; its abs page shows "Rényi Gödel", "José García", "Łukasz Čech".
TEX_TITLE = r"R\'enyi G\"{o}del Probes of Attention Heads with $\ell_1$ and $\hat{x}$ in VLMs"
TEX_AUTHORS = [r"Jos\'e Garc\'ia", r"{\L}ukasz \v{C}ech"]


def feed_file(tmp_path: Path, title: str, authors: list[str]) -> Path:
    """The real paper in arXiv's RSS format with the title and authors given."""
    record = {**{r["arxiv_id"]: r for r in load_records()}[PAPER], "title": title, "authors": authors}
    source = tmp_path / "cs.CV.xml"
    source.write_bytes(build_rss("cs.CV", [record], MONDAY))
    return source


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data")) as running:
        yield running


async def poll_and_approve(site: Site, tmp_path: Path, title: str, authors: list[str]) -> Candidate:
    source = feed_file(tmp_path, title, authors)
    summary = await run_poll(site.settings, site.database, sources=[str(source)], clock=FakeClock())
    assert summary.outcome == "ok", summary.to_dict()
    with site.database.reading() as session:
        candidate = session.scalars(select(Candidate).where(Candidate.arxiv_id == PAPER)).one()
        session.expunge_all()
    assert site.reviewer.decide(candidate.id, "approve", Actor("ann", None, "web"), "Attention").changed
    return candidate


async def list_page(site: Site, search: str) -> str:
    async with site.client.get(f"/?q={quote(search)}") as reply:
        assert reply.status == 200
        return await reply.text()


@pytest.mark.asyncio
async def test_tex_accents_in_a_title_and_names_are_shown_as_the_letters_arxiv_shows(
    site: Site, tmp_path: Path
) -> None:
    """A title `R\\'enyi G\\"{o}del ...` by `Jos\\'e Garc\\'ia` was shown with its backslashes on every page, in the
    list, Discord and the feeds, where arXiv's page reads "Rényi Gödel" by "José García"; a search of the list page
    for "Gödel" or "José" found nothing."""
    candidate = await poll_and_approve(site, tmp_path, TEX_TITLE, TEX_AUTHORS)
    shown = r"Rényi Gödel Probes of Attention Heads with $\ell_1$ and $\hat{x}$ in VLMs"  # math as arXiv writes it

    for search in ("Gödel", "José García", "Łukasz Čech"):
        page = await list_page(site, search)
        assert f"arxiv.org/abs/{PAPER}" in page, search
    assert "Rényi Gödel" in page and "José García, Łukasz Čech" in page

    line = next(line for line in site.settings.list_markdown_path.read_text("utf-8").splitlines() if PAPER in line)
    assert "Rényi Gödel Probes" in line and "\\'" not in line and '\\"' not in line, line

    embed = candidate_embed(candidate, site.settings.discord.section_emojis)
    assert embed["title"].startswith("Rényi Gödel Probes"), embed["title"]
    assert {f["name"]: f["value"] for f in embed["fields"]}["Authors"] == "José García, Łukasz Čech"

    async with site.client.get("/feeds/list.atom") as reply:
        items = feedparser.parse(await reply.read()).entries
    item = next(item for item in items if PAPER in item.link)
    assert item.title == shown and [a["name"] for a in item.authors] == ["José García", "Łukasz Čech"]


@pytest.mark.asyncio
async def test_a_title_written_decomposed_or_with_zero_width_spaces_is_found_as_it_reads(
    site: Site, tmp_path: Path
) -> None:
    """A title "Cafe\\u0301 Zero\\u200bShot Probing" (an e and a combining acute; a zero-width space, as text copied
    from a PDF or a web page carries them) reads "Café ZeroShot Probing" on every page, but a search of the list
    page for "Café" or "ZeroShot" found nothing, and the list's Markdown kept the invisible character in the word."""
    title = "Cafe\u0301 Zero\u200bShot Probing of Attention Heads in Vision-Language Models\ufeff"
    await poll_and_approve(site, tmp_path, title, ["Zoe\u0308 Mu\u0308ller", "Ann\u2060Bee"])
    for search in ("Café", "ZeroShot", "Zoë Müller", "AnnBee"):
        page = await list_page(site, search)
        assert f"arxiv.org/abs/{PAPER}" in page, search
    line = next(line for line in site.settings.list_markdown_path.read_text("utf-8").splitlines() if PAPER in line)
    assert "[Café ZeroShot Probing of Attention Heads in Vision-Language Models]" in line, ascii(line)
