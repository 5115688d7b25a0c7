"""Hostile text from a feed, end to end: an arXiv-format feed carrying real papers whose title, abstract and authors
were tampered with is polled, and every output a person or a program reads is checked: the Discord embed, the web
pages, the public and private feeds, the list's Markdown after approval, the weekly Markdown and email.
"""

from __future__ import annotations

import email
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, date
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
import pytest_asyncio
from sqlalchemy import select

from digest.arxiv.poll_pass import run_poll
from digest.awesome.parse import parse_list
from digest.discord.messages import candidate_embed
from digest.review.rules import Actor
from digest.storage.models import Candidate
from digest.weekly.contents import compose_email, load_digest
from digest.weekly.issue import week_of
from digest.weekly.rendering import render
from tests.arxiv_server import FakeClock
from tests.feedbuild import build_rss, load_records
from tests.feedreading import shown_text
from tests.hostile_text import BIDI, UNESCAPED, assert_harmless_html, html_part
from tests.web_server import SECRETS_ENV, Site, running_site, signin_form, site_settings

# Everything a feed could use to break out: HTML, CDATA ends, entities, terminal escapes, mentions, a Markdown link
# to javascript:, table and emphasis markers, a line that would become a heading, and a right-to-left override.
HOSTILE = (
    " <script>alert(1)</script> ]]> &amp; & \x1b[31m @everyone @here <@&123> [x](javascript:alert(1)) "
    "](https://evil.example/) *bold* _it_ | a | b |\n# Not a heading\n+ [fake entry](https://evil.example) "
    "\u202egnp.exe <@!123>"
)
HOSTILE_AUTHOR = '@everyone <img src=x onerror="alert(1)"> [me](javascript:alert(2))'
TAMPERED, LONG = "2506.04706", "2504.11695"  # real multimodal-interpretability papers that are not in the list
MONDAY = date(2026, 4, 27)


