"""arXiv's own ways of writing text, end to end: TeX accents in a title and the authors' names, math, and Unicode
written otherwise than arXiv's pages show it. A feed in arXiv's format is polled, the paper approved, and what a
reader sees is checked: the list page and its search, the list's Markdown, the Discord embed, the public feed, the
review page and the weekly email.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import feedparser
import pytest
import pytest_asyncio
from sqlalchemy import select

from digest.arxiv.poll_pass import run_poll
from digest.discord.messages import candidate_embed
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.models import Candidate
from digest.weekly.store import run_weekly_job
from tests.arxiv_server import FakeClock
from tests.feedbuild import build_rss, load_records
from tests.smtp_server import Inbox, smtp_server
from tests.web_server import Site, running_site, sign_in, site_settings
from tests.weekly_data import APPROVED_IN_WEEK, Clock
from tests.weekly_email import NOW, parts, statuses, with_smtp

PAPER = "2506.04706"  # a real multimodal-interpretability paper that is not in the list
MONDAY = date(2026, 4, 27)
# As arXiv's metadata writes them; its abs page shows "Rényi Gödel", "José García", "Łukasz Čech".
TEX_TITLE = r"R\'enyi G\"{o}del Probes of Attention Heads with $\ell_1$ and $\hat{x}$ in VLMs"
TEX_AUTHORS = [r"Jos\'e Garc\'ia", r"{\L}ukasz \v{C}ech"]


def feed_file(tmp_path: Path, title: str, authors: list[str]) -> Path:
    """The real paper in arXiv's RSS format with the title and authors given."""
    record = {**{r["arxiv_id"]: r for r in load_records()}[PAPER], "title": title, "authors": authors}
    return records_feed(tmp_path, [record])


