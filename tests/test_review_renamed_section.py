"""An approved card on /review after its section was renamed in the list: it names the section as the list does now."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from digest.awesome import store as liststore
from digest.review.rules import Actor
from digest.review.signing import ApprovalLink, sign_link
from tests.factories import insert_candidate, real_papers
from tests.list_edits import moved
from tests.sql_statements import statements_sent
from tests.web_pages import card, review
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


@pytest.mark.asyncio
async def test_a_page_of_approved_cards_reads_the_sections_a_few_times_however_many_cards(site: Site) -> None:
    """/review?status=approved named each card's section as the list does now by reading every section two or three
    times a card: 600 reads for a page of 200 (662 ms where the pending page took 93, bench/bench_review_decided.py).
    Expected: the same names, read a few times a page."""
    ada = Actor(name="ada", id=None, channel="cli")
    papers = real_papers()
    ids = []
    for number in range(30):
        record = {**papers[number % len(papers)], "arxiv_id": f"2601.{number:05d}", "title": f"Paper {number}"}
        ids.append(insert_candidate(site.database, record))
        site.reviewer.decide(ids[-1], "approve", ada, "Sparse Autoencoder" if number % 2 else "Steering")
    markdown = site.settings.list_markdown_path.read_text(encoding="utf-8")
    edited, count = re.subn(r"(?m)^(#+ .*)Sparse Autoencoder$", r"\g<1>Dictionary Learning", markdown)
    assert count == 1
    with site.database.transaction() as session:
        liststore.import_markdown(session, edited.encode("utf-8"), source="list.md")
    await sign_in(site)
    with statements_sent(site.database) as statements:
        page = await review(site, status="approved")
    reads = [statement for statement in statements if re.search(r"\bFROM sections\b", statement)]
    for number, candidate_id in enumerate(ids):
        named = "Dictionary Learning" if number % 2 else "Steering"
        assert f"approved into {named} by ada" in card(page, candidate_id)
    assert statements  # the page's statements were counted: none would make the bound hold
    assert len(reads) <= 6, len(reads)


@pytest.mark.asyncio
async def test_an_approved_card_names_the_section_a_maintainer_moved_the_paper_to_by_hand(site: Site) -> None:
    """A paper approved into Steering, then its entry moved by hand to Probing (the list edited and imported, no
    heading renamed): the card still read "approved into Steering", where `digest candidates` and its Discord message
    say Probing. Expected: the section the list holds it in now (where_now.approved_where_now)."""
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper)
    site.reviewer.decide(candidate_id, "approve", Actor(name="ada", id=None, channel="cli"), "Steering")
    edited = moved(paper["arxiv_id"], "Probing")(site.settings.list_markdown_path.read_text(encoding="utf-8"))
    with site.database.transaction() as session:
        liststore.import_markdown(session, edited.encode("utf-8"), source="list.md")
    await sign_in(site)
    shown = card(await review(site, status="approved"), candidate_id)
    assert "approved into Probing by ada" in shown, shown
