"""The private feed's one-click links and /review's buttons matched a suggested section by the name the model gave it
when it judged the paper: a heading renamed since lost its "Approve (suggested)" link, a name two sections share was
dropped or said to be gone, a section taken out went unsaid. Both now resolve it as Discord and `digest candidates` do
(review.suggestions.suggestions_now), and approve where the list has the section now."""

from __future__ import annotations

import html
import re
from pathlib import Path

import feedparser
import pytest

from digest.cli import main
from tests.factories import insert_candidate, real_papers
from tests.second_tier import between, printed_markdown
from tests.suggested_sections import edited_list, in_2024_block, in_section, listed, worth_a_look
from tests.web_pages import card, post, review
from tests.web_server import SECRETS_ENV, Site, approval_links, sign_in

SHARING = "Probing (2 sections have this name: Probing (Papers), Probing (2024))"


def suggested_for(site: Site, data_dir: Path, tmp_path: Path) -> dict[str, int]:
    """A candidate suggested for Steering, one for Probing, one for Attention; then the list edited and imported:
    Steering renamed Activation Steering, a Probing in a 2024 block beside the first, Attention's heading taken out."""
    papers = real_papers()
    ids = {
        name: insert_candidate(
            site.database, papers[n], score=0.9 - n / 10, suggested_section=name, suggested_sections=[name]
        )
        for n, name in enumerate(["Steering", "Probing", "Attention"])
    }
    assert main(["--data-dir", str(data_dir), "list", "import", str(edited_list(data_dir, tmp_path))]) == 0
    return ids


@pytest.mark.asyncio
async def test_the_feeds_suggested_link_approves_where_the_list_has_the_section_now(
    site: Site, data_dir: Path, tmp_path: Path
) -> None:
    ids = suggested_for(site, data_dir, tmp_path)
    async with site.client.get("/feeds/candidates.xml", params={"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}) as reply:
        assert reply.status == 200
        parsed = feedparser.parse(await reply.read())
    entries = {entry.link.rsplit("/", 1)[1]: html.unescape(entry.description) for entry in parsed.entries}
    papers = real_papers()
    renamed, shared, gone = (entries[str(papers[n]["arxiv_id"])] for n in range(3))

    links = dict((label, path) for path, label in approval_links(renamed))
    assert "<strong>Section:</strong> Activation Steering</p>" in renamed and "Suggested for" not in renamed
    assert [label for label in links if label.startswith("Approve (")] == ["Approve (Activation Steering)"]
    async with site.client.post(links["Approve (Activation Steering)"]) as done:
        assert "approved into Activation Steering" in await done.text()
    assert str(papers[0]["arxiv_id"]) in in_section(await listed(site), "Activation Steering")

    links = dict((label, path) for path, label in approval_links(shared))
    assert f"Suggested for {SHARING};" in shared and "Section:</strong> Probing (Papers), Probing (2024)<" in shared
    assert [label for label in links if label.startswith("Approve (")] == [
        "Approve (Probing (Papers))",
        "Approve (Probing (2024))",
    ]
    async with site.client.post(links["Approve (Probing (2024))"]) as done:
        assert "approved into Probing (2024)" in html.unescape(await done.text())
    assert str(papers[1]["arxiv_id"]) in in_2024_block(await listed(site))

    assert "Suggested for Attention (not a section of the list);" in gone and "Section:" not in gone
    assert not [label for _, label in approval_links(gone) if label.startswith("Approve (")]
    assert site.status_of(ids["Attention"]) == "pending"


@pytest.mark.asyncio
async def test_the_review_page_offers_each_suggestion_as_the_list_has_it_now(
    site: Site, data_dir: Path, tmp_path: Path
) -> None:
    ids = suggested_for(site, data_dir, tmp_path)
    _, csrf = await sign_in(site)
    page = html.unescape(await review(site))
    quick = {
        name: re.findall(r'name="section" value="([^"]+)" class="approve quick', card(page, ids[name])) for name in ids
    }
    assert quick == {
        "Steering": ["Activation Steering"],
        "Probing": ["Probing (Papers)", "Probing (2024)"],
        "Attention": [],
    }
    assert f"Suggested for {SHARING}: approve it into the one it belongs in." in card(page, ids["Probing"])
    assert 'class="approve quick shared"' in card(page, ids["Probing"])
    gone = "Suggested for Attention (not a section of the list): choose a section to approve it into."
    assert gone in card(page, ids["Attention"])
    assert "Suggested for" not in card(page, ids["Steering"])

    form = {"csrf": csrf, "candidate_id": str(ids["Probing"]), "action": "approve", "section": "Probing (2024)"}
    assert "approved into Probing (2024)" in html.unescape(await post(site, form))
    form = {**form, "candidate_id": str(ids["Steering"]), "section": "Activation Steering"}
    assert "approved into Activation Steering" in await post(site, form)
    markdown = await listed(site)
    assert str(real_papers()[1]["arxiv_id"]) in in_2024_block(markdown)
    assert str(real_papers()[0]["arxiv_id"]) in in_section(markdown, "Activation Steering")


@pytest.mark.asyncio
async def test_the_weekly_worth_a_look_names_each_suggestion_as_the_list_has_it_now(
    site: Site, data_dir: Path, tmp_path: Path
) -> None:
    papers = real_papers()
    worth_a_look(site, data_dir, tmp_path, ["Steering", "Probing", "Attention"])
    worth = between(printed_markdown(site), "## Worth a look", "## The week in numbers")
    assert "suggested for *Activation Steering*" in worth
    assert "suggested for *Probing (2 sections have this name: Probing (Papers), Probing (2024))*" in worth
    assert "suggested for *Attention (not a section of the list)*" in worth
    assert worth.count("No one-click link (no one section of the list is it now)") == 1  # Attention; Probing: each
    shared = r"\[Approve into Probing \(Papers\)\]\(\S+\) · \[Approve into Probing \(2024\)\]\(\S+\)"
    assert re.search(shared, worth), worth
    link = re.search(r"\[Approve into Activation Steering\]\((\S+)\)", worth)
    assert link is not None, worth
    async with site.client.post(link.group(1).removeprefix(site.settings.web.base_url)) as done:
        assert "approved into Activation Steering" in await done.text()
    assert str(papers[0]["arxiv_id"]) in in_section(await listed(site), "Activation Steering")
