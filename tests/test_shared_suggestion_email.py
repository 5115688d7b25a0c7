"""The maintainers' weekly email named a suggestion two sections share ("Probing" in each year's block) as such in
"Worth a look" but gave it no one-click approval link, where the private feed and /review offer one per section: the
maintainer had to go to the server and run `digest approve`. The email now has a signed link into each section, in its
text and HTML parts; the copy the weekly folder keeps has none. Real SQLite, aiosmtpd, the web app on loopback."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.factories import real_papers
from tests.second_tier import APPROVE_LINE, between, email_parts, site, weekly_email, weekly_markdown
from tests.suggested_sections import in_2024_block, in_section, listed, worth_a_look
from tests.web_server import Site

__all__ = ["site"]  # the fixture: the web app with the weekly email at an SMTP port the test serves

SHARING = "Probing (2 sections have this name: Probing (Papers), Probing (2024))"
HTML_APPROVE = re.compile(r'<a href="([^"]+)"[^>]*>Approve into ([^<]+)</a>')


async def approve(site: Site, url: str) -> str:
    """Follows an emailed approval link (its confirmation page's button), as a maintainer does."""
    address = urlsplit(url)
    async with site.client.post(f"{address.path}?{address.query}") as reply:
        assert reply.status == 200, await reply.text()
        return html.unescape(await reply.text())


@pytest.mark.asyncio
async def test_a_suggestion_two_sections_share_gets_an_approval_link_into_each_in_the_email(
    site: Site, data_dir: Path, tmp_path: Path
) -> None:
    papers = real_papers()
    ids = worth_a_look(site, data_dir, tmp_path, ["Probing", "Probing"])

    text, page = email_parts(weekly_email(site))
    worth = between(text, "== Worth a look ==", "== The week in numbers ==")
    assert " ".join(worth.split()).count(f"suggested for {SHARING})") == 2  # a line past 72 columns is wrapped
    assert "No one-click link" not in worth
    first = between(worth, "1. ", "2. ")
    links = {section: url for section, url in APPROVE_LINE.findall(first)}
    assert list(links) == ["Probing (Papers)", "Probing (2024)"]
    assert "links below work until" in worth

    worth_html = html.unescape(between(page, ">Worth a look</h2>", ">The week in numbers</h2>"))
    second = worth_html.split("<li ")[2]
    html_links = {section: url for url, section in HTML_APPROVE.findall(second)}
    assert list(html_links) == ["Probing (Papers)", "Probing (2024)"]
    kept = weekly_markdown(site)  # a signed link approves for whoever holds it: the folder's copy has none
    assert f"suggested for *{SHARING}*" in kept and "Approve into" not in kept and "/approve/" not in kept

    assert "approved into Probing (2024)" in await approve(site, links["Probing (2024)"])
    assert "approved into Probing (Papers)" in await approve(site, html_links["Probing (Papers)"])
    assert [site.status_of(candidate) for candidate in ids] == ["approved", "approved"]
    markdown = await listed(site)
    assert str(papers[0]["arxiv_id"]) in in_2024_block(markdown)
    before_2024 = markdown.split("\n## 2024\n", 1)[0]
    assert str(papers[1]["arxiv_id"]) in in_section(before_2024, "Probing")
    assert str(papers[1]["arxiv_id"]) not in in_2024_block(markdown)
