"""The approval links in "Worth a look" of the maintainers' weekly email: each page a link opens when the paper, its
section, the list or the key changed since (expired, renamed, taken out, forgotten, put in by hand) says how to approve
the paper still, and changes nothing it should not. Real SQLite, the web app on loopback, aiosmtpd."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape as html_unescape
from urllib.parse import urlsplit

import pytest

from digest.config.invocation import same_invocation
from digest.review.signing import approval_signer
from digest.weekly.issue import week_of
from digest.weekly.store import send_week
from tests.factories import insert_candidate
from tests.second_tier import (
    APPROVE_LINE,
    FIRST,
    SECOND,
    SECTION,
    WHY,
    between,
    email_parts,
    insert_tiers,
    site,
    weekly_email,
)
from tests.smtp_server import Inbox, smtp_server
from tests.web_server import Site

__all__ = ["site"]  # the fixture: the web app with the weekly email at an SMTP port the test serves


@pytest.mark.asyncio
async def test_an_expired_email_link_for_a_paper_worth_a_look_says_how_to_approve_it_still(site: Site) -> None:
    """A maintainer opened a "Worth a look" approval link from a three-week-old email: the page said "This link has
    expired. Take a fresh one from the candidates feed or use the review page", and a second-tier paper is on
    neither (only the email lists it), so the advice led nowhere. Expected: the page names the command that still
    approves it, and sends nobody to the feed; nothing is changed."""
    _, second = insert_tiers(site)
    text, _ = email_parts(weekly_email(site))
    approve = APPROVE_LINE.search(between(text, "== Worth a look ==", "== The week in numbers =="))
    assert approve is not None
    address = urlsplit(approve.group(2))
    site.clock.advance(timedelta(days=site.settings.web.approval_link_days + 1))
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        status, page = reply.status, await reply.text()
    assert status == 403 and "Link refused: expired" in page, page
    command = f"{same_invocation(site.settings)} approve {SECOND['arxiv_id']} --section "
    assert command + f"&#34;{SECTION}&#34;" in page or command + f"&quot;{SECTION}&quot;" in page, page
    assert "candidates feed" not in page, page
    assert site.status_of(second) == "pending"


@pytest.mark.asyncio
async def test_an_email_link_whose_section_is_gone_says_how_to_approve_a_paper_worth_a_look(site: Site) -> None:
    """A maintainer renamed the heading a "Worth a look" paper was suggested for, then opened its link from the weekly
    email: the page said the list has no such section now and to 'Approve it into a section of the list on the review
    page', which does not show a second-tier paper (only the email lists it), so the advice led nowhere. Expected: the
    page names the command that approves it into a section of the list; no button, nothing changed."""
    from tests.web_pages import rename_headings

    _, second = insert_tiers(site)
    text, _ = email_parts(weekly_email(site))
    approve = APPROVE_LINE.search(between(text, "== Worth a look ==", "== The week in numbers =="))
    assert approve is not None
    rename_headings(site, {SECTION: "Dictionary Learning"})
    address = urlsplit(approve.group(2))
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        status, page = reply.status, html_unescape(await reply.text())
    assert status == 200 and f"the list has no section “{SECTION}” now" in page, page
    assert '<form method="post"' not in page
    assert f"{same_invocation(site.settings)} approve {SECOND['arxiv_id']} --section NAME" in page, page
    assert 'on <a href="/review">the review page</a>' not in page, page
    assert site.status_of(second) == "pending"


@pytest.mark.asyncio
async def test_a_paper_worth_a_look_the_email_has_no_link_for_says_how_to_approve_it(site: Site) -> None:
    """A paper worth a look suggested for no section of the list (none, or a heading taken out since it was found)
    gets no one-click link, as an approval into it would fail: the email listed it with nothing to act on, and the
    review page does not show it, so the maintainer had no way from the email to approve it. Expected: both parts
    name the command that approves it into a section of the list."""
    now = site.clock()
    for record, section in ((FIRST, None), (SECOND, "Dictionary Learning")):
        seen = {"first_seen_at": now, "updated_at": now, "why": WHY.to_json(), "suggested_section": section}
        insert_candidate(site.database, record, score=0.93, relevant=False, **seen)
    text, html = email_parts(weekly_email(site))
    worth_text = between(text, "== Worth a look ==", "== The week in numbers ==")
    worth_html = between(html, "Worth a look</h2>", "The week in numbers</h2>")
    assert "/approve/" not in worth_text + worth_html
    for record in (FIRST, SECOND):
        command = f"{same_invocation(site.settings)} approve {record['arxiv_id']} --section NAME"
        assert command in worth_text, worth_text
        assert command in worth_html, worth_html
    assert "work until" not in worth_text  # no link, no expiry to speak of


@pytest.mark.asyncio
async def test_a_paper_worth_a_look_suggested_for_a_renamed_section_gets_its_link_into_the_new_name(site: Site) -> None:
    """A maintainer renamed the heading a paper worth a look was suggested for ("Sparse Autoencoder" to "Sparse
    Autoencoder Features") before the week's email: the email gave it no approval link, as if the list had no such
    section, though an approval into the old name goes into the renamed heading (as a feed link's does). Expected:
    the link, named by the heading as the list has it now, approves into it."""
    from tests.web_pages import rename_headings

    _, second = insert_tiers(site)
    renamed = f"{SECTION} Features"
    rename_headings(site, {SECTION: renamed})
    text, _ = email_parts(weekly_email(site))
    approve = APPROVE_LINE.search(between(text, "== Worth a look ==", "== The week in numbers =="))
    assert approve is not None, text
    assert approve.group(1) == renamed
    address = urlsplit(approve.group(2))
    async with site.client.post(f"{address.path}?{address.query}") as reply:
        assert reply.status == 200, await reply.text()
    assert site.status_of(second) == "approved"
    async with site.client.get("/list.md") as reply:
        assert SECOND["arxiv_id"] in between(await reply.text(), f"{renamed}\n", "\n### ")


@pytest.mark.asyncio
async def test_an_email_link_to_a_paper_worth_a_look_forgotten_since_says_how_to_add_it(site: Site) -> None:
    """Approval links made to last 90 days ([web] approval_link_days), a paper worth a look left alone: the poll
    forgets such a paper 8 weeks after it was found, and its link, still valid, opened a page saying 'This candidate
    is no longer in the database.' with a way back to the review page, where it never was. Expected: the page says
    the paper is no longer a candidate and names the command that adds it still; nothing is changed."""
    from digest.arxiv.candidates import SECOND_TIER_KEPT, forget_old_second_tier

    insert_tiers(site)
    web = site.settings.web.model_copy(update={"approval_link_days": 90})
    inbox = Inbox()
    with smtp_server(inbox, site.settings.smtp.port):
        week = week_of(site.clock(), site.settings.tz)
        settings = site.settings.model_copy(update={"web": web})
        assert send_week(settings, site.database, week, site.clock(), edition="maintainers").status == "sent"
    text, _ = email_parts(inbox.messages[0])
    approve = APPROVE_LINE.search(between(text, "== Worth a look ==", "== The week in numbers =="))
    assert approve is not None
    site.clock.advance(SECOND_TIER_KEPT + timedelta(days=7))
    with site.database.transaction() as session:
        assert forget_old_second_tier(session, site.clock()) == 1
    address = urlsplit(approve.group(2))
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        status, page = reply.status, html_unescape(await reply.text())
    assert status == 404, page
    assert f'{same_invocation(site.settings)} add {SECOND["arxiv_id"]} --section "{SECTION}"' in page, page
    assert "no longer in the database" not in page


@pytest.mark.asyncio
async def test_a_paper_worth_a_look_a_maintainer_put_in_the_list_by_hand_is_said_so_and_its_link_records_it(
    site: Site,
) -> None:
    """A maintainer wrote a paper worth a look into the list's Steering section by hand during the week: the email
    still offered 'Approve into Sparse Autoencoder' (its suggestion), and the link's page could only refuse ('the
    paper is in the list already'), nothing in the email having said so. Expected: as the review page does, the
    email says where the list holds it, and its link approves it into that section, recording the decision."""
    from digest.awesome import store as liststore

    _, second = insert_tiers(site)
    with site.database.transaction() as session:
        markdown = liststore.render_markdown(session, site.settings.templates_dir)
        line = f"+ [{SECOND['title']}](https://arxiv.org/abs/{SECOND['arxiv_id']}) (Apr. 11, 2025)\n\n"
        at = markdown.index("\n+ ", next(m.start() for m in re.finditer(r"^#+ .*Steering", markdown, re.M))) + 1
        liststore.import_markdown(session, (markdown[:at] + line + markdown[at:]).encode(), source="edited")
    text, html = email_parts(weekly_email(site))
    worth = between(text, "== Worth a look ==", "== The week in numbers ==")
    assert "already in the list (Steering)" in worth, worth
    approve = APPROVE_LINE.search(worth)
    assert approve is not None and approve.group(1) == "Steering", worth
    assert "already in the list (Steering)" in between(html, "Worth a look</h2>", "The week in numbers</h2>")
    address = urlsplit(approve.group(2))
    async with site.client.post(f"{address.path}?{address.query}") as reply:
        assert reply.status == 200, await reply.text()
    assert site.status_of(second) == "approved"
    async with site.client.get("/list.md") as reply:
        assert (await reply.text()).count(f"arxiv.org/abs/{SECOND['arxiv_id']}") == 1


@pytest.mark.asyncio
async def test_an_email_link_made_before_the_key_changed_says_how_to_approve_a_paper_worth_a_look(site: Site) -> None:
    """DIGEST_SECRET_KEY changed after the weekly email went out (README: that ends every link sent): a maintainer
    opening last week's "Worth a look" link was told to "take a fresh one from the candidates feed or use the review
    page", neither of which shows a second-tier paper, so the advice led nowhere. Expected: the page says where such
    a paper is still listed and decided (`digest candidates --second-tier`, `digest approve`, each as the service is
    run); nothing is changed."""
    _, second = insert_tiers(site)
    expires = site.clock() + timedelta(days=site.settings.web.approval_link_days)
    sign = approval_signer(
        site.settings.web.base_url, "the-key-before-it-changed", second, SECOND["arxiv_id"], expires, emailed=True
    )
    address = urlsplit(sign("approve", SECTION))
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        status, page = reply.status, await reply.text()
    assert status == 403 and "Link refused: forged" in page, page
    assert "candidates feed" not in page, page
    digest = same_invocation(site.settings)
    assert f"{digest} candidates --second-tier" in page and f"{digest} approve ARXIV_ID" in page, page
    assert site.status_of(second) == "pending"


@pytest.mark.asyncio
async def test_an_email_link_whose_section_left_the_list_says_how_to_approve_a_paper_worth_a_look(site: Site) -> None:
    """A maintainer renamed the heading a "Worth a look" link approves into (Sparse Autoencoder to Dictionary
    Learning) after the weekly email went out: the link's page said to approve the paper into a section of the list
    on the review page, which shows no second-tier paper, so the advice led nowhere. Expected: the page names the
    command that approves it into a section; no button, nothing changed."""
    from tests.web_pages import rename_headings

    _, second = insert_tiers(site)
    text, _ = email_parts(weekly_email(site))
    approve = APPROVE_LINE.search(between(text, "== Worth a look ==", "== The week in numbers =="))
    assert approve is not None
    address = urlsplit(approve.group(2))
    rename_headings(site, {SECTION: "Dictionary Learning"})
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        status, page = reply.status, await reply.text()
    assert status == 200 and f"the list has no section “{SECTION}” now" in page, page
    assert 'on <a href="/review">the review page</a>' not in page, page
    assert f"{same_invocation(site.settings)} approve {SECOND['arxiv_id']} --section NAME" in page, page
    assert '<form method="post"' not in page and site.status_of(second) == "pending"