def hostile_feed() -> bytes:
    by_id = {record["arxiv_id"]: record for record in load_records()}
    tampered = dict(by_id[TAMPERED])
    tampered["title"] += HOSTILE
    tampered["abstract"] += HOSTILE
    tampered["authors"] = [*(tampered.get("authors") or []), HOSTILE_AUTHOR]
    long = dict(by_id[LONG])
    long["title"] = " ".join([long["title"], *[long["abstract"]] * (100_000 // len(long["abstract"]) + 1)])
    return build_rss("cs.CV", [tampered, long], MONDAY)


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data")) as running:
        source = tmp_path / "cs.CV.xml"
        source.write_bytes(hostile_feed())
        summary = await run_poll(running.settings, running.database, sources=[str(source)], clock=FakeClock())
        assert summary.outcome == "ok", summary.to_dict()
        yield running


def candidates(site: Site) -> dict[str, Candidate]:
    with site.database.reading() as session:
        found = {c.arxiv_id: c for c in session.scalars(select(Candidate))}
        session.expunge_all()
    return found


@pytest.mark.asyncio
async def test_the_tampered_paper_is_a_candidate_with_its_text_kept(site: Site) -> None:
    found = candidates(site)
    assert set(found) == {TAMPERED, LONG}
    stored = found[TAMPERED]
    assert "<script>alert(1)</script>" in stored.title and "@everyone" in stored.abstract
    assert any("onerror" in author for author in stored.authors)
    assert not BIDI & set(stored.title + stored.abstract) and "\x1b" not in stored.title  # dropped on the way in


@pytest.mark.asyncio
async def test_the_discord_embed_pings_nobody_and_links_nothing_new(site: Site) -> None:
    for candidate in candidates(site).values():
        embed = candidate_embed(candidate, site.settings.discord.section_emojis)
        texts = [embed["title"], embed["description"], embed["footer"]["text"]]
        texts += [f["value"] for f in embed["fields"]] + [f["name"] for f in embed["fields"]]
        assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
        assert sum(map(len, texts)) <= 6000
        assert embed["url"] == f"https://arxiv.org/abs/{candidate.arxiv_id}"
        for text in texts:
            assert "@everyone" not in text and "@here" not in text and "<@&" not in text, text
            assert "<@!" not in text, text  # the nickname form of a user mention pings as <@123> does
            assert "](javascript" not in text and "](https://evil" not in text, text
            assert not BIDI & set(text) and "\x1b" not in text, text
        assert "\n" not in embed["title"]


def element_texts(body: bytes) -> list[str]:
    root = ET.fromstring(body)  # raises on anything that is not well-formed XML
    return [element.text or "" for element in root.iter()]


@pytest.mark.asyncio
async def test_the_private_feed_is_valid_xml_whose_html_is_harmless(site: Site) -> None:
    async with site.client.get("/feeds/candidates.xml", params={"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}) as reply:
        assert reply.status == 200
        body = await reply.read()
    texts = element_texts(body)
    assert texts
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    # The title is shown as text: a reader taking the RSS title for HTML (feedparser does) reads the characters.
    assert any("<script>alert(1)</script>" in shown_text(item.title_detail) for item in parsed.entries)
    for item in parsed.entries:
        assert_harmless_html(item.get("description", "") or item.get("summary", ""))


@pytest.mark.asyncio
async def test_review_page_list_page_feeds_and_list_markdown_after_approval(site: Site) -> None:
    before = parse_list(site.settings.list_markdown_path.read_text(encoding="utf-8"))
    found = candidates(site)
    for candidate in found.values():
        outcome = site.reviewer.decide(candidate.id, "approve", Actor("ann", None, "web"), "Sparse Autoencoder")
        assert outcome.changed

    form = {**await signin_form(site.client), "token": SECRETS_ENV["DIGEST_ADMIN_TOKEN"]}
    async with site.client.post("/review/signin", data=form) as reply:
        assert reply.status == 200  # after the redirect to /review
        assert_harmless_html(await reply.text())
    async with site.client.get("/") as reply:
        page = await reply.text()
    assert_harmless_html(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for path in ("/feeds/list.xml", "/feeds/list.atom"):
        async with site.client.get(path) as reply:
            body = await reply.read()
        element_texts(body)
        parsed = feedparser.parse(body)
        assert not parsed.bozo, (path, parsed.bozo_exception)
        for item in parsed.entries:
            assert_harmless_html(item.get("summary", ""))
            assert urlsplit(item.link).scheme == "https"

    markdown = site.settings.list_markdown_path.read_text(encoding="utf-8")
    async with site.client.get("/list.md") as reply:
        assert await reply.text() == markdown
    after = parse_list(markdown)
    old = {e.raw for s in before.sections for e in s.entries}
    new = [e for s in after.sections for e in s.entries if e.raw not in old]
    assert len(new) == 2, [e.raw for e in new]  # one entry per approval: nothing in a title started another
    assert [s.name for s in after.sections] == [s.name for s in before.sections]  # no heading was injected
    for entry in new:
        assert entry.title and any(entry.title.startswith(c.title[:30]) for c in found.values()), entry.title
        for url in [entry.url, entry.badge_url, entry.code_url, *entry.other_links]:
            assert url is None or urlsplit(url).scheme == "https", url
        assert not UNESCAPED.search(entry.raw), entry.raw
        assert not BIDI & set(entry.raw) and "\x1b" not in entry.raw
        assert entry.raw.count("\n+ ") == 0 and "\n#" not in entry.raw
    links = {link.url for link in after.links} - {link.url for link in before.links}
    assert all(urlsplit(url).scheme == "https" and "evil.example" not in url for url in links), links


@pytest.mark.asyncio
async def test_weekly_markdown_and_email_keep_the_text_inert(site: Site) -> None:
    for candidate in candidates(site).values():
        site.reviewer.decide(candidate.id, "approve", Actor("ann", None, "web"), "Sparse Autoencoder")
    with site.database.reading() as session:
        digest = load_digest(session, site.settings, week_of(site.clock(), UTC))
    assert digest.added_count == 2
    markdown = render(digest, site.settings.templates_dir, "digest.md.j2")
    assert not UNESCAPED.search(markdown), UNESCAPED.search(markdown)
    assert not BIDI & set(markdown) and "\x1b" not in markdown
    assert not [line for line in markdown.splitlines() if line.startswith("# Not a heading")]

    message = email.message_from_bytes(compose_email(digest, site.settings, site.clock()).as_bytes())
    assert len(message.get_all("Subject") or []) == 1 and "<script" not in message["Subject"]
    assert_harmless_html(html_part(message, "html"))
    text = html_part(message, "plain")
    assert "<script>alert(1)</script>" in text or "alert(1)" in text  # plain text may show it: it is inert there


def test_output_escapers_drop_controls_and_bidi_overrides_even_when_stored() -> None:
    """Rows stored before the parser dropped them (or written by another path) are cleaned on the way out too."""
    from digest.awesome.entry import escape_text
    from digest.discord.messages import cut, escape

    title = load_records()[0]["title"] + " \u202egnp.exe \x1b[31m\x00 @everyone"
    for text in (escape(title), cut(title, 60), escape_text(title)):
        assert not BIDI & set(text) and "\x1b" not in text and "\x00" not in text, text
    assert "@everyone" not in escape(title)


def test_the_arabic_letter_mark_is_dropped_as_the_other_bidi_controls_are() -> None:
    """U+061C (ARABIC LETTER MARK) is one of Unicode's bidi controls, as U+200E and U+200F are, and reorders what
    follows it as they do ("\u061c2024-2025" reads as 2025-2024 in a left-to-right line); the text policy's list
    lacked it, so a feed's title kept it in every page, feed, message and the list."""
    from digest.awesome.entry import escape_text
    from digest.discord.messages import escape
    from digest.text import has_invisible, one_line

    title = "Probing VLMs (\u061c2024-2025)"
    assert has_invisible(title)
    for text in (one_line(title), escape(title), escape_text(title)):
        assert "\u061c" not in text and "2024-2025" in text, text
