"""One hostile paper through every output, end to end: arXiv's API answer (Atom, with a comment) served on loopback,
its title (5,000 characters), authors, abstract and comment holding Markdown links and images, HTML, CDATA ends,
entities, comments, a heading on a new line, bidi and zero-width characters, mentions, Discord markup, git trailers,
a mail header, format strings and Jinja syntax. Polled, shown on the review page in Chromium, posted to the fake
Discord and approved there, published to a real git remote, shown in the public Atom feed and the weekly editions
sent through aiosmtpd. Each output is checked as a person (or a program) reading it would: nothing from the feed acts
as markup, pings, or adds a trailer or a header; the list keeps its structure."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest

from digest.awesome import store as liststore
from digest.awesome.lint import lint_text
from digest.awesome.parse import parse_list
from digest.review.rules import Actor
from digest.service.wiring import open_service_database
from digest.weekly.store import run_weekly_job
from tests.browser_review import open_review
from tests.chromium import CHROMIUM
from tests.conftest import make_settings
from tests.discord_bot import eventually, last_embed, list_md, message_id, running
from tests.fake_discord import MAINTAINER, FakeDiscord
from tests.hostile_paper import PAPER, Polled, polled_site
from tests.hostile_text import BIDI, UNESCAPED, assert_harmless_html, html_part
from tests.publishing import services
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_email import READERS, with_smtp

SHOWN = "<script>alert(1)</script>"  # what a reader sees where the feed's text is shown as text
ZERO_WIDTH = {"\u200b", "\u2060"}


@pytest.mark.asyncio
async def test_the_candidate_keeps_the_text_bounded_and_without_invisible_characters(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with polled_site(tmp_path, fake) as polled:
        candidate = polled.candidate
    assert candidate.arxiv_id == PAPER and len(candidate.title) <= 300  # arXiv's bound, not 5,000 characters
    assert SHOWN in candidate.title and "Signed-off-by" in candidate.title and "\n" not in candidate.title
    assert not (BIDI | ZERO_WIDTH) & set(candidate.title + candidate.abstract + "".join(candidate.authors))
    assert candidate.comments and "](javascript:alert(3))" in candidate.comments
    assert candidate.code_url == "https://github.com/evil/x"  # the address only, never what follows it


@pytest.mark.asyncio
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Chromium at /usr/bin/chromium")
async def test_the_review_page_in_chromium_shows_the_text_and_runs_nothing(
    tmp_path: Path, fake: FakeDiscord, browser: Any
) -> None:
    async with polled_site(tmp_path, fake) as polled:
        dialogs: list[str] = []
        asked: list[str] = []
        page = await open_review(browser, polled.site, ready="article.candidate")
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        page.on("request", lambda request: asked.append(request.url))
        await page.reload()
        card = page.locator("article.candidate").first
        await card.locator("details.abstract summary").first.click()
        heading = await card.locator("h2").inner_text()
        seen = await card.inner_text()
        markup = await card.evaluate(
            "c => [...c.querySelectorAll('script, img, iframe, b, i, s, [onmouseover], [onerror]')].length"
        )
        links = await card.evaluate("c => [...c.querySelectorAll('a')].map(a => a.href)")
        await page.context.close()
    assert dialogs == [] and markup == 0, (dialogs, markup)
    assert not [url for url in asked if "evil" in url or url.startswith("javascript")], asked
    assert SHOWN in heading and "\n" not in heading.strip()
    assert "<img src=x onerror=alert(1)>" in seen and "{{ 7*7 }}" in seen
    assert all(url.startswith(("https://", polled.site.base)) for url in links), links
    assert not (BIDI | ZERO_WIDTH) & set(seen)


def trailers(polled: Polled) -> list[str]:
    said = subprocess.run(
        ["git", "--git-dir", str(polled.remote.bare), "log", "-1", "--format=%(trailers:only,unfold)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in said.stdout.splitlines() if line]


def findings(markdown: str) -> Counter[tuple[str, str]]:
    return Counter((finding.severity, finding.code) for finding in lint_text(markdown))


def rendered_again(polled: Polled, markdown: str) -> str:
    """The list as a fresh data folder renders it after importing `markdown` (what a maintainer's re-import does)."""
    settings = make_settings(polled.remote.bare.parent / "again")
    database = open_service_database(settings)
    try:
        with database.transaction() as session:
            liststore.import_markdown(session, markdown.encode(), source="README.md")
        with database.reading() as session:
            return liststore.render_markdown(session, settings.templates_dir)
    finally:
        database.dispose()


@pytest.mark.asyncio
async def test_discord_approval_publishes_one_inert_entry_and_no_forged_trailer(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    async with polled_site(tmp_path, fake) as polled:
        settings = polled.site.settings
        before = list_md(settings)
        _, publisher = services(polled.site.database, settings)
        async with running(settings, polled.site.database) as bot:
            assert (await bot.post_pending()).posted == 1
            mid = message_id(polled.site.database, polled.candidate.id)
            await fake.react(mid, MAINTAINER, "✅")
            await eventually(lambda: f"abs/{PAPER}" in list_md(settings), "the paper in the list")
            await eventually(lambda: "Approved by" in last_embed(fake, mid)["description"], "message edited")
        assert publisher.publish().outcome == "published"
        published = polled.remote.readme()
        found = trailers(polled)
    body = fake.posted()[0]
    assert body["allowed_mentions"] == {"parse": []}
    embed = body["embeds"][0]
    texts = [embed["title"], embed["description"], *(f"{f['name']} {f['value']}" for f in embed["fields"])]
    for text in texts:
        assert "@everyone" not in text and "@here" not in text and "<@&" not in text and "<@!" not in text, text
        assert "](javascript" not in text and "![x](" not in text and "||spoiler||" not in text, text
        assert "`" not in text.replace("\\`", ""), text
    assert found == ["Awesome-Digest-Decisions: 1", "Published-by: awesome-digest"]

    assert published == list_md(settings)
    assert findings(published) == findings(before)  # the seed list's own findings, and none for the new entry
    old, new = parse_list(before), parse_list(published)
    assert [s.name for s in new.sections] == [s.name for s in old.sections]
    kept = {entry.raw for section in old.sections for entry in section.entries}
    added = [entry for section in new.sections for entry in section.entries if entry.raw not in kept]
    assert len(added) == 1 and not UNESCAPED.search(added[0].raw) and "![x](" not in added[0].raw, added
    assert "\n#" not in added[0].raw and added[0].url == f"https://arxiv.org/abs/{PAPER}"
    assert rendered_again(polled, published) == published  # the list re-renders byte for byte


@pytest.mark.asyncio
async def test_the_public_atom_feed_and_the_weekly_editions_keep_the_text_inert(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    inbox = Inbox()
    async with polled_site(tmp_path, fake) as polled:
        site = polled.site
        site.reviewer.decide(polled.candidate.id, "approve", Actor("ann", None, "web"), "Sparse Autoencoder")
        async with site.client.get("/feeds/list.atom") as reply:
            atom = await reply.read()
        with smtp_server(inbox) as port:
            result = run_weekly_job(with_smtp(site.settings, port), site.database, datetime.now(UTC) + timedelta(7))
    ET.fromstring(atom)
    parsed = feedparser.parse(atom)
    assert not parsed.bozo, parsed.bozo_exception
    (entry,) = [e for e in parsed.entries if PAPER in e.link]
    assert SHOWN in entry.title and entry.title_detail.type == "text/plain"
    assert_harmless_html(entry.summary)
    assert all(link.href.startswith("https://") and "evil.example" not in link.href for link in entry.links)

    (message,) = inbox.messages
    assert len(message.get_all("Subject") or []) == 1 and message["Bcc"] is None
    assert inbox.envelopes[0].rcpt_tos == [READERS]
    assert_harmless_html(html_part(message, "html"))
    assert "evil@example.org" not in str(message["To"]) + str(message["Cc"])
    assert result.markdown_path is not None
    markdown = result.markdown_path.read_text(encoding="utf-8")
    assert "Line of Sight" in markdown and not UNESCAPED.search(markdown) and "![x](" not in markdown
    assert not [line for line in markdown.splitlines() if line.startswith(("## Heading", "Signed-off-by"))]
    assert not (BIDI | ZERO_WIDTH) & set(markdown + html_part(message, "plain"))
