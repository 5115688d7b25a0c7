"""Approval links and review cards after the list changed since: sections renamed or named twice, and papers
listed by hand, neither copied nor offered an approval that cannot go through."""

from __future__ import annotations

import html
import re

import pytest

from digest.config.invocation import same_invocation
from tests.factories import insert_candidate, real_papers
from tests.web_pages import candidate_feed_links, rename_headings
from tests.web_server import Site, sign_in


@pytest.mark.asyncio
async def test_an_approval_links_page_names_the_section_its_button_approves_into_today(site: Site) -> None:
    """A link made before a heading was renamed: its page asked 'Approve into Steering?' and the button approved into
    'Activation Steering'; one whose section was renamed out of reach offered the button, then answered 409."""
    candidate_id = insert_candidate(site.database, real_papers()[0])
    links = dict((label, path) for path, label in await candidate_feed_links(site))
    rename_headings(site, {"Steering": "Activation Steering", "Probing": "Linear Classifiers"})
    async with site.client.get(links["Approve into Steering"]) as page:
        text = await page.text()
    assert "Approve into Activation Steering?" in text and "Approve into Steering" not in text
    async with site.client.get(links["Approve into Probing"]) as page:
        assert page.status == 200
        text = await page.text()
    assert "the list has no section “Probing” now" in text and '<form method="post"' not in text
    assert 'href="/review"' in text and site.status_of(candidate_id) == "pending"
    async with site.client.post(links["Approve into Steering"]) as done:
        assert "approved into Activation Steering" in await done.text()


@pytest.mark.asyncio
async def test_a_link_into_a_name_the_list_now_gives_two_headings_says_so_not_that_it_was_taken_out(site: Site) -> None:
    """A maintainer renamed Steering to Probing after the feed gave out "Approve into Probing": its page said the list
    has no section "Probing" now, "renamed or taken out of the list since this link was made", where it has two and
    pressing on would be refused for that. The page says what the refusal says, and offers no button."""
    candidate_id = insert_candidate(site.database, real_papers()[0])
    links = dict((label, path) for path, label in await candidate_feed_links(site))
    rename_headings(site, {"Steering": "Probing"})
    async with site.client.post(links["Approve into Probing"]) as refused:
        assert refused.status == 409
        said = html.unescape(await refused.text())
    found = re.search(r"the list has 2 sections named 'Probing': name one of [^<]*", said)
    assert found is not None, said
    async with site.client.get(links["Approve into Probing"]) as response:
        assert response.status == 200
        page = html.unescape(await response.text())
    assert found.group(0) in page and "renamed or taken out" not in page and "no section" not in page
    assert '<form method="post"' not in page and 'href="/review"' in page
    assert site.status_of(candidate_id) == "pending"


def _link_sent_before(site: Site, candidate_id: int, arxiv_id: str) -> str:
    """The feed's "Approve (Sparse Autoencoder)" link as the feed made it before the paper was put in the list by hand
    (the feed offers only the sections holding it since): the path a reader still holds."""
    from digest.review.signing import approval_signer
    from digest.web.private_feed import links_expiry
    from tests.web_server import SECRETS_ENV

    expires = links_expiry(site.clock(), site.settings.web.approval_link_days)
    sign = approval_signer(site.base, SECRETS_ENV["DIGEST_SECRET_KEY"], candidate_id, arxiv_id, expires)
    return sign("approve", "Sparse Autoencoder").removeprefix(site.base)


@pytest.mark.asyncio
@pytest.mark.parametrize("where", ["feed link", "review page"])
async def test_a_paper_listed_by_hand_since_it_was_found_is_not_copied_by_a_link_or_the_review_page(
    site: Site, where: str
) -> None:
    """A maintainer put a candidate's paper into Probing by hand (a list edited in git and pulled). Its feed link
    "Approve (Sparse Autoencoder)" and the review page's Approve (its suggested section chosen already) both added a
    second entry of it in silence, where `digest approve` refuses: both say where it is now and change nothing."""
    listed = "2402.17304"  # an entry of the bundled list, in Probing
    candidate_id = insert_candidate(site.database, {**real_papers()[0], "arxiv_id": listed})
    if where == "feed link":
        path = _link_sent_before(site, candidate_id, listed)
        async with site.client.post(path) as reply:
            status, page = reply.status, html.unescape(await reply.text())
    else:
        _, csrf = await sign_in(site)
        form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": "approve", "section": "Sparse Autoencoder"}
        async with site.client.post("/review/decide", data=form) as reply:
            status, page = reply.status, html.unescape(await reply.text())
    assert status == 409, page
    assert f"{listed} is already in the list (Probing)" in page and "nothing was changed" in page
    assert f'{same_invocation(site.settings)} approve {candidate_id} --section "Sparse Autoencoder"' in page
    async with site.client.get("/list.md") as listing:
        markdown = await listing.text()
    assert sum(line.startswith("+ ") and listed in line for line in markdown.splitlines()) == 1
    assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
