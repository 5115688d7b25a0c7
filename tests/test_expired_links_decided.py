"""An approval link opened after it expired, for a paper decided meanwhile: the page says how the paper stands, and
sends the maintainer neither to a command that would overrule that decision nor to a feed that no longer has it.
Real SQLite, the web app on loopback, the weekly email through aiosmtpd."""

from __future__ import annotations

from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest

from digest.config.invocation import same_invocation
from digest.review.rules import Actor
from tests.second_tier import APPROVE_LINE, SECOND, between, email_parts, insert_tiers, site, weekly_email
from tests.web_pages import candidate_feed_links
from tests.web_server import Site

__all__ = ["site"]  # the fixture: the web app with the weekly email at an SMTP port the test serves


@pytest.mark.asyncio
async def test_an_expired_email_link_for_a_paper_rejected_since_says_so_and_offers_no_command_to_overrule_it(
    site: Site,
) -> None:
    """A maintainer opened a "Worth a look" link from a three-week-old email; ann had rejected the paper in Discord
    meanwhile. The page said "to approve it still, run `digest approve <id> --section ...` on the server": a command
    that overrules ann's rejection, offered as if the paper still waited. Expected: the page says the paper was
    already rejected by ann, names the command that changes that decision on purpose, and changes nothing."""
    _, second = insert_tiers(site)
    text, _ = email_parts(weekly_email(site))
    approve = APPROVE_LINE.search(between(text, "== Worth a look ==", "== The week in numbers =="))
    assert approve is not None
    await site.reviewer.decide_async(second, "reject", Actor("ann", "1001", "discord"))
    rejected_at = site.clock.now.strftime("%Y-%m-%d %H:%M")
    site.clock.advance(timedelta(days=site.settings.web.approval_link_days + 7))
    address = urlsplit(approve.group(2))
    async with site.client.get(f"{address.path}?{address.query}") as reply:
        status, page = reply.status, unescape(await reply.text())
    assert status == 403 and "Link refused: expired" in page, page
    assert f"arXiv:{SECOND['arxiv_id']} was already rejected by ann via discord on {rejected_at} UTC" in page, page
    assert "nothing was changed" in page and f"`{same_invocation(site.settings)} approve {second}`" in page, page
    assert "to approve it still" not in page and f"digest approve {SECOND['arxiv_id']} --section" not in page, page
    assert site.status_of(second) == "rejected"


@pytest.mark.asyncio
async def test_an_expired_feed_link_for_a_paper_approved_since_says_so_not_to_take_a_fresh_one(site: Site) -> None:
    """A maintainer opened an old feed item's Reject link; the paper had been approved in Discord since. The page said
    "This link has expired. Take a fresh one from the candidates feed", which no longer lists the paper (it is
    decided). Expected: the page says it was approved, and by whom; nothing is changed."""
    first, _ = insert_tiers(site)
    reject = next(path for path, label in await candidate_feed_links(site) if label == "Reject")
    await site.reviewer.decide_async(first, "approve", Actor("ann", "1001", "discord"), "Probing")
    site.clock.advance(timedelta(days=site.settings.web.approval_link_days + 7))
    async with site.client.get(reject) as reply:
        status, page = reply.status, unescape(await reply.text())
    assert status == 403 and "Link refused: expired" in page, page
    assert "was already approved into Probing by ann via discord on " in page, page
    assert "Take a fresh one" not in page and f"`{same_invocation(site.settings)} reject {first}`" in page, page
    assert site.status_of(first) == "approved"
