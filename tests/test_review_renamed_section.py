"""An approved card on /review after its section was renamed in the list: it names the section as the list does now."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from digest.awesome import store as liststore
from digest.review.rules import Actor
from digest.review.signing import ApprovalLink, sign_link
from tests.factories import insert_candidate, real_papers
from tests.test_review_page import card, review
from tests.web_server import SECRETS_ENV, Site, sign_in


@pytest.mark.asyncio
@pytest.mark.parametrize("new_name", ["Sparse Autoencoders (SAEs)", "Dictionary Learning"])
async def test_an_approved_card_names_its_section_as_renamed_in_the_list(site: Site, new_name: str) -> None:
    """A paper approved into Sparse Autoencoder, then the heading renamed in list.md and imported: the card still read
    "approved into Sparse Autoencoder", a section the list no longer has. Expected: the list's name now."""
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper)
    site.reviewer.decide(candidate_id, "approve", Actor(name="ada", id=None, channel="cli"), "Sparse Autoencoder")
    markdown = site.settings.list_markdown_path.read_text(encoding="utf-8")
    edited, count = re.subn(r"(?m)^(#+ .*)Sparse Autoencoder$", rf"\g<1>{new_name}", markdown)
    assert count == 1
    with site.database.transaction() as session:
        liststore.import_markdown(session, edited.encode("utf-8"), source="list.md")
    await sign_in(site)
    shown = card(await review(site, status="approved"), candidate_id)
    assert f"approved into {new_name} by ada" in shown, shown


@pytest.mark.asyncio
async def test_an_approval_link_of_a_paper_approved_since_names_its_section_as_renamed(site: Site) -> None:
    """An approval link opened after the paper was approved into Sparse Autoencoder and that heading was renamed: the
    page said "already approved into Sparse Autoencoder", a section the list no longer has. Expected: the new name."""
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper)
    link = ApprovalLink(candidate_id, "approve", None, site.clock() + timedelta(days=3), paper["arxiv_id"])
    site.reviewer.decide(candidate_id, "approve", Actor(name="ada", id=None, channel="cli"), "Sparse Autoencoder")
    markdown = site.settings.list_markdown_path.read_text(encoding="utf-8")
    edited, count = re.subn(r"(?m)^(#+ .*)Sparse Autoencoder$", r"\g<1>Dictionary Learning", markdown)
    assert count == 1
    with site.database.transaction() as session:
        liststore.import_markdown(session, edited.encode("utf-8"), source="list.md")
    async with site.client.get("/approve/" + sign_link(SECRETS_ENV["DIGEST_SECRET_KEY"], link)) as reply:
        page = await reply.text()
    assert reply.status == 200
    assert "already approved into Dictionary Learning by ada" in page, page
