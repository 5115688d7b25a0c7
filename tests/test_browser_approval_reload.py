"""An approval link's "Done" page in real Chromium, reloaded: the reload shows where the candidate stands and decides
nothing (the button's POST answers with a redirect to the link's own page, Post/Redirect/Get)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from digest.review.rules import Actor
from digest.review.signing import ApprovalLink, sign_link
from digest.storage.models import Decision
from tests.chromium import CHROMIUM
from tests.factories import decision_actions, insert_candidate, real_papers
from tests.web_server import SECRETS_ENV, Site, running_site, site_settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data")) as running:
        yield running


async def approved_by_link(site: Site, browser: Any, via_email: bool = False) -> tuple[Any, int]:
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper, suggested_sections=["Steering"])
    link = ApprovalLink(candidate_id, "approve", "Steering", site.clock() + timedelta(days=1), str(paper["arxiv_id"]))
    context = await browser.new_context(base_url=site.base)
    page = await context.new_page()
    token = sign_link(SECRETS_ENV["DIGEST_SECRET_KEY"], link)
    await page.goto(f"/approve/{token}" + ("?via=email" if via_email else ""))
    await page.get_by_role("button", name="Approve into Steering").click()
    await page.wait_for_selector("text=Done: approved into Steering")
    assert site.status_of(candidate_id) == "approved"
    return page, candidate_id


@pytest.mark.asyncio
async def test_reloading_the_done_page_after_the_approval_was_taken_back_decides_nothing_again(
    site: Site, browser: Any
) -> None:
    """A maintainer approved from a feed link, then took it back (`digest pending`); reloading the tab that still
    showed "Done" sent the approval again and the paper was back in the list."""
    page, candidate_id = await approved_by_link(site, browser)
    site.reviewer.decide(candidate_id, "revert", Actor(name="maintainer", id=None, channel="cli"))
    assert site.status_of(candidate_id) == "pending"
    await page.reload()
    await page.wait_for_load_state()
    assert site.status_of(candidate_id) == "pending", "the reload approved the paper again"
    assert decision_actions(site.database, candidate_id) == ["approve", "revert"]
    assert await page.get_by_role("button", name="Approve into Steering").count() == 1  # where it stands: pending
    await page.context.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("via_email", [False, True], ids=["feed", "email"])
async def test_reloading_the_done_page_shows_the_decision_not_a_conflict(
    site: Site, browser: Any, via_email: bool
) -> None:
    """Without an undo, the reload posted again and answered 409 "Already approved": the maintainer saw an error for
    what had gone well. It shows the decision made, and records nothing more."""
    page, candidate_id = await approved_by_link(site, browser, via_email)
    reply = await page.reload()
    assert reply is not None and reply.status == 200
    text = await page.locator("main").inner_text()
    assert "Done: approved into Steering" in text and "Already" not in text, text
    assert decision_actions(site.database, candidate_id) == ["approve"]
    with site.database.reading() as session:
        channels = list(session.scalars(select(Decision.channel).where(Decision.candidate_id == candidate_id)))
    assert channels == ["email" if via_email else "feed"]
    await page.context.close()
