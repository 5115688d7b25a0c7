"""One-click approval links on the web server on loopback: shown on GET, decided only on POST, and refused when
stale, forged, altered, expired or cut off, changing nothing — all through a real HTTP client."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from digest.config.invocation import same_invocation
from digest.review.rules import Actor
from digest.review.signing import ApprovalLink, sign_link
from digest.storage.models import Decision, Entry, Paper
from tests.factories import insert_candidate, real_papers
from tests.web_pages import candidate_feed_links, decisions_of
from tests.web_server import SECRETS_ENV, Site


@pytest.mark.asyncio
async def test_an_approval_link_shows_on_get_and_approves_only_on_post(site: Site) -> None:
    paper = real_papers()[2]
    candidate_id = insert_candidate(site.database, paper)
    path = next(path for path, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")

    for _ in range(2):  # a link scanner opening it, then the maintainer
        async with site.client.get(path) as page:
            assert page.status == 200
            text = await page.text()
        assert paper["title"] in text and '<form method="post"' in text
    assert site.status_of(candidate_id) == "pending"
    async with site.client.get("/list.md") as listing:
        assert listing.headers["Content-Type"] == "text/markdown; charset=utf-8"
        assert paper["arxiv_id"] not in await listing.text()

    async with site.client.post(path) as done:
        assert done.status == 200
        assert "approved into Sparse Autoencoder" in await done.text()
    assert site.status_of(candidate_id) == "approved"
    async with site.client.get("/list.md") as listing:
        assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in await listing.text()
    async with site.client.get("/") as page:
        assert paper["title"] in await page.text()

    # A second press (a double submit, a network retry) answers as the first did and decides nothing twice.
    async with site.client.post(path) as twice:
        assert twice.status == 200
        assert "Done: approved into Sparse Autoencoder by feed approval link on " in await twice.text()
    with site.database.reading() as session:
        decisions = session.execute(
            select(Decision.channel, Decision.applied).where(Decision.candidate_id == candidate_id)
        ).all()
        entries = session.scalar(select(func.count(Entry.id)).join(Paper).where(Paper.arxiv_id == paper["arxiv_id"]))
    assert [tuple(row) for row in decisions] == [("feed", True)]
    assert entries == 1


@pytest.mark.asyncio
async def test_the_page_after_an_approval_link_says_what_was_done_once(site: Site) -> None:
    """Pressing a private feed's approval link showed "2504.xxxxx: approved into ... on ... UTC" as the heading and
    "Done: approved into ... on ... UTC." under it, the same sentence twice. The heading names the paper now."""
    paper = real_papers()[2]
    insert_candidate(site.database, paper)
    path = next(path for path, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
    async with site.client.post(path) as done:
        body = (await done.text()).split("</head>", 1)[1]
    said = "approved into Sparse Autoencoder by feed approval link on "
    assert body.count(said) == 1 and f"Done: {said}" in body, body
    heading = body[body.index("<h1>") : body.index("</h1>")]
    assert paper["title"] in heading and said not in heading


@pytest.mark.asyncio
async def test_an_approval_link_pressed_after_another_sections_link_is_not_done(site: Site) -> None:
    """The same link pressed twice says "Done"; a link into another section, pressed after the paper was approved
    through one of the feed's links into Steering, said "Done" on its page too, as if it had approved it. It is
    refused, naming the decision that stands, and its page after the button does not claim it."""
    paper = real_papers()[2]
    candidate_id = insert_candidate(site.database, paper)
    links = await candidate_feed_links(site)
    mine = next(path for path, label in links if label == "Approve (Sparse Autoencoder)")
    steering = next(path for path, label in links if label == "Approve into Steering")
    async with site.client.post(steering) as done:
        assert done.status == 200 and "Done: approved into Steering by feed approval link on " in await done.text()

    async with site.client.post(mine) as refused:
        assert refused.status == 409
        text = await refused.text()
    assert "already approved into Steering by feed approval link on " in text
    text = html.unescape(text)
    # The command that makes what this link asked (not the `reject` that would take the paper out of the list).
    assert f'run `{same_invocation(site.settings)} approve {candidate_id} --section "Sparse Autoencoder"`' in text
    async with site.client.get(mine + "?done=1") as page:
        text = await page.text()
    assert "Done:" not in text and "already approved into Steering by feed approval link on " in text
    assert decisions_of(site, candidate_id) == [("approve", "feed", True)]


@pytest.mark.asyncio
async def test_an_approval_link_after_the_same_approval_from_the_command_line_names_who_made_it(site: Site) -> None:
    """A link and a command both decide with no one's id: the command's approval is not the link's press made twice."""
    paper = real_papers()[2]
    candidate_id = insert_candidate(site.database, paper)
    mine = next(path for path, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
    await site.reviewer.decide_async(candidate_id, "approve", Actor("bob", None, "cli"), "Sparse Autoencoder")
    async with site.client.post(mine) as refused:
        assert refused.status == 409
        assert "already approved into Sparse Autoencoder by bob via cli on " in await refused.text()
    assert decisions_of(site, candidate_id) == [("approve", "cli", True)]


@pytest.mark.asyncio
async def test_a_reject_link_and_an_approve_into_another_section(site: Site) -> None:
    first, second = real_papers()[3], real_papers()[4]
    first_id = insert_candidate(site.database, first, score=0.9)
    second_id = insert_candidate(site.database, second, score=0.5)
    links = await candidate_feed_links(site)
    reject_first = next(path for path, label in links if label == "Reject")
    steer_second = [path for path, label in links if label == "Approve into Steering"][1]
    async with site.client.post(reject_first) as done:
        assert "rejected" in await done.text()
    async with site.client.post(steer_second) as done:
        assert "approved into Steering" in await done.text()
    assert (site.status_of(first_id), site.status_of(second_id)) == ("rejected", "approved")


@pytest.mark.asyncio
async def test_a_stale_reject_link_cannot_overturn_an_approval_made_in_discord(site: Site) -> None:
    paper = real_papers()[3]
    candidate_id = insert_candidate(site.database, paper)
    reject = next(path for path, label in await candidate_feed_links(site) if label == "Reject")
    site.clock.advance(timedelta(hours=2))
    await site.reviewer.decide_async(candidate_id, "approve", Actor("ann", "1001", "discord"), "Probing")
    approved_at = site.clock.now.strftime("%Y-%m-%d %H:%M")

    async with site.client.get(reject) as page:
        assert page.status == 200
        text = await page.text()
    assert paper["title"] in text and "<h1>Already approved</h1>" in text
    assert f"already approved into Probing by ann via discord on {approved_at} UTC" in text
    assert "<form" not in text and "<button" not in text
    assert f"{same_invocation(site.settings)} reject {candidate_id}" in text

    async with site.client.post(reject) as refused:
        assert refused.status == 409
        text = await refused.text()
    assert (
        f"Candidate {candidate_id} was already approved into Probing by ann via discord on {approved_at} UTC; "
        f"approval links and the review page act only on pending candidates. To change the decision on purpose, run "
        f"`{same_invocation(site.settings)} reject {candidate_id}`."
    ) in text
    assert site.status_of(candidate_id) == "approved"
    assert decisions_of(site, candidate_id) == [("approve", "discord", True)]
    async with site.client.get("/list.md") as listing:
        assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in await listing.text()

    # Back to pending (the Discord reaction removed): the same link decides again.
    await site.reviewer.decide_async(candidate_id, "revert", Actor("ann", "1001", "discord"))
    async with site.client.post(reject) as done:
        assert done.status == 200 and "Done: rejected by feed approval link on " in await done.text()
    assert site.status_of(candidate_id) == "rejected"


@pytest.mark.asyncio
async def test_an_approve_link_on_a_candidate_rejected_from_the_cli_says_so_and_changes_nothing(site: Site) -> None:
    paper = real_papers()[4]
    candidate_id = insert_candidate(site.database, paper)
    approve = next(p for p, label in await candidate_feed_links(site) if label == "Approve (Sparse Autoencoder)")
    await site.reviewer.decide_async(candidate_id, "reject", Actor("bob", None, "cli"))

    async with site.client.get(approve) as page:
        text = await page.text()
    assert page.status == 200 and "already rejected by bob via cli on" in text and "<button" not in text
    async with site.client.post(approve) as refused:
        assert refused.status == 409
        text = await refused.text()
    assert "<h1>Already rejected</h1>" in text
    text = html.unescape(text)
    assert f'run `{same_invocation(site.settings)} approve {candidate_id} --section "Sparse Autoencoder"`.' in text
    assert site.status_of(candidate_id) == "rejected"
    assert decisions_of(site, candidate_id) == [("reject", "cli", True)]
    async with site.client.get("/list.md") as listing:
        assert paper["arxiv_id"] not in await listing.text()


@pytest.mark.asyncio
async def test_forged_altered_and_expired_links_are_refused_and_change_nothing(site: Site) -> None:
    candidate_id = insert_candidate(site.database, real_papers()[5])
    link = ApprovalLink(candidate_id, "approve", None, site.clock.now + timedelta(days=14))
    forged = "/approve/" + sign_link("not the service's key, but long enough", link)
    genuine = "/approve/" + sign_link(SECRETS_ENV["DIGEST_SECRET_KEY"], link)
    _, mac = genuine.removeprefix("/approve/").split(".")
    reject_payload = sign_link(
        SECRETS_ENV["DIGEST_SECRET_KEY"], ApprovalLink(candidate_id, "reject", None, link.expires_at)
    )
    altered = "/approve/" + reject_payload.split(".")[0] + "." + mac  # action swapped, signature kept
    cases = [(forged, "forged"), (altered, "altered"), ("/approve/garbage", "malformed")]
    for path, reason in cases:
        for method in ("GET", "POST"):
            async with site.client.request(method, path) as response:
                assert response.status == 403
                assert f"Link refused: {reason}" in await response.text()
    site.clock.advance(timedelta(days=14))
    for method in ("GET", "POST"):
        async with site.client.request(method, genuine) as response:
            assert response.status == 403
            assert "Link refused: expired" in await response.text()
    assert site.status_of(candidate_id) == "pending"
    with site.database.reading() as session:
        assert session.scalar(select(func.count(Decision.id))) == 0


@pytest.mark.asyncio
async def test_an_approval_link_cut_off_at_its_end_is_called_cut_off_not_changed(site: Site) -> None:
    """A maintainer copied a feed's approval link and lost its last characters (a wrapped line, a selection one short):
    the page said "This link was changed after it was made (its action, section or expiry was edited)", as if someone
    had tampered with it. Expected: every such link is refused as not valid, maybe cut off, and changes nothing."""
    candidate_id = insert_candidate(site.database, real_papers()[5])
    path = next(path for path, label in await candidate_feed_links(site) if label == "Reject")
    for cut in range(1, 8):
        for method in ("GET", "POST"):
            async with site.client.request(method, path[:-cut]) as response:
                page = await response.text()
            assert response.status == 403, cut
            assert "Link refused: malformed" in page and "cut off" in page, (cut, page)
            assert "changed after it was made" not in page
    assert site.status_of(candidate_id) == "pending"


@pytest.mark.asyncio
async def test_a_refused_approval_link_leads_to_the_review_page_it_names(site: Site) -> None:
    """A maintainer opened an approval link from a three-week-old email: the page said "This link has expired. Take a
    fresh one from the candidates feed or use the review page", and its one link, "Back to the list", led to the
    public list. Expected: the link leads to the review page, for every link refused."""
    candidate_id = insert_candidate(site.database, real_papers()[5])
    link = ApprovalLink(candidate_id, "approve", None, site.clock.now + timedelta(days=14))
    genuine = "/approve/" + sign_link(SECRETS_ENV["DIGEST_SECRET_KEY"], link)
    gone = "/approve/" + sign_link(
        SECRETS_ENV["DIGEST_SECRET_KEY"], ApprovalLink(999_999, "approve", None, link.expires_at + timedelta(days=30))
    )
    site.clock.advance(timedelta(days=21))
    for path in (genuine, "/approve/garbage", gone):
        async with site.client.get(path) as response:
            page = await response.text()
        assert response.status in (403, 404), path
        assert '<a href="/review">Back to the review page</a>' in page, page