async def test_the_page_of_a_link_for_a_paper_listed_by_hand_since_says_where_it_is_and_offers_no_approve(
    site: Site,
) -> None:
    """A maintainer put a candidate's paper into Probing by hand. The page of its feed link "Approve (Sparse
    Autoencoder)" still offered the button, and only pressing it said the paper was in the list already. The page
    says so up front, in the words the button's refusal uses, and offers no button; its Reject link still rejects."""
    listed = "2402.17304"  # an entry of the bundled list, in Probing
    candidate_id = insert_candidate(site.database, {**real_papers()[0], "arxiv_id": listed})
    links = {label: path for path, label in await candidate_feed_links(site)}
    async with site.client.get(_link_sent_before(site, candidate_id, listed)) as response:
        assert response.status == 200
        page = html.unescape(await response.text())
    assert f"{listed} is already in the list (Probing), put there since it was found; nothing was changed" in page
    assert f'{same_invocation(site.settings)} approve {candidate_id} --section "Sparse Autoencoder"' in page
    assert '<form method="post"' not in page and "Approve into Sparse Autoencoder" not in page
    assert 'href="/review"' in page
    async with site.client.get(links["Reject"]) as response:
        page = await response.text()
    assert '<button type="submit" class="reject">Reject</button>' in page
    async with site.client.post(links["Reject"]) as done:
        assert done.status == 200 and "rejected" in await done.text()
    assert site.status_of(candidate_id) == "rejected"


@pytest.mark.asyncio
async def test_the_review_card_of_a_paper_listed_by_hand_since_says_where_it_is(site: Site) -> None:
    """A maintainer put a candidate's paper into Probing by hand. Its card on /review offered "Approve into Sparse
    Autoencoder" like any other, and only the refusal after pressing said where the list holds the paper. The card
    says so up front; a candidate the list does not hold has no such line."""
    listed = "2402.17304"  # an entry of the bundled list, in Probing
    candidate_id = insert_candidate(site.database, {**real_papers()[0], "arxiv_id": listed})
    other_id = insert_candidate(site.database, real_papers()[1])
    await sign_in(site)
    async with site.client.get("/review") as response:
        assert response.status == 200
        page = html.unescape(await response.text())
    cards = {int(found[0]): found[1] for found in re.findall(r'id="candidate-(\d+)"(.*?)</article>', page, re.S)}
    said = f"{listed} is already in the list (Probing), put there since it was found"
    command = f"{same_invocation(site.settings)} approve {candidate_id} --section NAME"  # as the service is run
    assert said in cards[candidate_id] and command in cards[candidate_id]
    assert "already in the list" not in cards[other_id]


@pytest.mark.asyncio
async def test_the_review_card_of_a_paper_listed_by_hand_since_offers_only_the_approval_that_goes_through(
    site: Site,
) -> None:
    """A maintainer put a candidate's paper into Probing by hand. Its card still offered "Approve into Sparse
    Autoencoder" (its suggestion) and every section of the list, each refused when pressed. The card offers what
    goes through: approving it into Probing (recorded, the maintainer's entry kept as the one entry), or Reject."""
    listed = "2402.17304"  # an entry of the bundled list, in Probing
    candidate_id = insert_candidate(site.database, {**real_papers()[0], "arxiv_id": listed})
    other_id = insert_candidate(site.database, real_papers()[1])
    _, csrf = await sign_in(site)
    async with site.client.get("/review") as response:
        assert response.status == 200
        page = html.unescape(await response.text())
    cards = {int(found[0]): found[1] for found in re.findall(r'id="candidate-(\d+)"(.*?)</article>', page, re.S)}
    quick = re.findall(r'<button type="submit" name="section" value="([^"]*)"', cards[candidate_id])
    options = re.findall(r'<option value="([^"]*)"', cards[candidate_id])
    assert quick == ["Probing"] and options == ["Probing"], (quick, options)
    assert "Approve into Sparse Autoencoder" not in cards[candidate_id]
    assert len(re.findall(r'<option value="', cards[other_id])) > 1  # a card the list does not hold offers each
    form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": "approve", "section": "Probing"}
    async with site.client.post("/review/decide", data=form) as reply:
        assert reply.status == 200, await reply.text()
    assert site.status_of(candidate_id) == "approved"
    async with site.client.get("/list.md") as listing:
        markdown = await listing.text()
    assert sum(line.startswith("+ ") and listed in line for line in markdown.splitlines()) == 1


@pytest.mark.asyncio
async def test_the_feed_item_of_a_paper_listed_by_hand_since_says_where_it_is_and_offers_only_what_goes_through(
    site: Site,
) -> None:
    """A maintainer put a candidate's paper into Probing by hand. The review page and the weekly email say so, and
    offer only the approval into Probing; its item in the private feed still led with "Approve (Sparse Autoencoder)"
    and a link into every section of the list, each opening a page that cannot approve, and said nothing of where the
    paper is. The item says where the list holds it and offers Approve into Probing (recorded, no second entry) and
    Reject; an item the list does not hold keeps every section."""
    from xml.etree import ElementTree

    from tests.web_pages import FEED_TOKEN
    from tests.web_server import approval_links

    listed = "2402.17304"  # an entry of the bundled list, in Probing
    candidate_id = insert_candidate(site.database, {**real_papers()[0], "arxiv_id": listed}, score=0.9)
    insert_candidate(site.database, real_papers()[1], score=0.5)
    async with site.client.get("/feeds/candidates.xml", params={"token": FEED_TOKEN}) as response:
        assert response.status == 200
        items = ElementTree.fromstring(await response.text()).findall("./channel/item")
    held, other = (item.findtext("description") or "" for item in items)
    said = f"{listed} is already in the list (Probing), put there since it was found"
    assert said in html.unescape(held) and "<strong>Section:</strong> Probing</p>" in held, held
    assert [label for _, label in approval_links(held)] == ["Approve into Probing", "Reject"]
    assert "already in the list" not in other and len(approval_links(other)) > 3
    async with site.client.post(approval_links(held)[0][0]) as done:
        assert done.status == 200 and "approved into Probing" in await done.text()
    assert site.status_of(candidate_id) == "approved"
    async with site.client.get("/list.md") as listing:
        markdown = await listing.text()
    assert sum(line.startswith("+ ") and listed in line for line in markdown.splitlines()) == 1