def records_feed(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    source = tmp_path / "cs.CV.xml"
    source.write_bytes(build_rss("cs.CV", records, MONDAY))
    return source


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data")) as running:
        yield running


async def poll_and_approve(site: Site, tmp_path: Path, title: str, authors: list[str]) -> Candidate:
    return (await poll_and_approve_each(site, feed_file(tmp_path, title, authors), [PAPER]))[0]


async def poll_and_approve_each(site: Site, source: Path, arxiv_ids: list[str]) -> list[Candidate]:
    candidates = await polled(site, source, arxiv_ids)
    for candidate in candidates:
        assert site.reviewer.decide(candidate.id, "approve", Actor("ann", None, "web"), "Attention").changed
    return candidates


async def polled(site: Site, source: Path, arxiv_ids: list[str]) -> list[Candidate]:
    """The candidates a poll of `source` found, pending, in the order of `arxiv_ids`."""
    summary = await run_poll(site.settings, site.database, sources=[str(source)], clock=FakeClock())
    assert summary.outcome == "ok", summary.to_dict()
    with site.database.reading() as session:
        found = session.scalars(select(Candidate).where(Candidate.arxiv_id.in_(arxiv_ids))).all()
        session.expunge_all()
    return sorted(found, key=lambda candidate: arxiv_ids.index(candidate.arxiv_id))


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
    shown = "Rényi Gödel Probes of Attention Heads with ℓ₁ and x̂ in VLMs"

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
    assert item.title == shown and item.author == "José García, Łukasz Čech"  # one <author>: test_feed_reader_view


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


def list_line(site: Site, arxiv_id: str) -> str:
    return next(line for line in site.settings.list_markdown_path.read_text("utf-8").splitlines() if arxiv_id in line)


async def feed_titles(site: Site) -> tuple[bytes, dict[str, str]]:
    async with site.client.get("/feeds/list.atom") as reply:
        body = await reply.read()
    return body, {item.link.rsplit("/", 1)[-1]: item.title for item in feedparser.parse(body).entries}


@pytest.mark.asyncio
async def test_math_in_real_arxiv_titles_reads_as_plain_text_and_what_has_no_plain_form_as_its_tex(
    site: Site, tmp_path: Path
) -> None:
    """Two real titles as arXiv writes them: `Cu$_x$Al$_{1-x}$ films ...` showed its TeX everywhere, and list.md
    escaped it (`Cu$\\_x$Al$\\_{1-x}$`), which GitHub, reading `$...$` as math, drew broken. It reads "CuₓAl₁₋ₓ films"
    now. `$K_\\infty$` has no plain form (Unicode has no subscript ∞): it is kept as its TeX source, shown once."""
    real = {r["arxiv_id"]: r["title"] for r in load_records("relevance_haystack_sample.jsonl")}
    assert real["2405.02046"].startswith("Cu$_x$Al$_{1-x}$ films")
    assert real["2405.17218"] == r"Quasi-transitive $K_\infty$-minor free graphs"
    # The two titles on two papers the relevance model takes (it would pass over alloys and graph minors).
    alloy, graphs = PAPER, "2505.14071"
    papers = {r["arxiv_id"]: r for r in load_records()}
    source = records_feed(
        tmp_path,
        [
            {**papers[alloy], "title": real["2405.02046"], "authors": ["Ann Bee"]},
            {**papers[graphs], "title": real["2405.17218"], "authors": ["Cy Dee"]},
        ],
    )
    first, second = await poll_and_approve_each(site, source, [alloy, graphs])
    plain = "CuₓAl₁₋ₓ films as Alternatives to Copper for Advanced Interconnect Metallization"

    assert f"[{plain}](https://arxiv.org/abs/{alloy})" in list_line(site, alloy), list_line(site, alloy)
    # GitHub shows `\$K\_\\infty\$` as the source `$K_\infty$`, not as math its escapes break.
    assert r"[Quasi-transitive \$K\_\\infty\$-minor free graphs]" in list_line(site, graphs), list_line(site, graphs)
    page = await list_page(site, "Cuₓ")
    assert plain in page and f"arxiv.org/abs/{alloy}" in page
    assert r"Quasi-transitive $K_\infty$-minor free graphs" in await list_page(site, "Quasi-transitive")

    body, titles = await feed_titles(site)
    assert titles[alloy] == plain and titles[graphs] == r"Quasi-transitive $K_\infty$-minor free graphs"
    assert plain.encode() in body

    emojis = site.settings.discord.section_emojis
    assert candidate_embed(first, emojis)["title"].startswith("CuₓAl₁₋ₓ films as Alternatives")
    assert candidate_embed(second, emojis)["title"].startswith(r"Quasi-transitive $K\_\\infty$-minor")


@pytest.mark.asyncio
async def test_a_formula_followed_by_a_number_reads_as_text_and_prices_stay_prices(site: Site, tmp_path: Path) -> None:
    """arXiv titles write "$\\sim$50\\%" (about 50%) and "$\\times$10": the formula was taken for a price because a
    digit follows its closing `$`, so the list page, the feeds, list.md and the weekly email showed `$\\sim$50%`. A
    formula that starts with no digit reads as text whatever follows it; "$5-$10" (a price) stays."""
    title = r"Steering Heads of VLMs: a $\sim$50\% Cut, $\times$10 Faster, at $5-$10 per Run"
    shown = "Steering Heads of VLMs: a ∼50% Cut, ×10 Faster, at $5-$10 per Run"
    await poll_and_approve(site, tmp_path, title, ["Ann Bee"])

    page = await list_page(site, "Steering Heads")
    assert f"arxiv.org/abs/{PAPER}" in page and shown in unescape(re.sub(r"</?mark>", "", page)), page
    _, titles = await feed_titles(site)
    assert titles[PAPER] == shown, titles[PAPER]
    assert r"[Steering Heads of VLMs: a ∼50% Cut, ×10 Faster, at \$5-\$10 per Run]" in list_line(site, PAPER)


@pytest.mark.asyncio
async def test_a_hostile_title_in_tex_makes_no_markup_anywhere(site: Site, tmp_path: Path) -> None:
    """A title whose math holds a tag, with TeX link commands: turning TeX into text must not make a tag or a link
    of it. The text is escaped for each output after it is read, so each shows it as text."""
    title = (
        r"Probes $<script>alert(1)</script>$ \href{javascript:alert(2)}{click} \url{javascript:alert(3)} -- \emph{new}"
    )
    candidate = await poll_and_approve(site, tmp_path, title, ["Ann Bee"])
    shown = r"Probes <script>alert(1)</script> \href{javascript:alert(2)}{click} \url{javascript:alert(3)} – new"

    line = list_line(site, PAPER)
    assert r"\<script\>alert(1)\</script\>" in line and "](javascript" not in line, line
    assert not re.search(r"(?<!\\)[<\[\]]", line.split("](https://arxiv.org")[0][3:]), line  # no tag, no link
    page = await list_page(site, "Probes")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert 'href="javascript' not in page.replace(" ", "")
    body, titles = await feed_titles(site)
    assert titles[PAPER] == shown and b"<script>" not in body and b'href="javascript' not in body
    embed_title = candidate_embed(candidate, site.settings.discord.section_emojis)["title"]
    assert embed_title.startswith(r"Probes \<script\>alert\(1\)\</script\>"), embed_title


# Math that reads as Unicode, a calligraphic letter read as the letter, a tag in a formula, and a formula with no
# plain form (kept as its TeX source): as arXiv writes them, then as texmath gives them.
MATH_TITLE = r"Sparse $\ell_1$ probes of $\mathcal{V}$-LLMs: $<b>x</b>$ and $K_\infty$ heads"
MATH_SHOWN = r"Sparse ℓ₁ probes of V-LLMs: <b>x</b> and $K_\infty$ heads"


@pytest.mark.asyncio
async def test_math_in_a_title_reads_as_text_on_the_review_page(site: Site, tmp_path: Path) -> None:
    """The list, its Markdown, the feeds and Discord were tested to show a title's math as text; the page a maintainer
    decides on was not. It shows what texmath gives, its tag as text."""
    await polled(site, feed_file(tmp_path, MATH_TITLE, ["Ann Bee"]), [PAPER])
    await sign_in(site)
    async with site.client.get("/review") as reply:
        page = await reply.text()
    assert f"arxiv.org/abs/{PAPER}" in page and MATH_SHOWN in unescape(re.sub(r"</?mark>", "", page)), page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page and r"\ell" not in page


@pytest.mark.asyncio
async def test_math_in_a_title_reads_as_text_in_both_parts_of_the_weekly_email(site: Site, tmp_path: Path) -> None:
    """Nor was the weekly email: its text part shows the title as it reads (no Markdown escapes of the '$' kept for
    GitHub), its HTML part the same with the tag as text."""
    (candidate,) = await polled(site, feed_file(tmp_path, MATH_TITLE, ["Ann Bee"]), [PAPER])
    approved = Reviewer(site.database, site.settings, Clock(APPROVED_IN_WEEK[1][2]))
    assert approved.decide(candidate.id, "approve", Actor("ann", None, "cli"), "Attention").changed
    inbox = Inbox()
    with smtp_server(inbox) as port:
        assert statuses(run_weekly_job(with_smtp(site.settings, port), site.database, NOW)) == [("2026-W48", "sent")]
    text, html = parts(inbox.messages[0])
    assert f"* {MATH_SHOWN}\n" in text, text
    assert escape(MATH_SHOWN, quote=False) in html and "<b>x</b>" not in html, html
