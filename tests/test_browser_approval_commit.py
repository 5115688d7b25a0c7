"""An approval link pressed in real Chromium, with the service publishing to a real git repository on disk: what the
maintainer sees after is the paper on the list page and a commit naming the paper, its section and the link's
channel, with nothing of the link's token in the commit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from digest.review.signing import ApprovalLink, sign_link
from tests.chromium import CHROMIUM
from tests.factories import insert_candidate, real_papers
from tests.git_remote import Remote, make_remote
from tests.publishing import site_publishing_to
from tests.web_server import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest_asyncio.fixture
async def publishing(tmp_path: Path) -> AsyncIterator[tuple[Site, Remote]]:
    remote = make_remote(tmp_path)
    async with site_publishing_to(remote, tmp_path / "data") as site:
        yield site, remote


@pytest.mark.asyncio
async def test_an_emailed_approval_link_pressed_shows_the_paper_listed_and_commits_it(
    publishing: tuple[Site, Remote], browser: Any
) -> None:
    site, remote = publishing
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper, suggested_sections=["Steering"])
    token = sign_link(
        site.secret_key(),
        ApprovalLink(candidate_id, "approve", "Steering", site.clock() + timedelta(days=1), str(paper["arxiv_id"])),
    )
    commits = len(remote.commits())
    context = await browser.new_context(base_url=site.base)
    page = await context.new_page()
    await page.goto(f"/approve/{token}?via=email")
    await page.get_by_role("button", name="Approve into Steering").click()
    await page.wait_for_selector("text=Done: approved into Steering by email approval link on")
    await page.get_by_role("link", name="See the list").click()
    assert str(paper["title"]) in await page.locator("main").inner_text()

    for _ in range(100):
        if len(remote.commits()) > commits:
            break
        await asyncio.sleep(0.1)
    message = remote.message_of_head()
    assert message.startswith(f"Add 1 paper: {paper['title']} (Steering)"), message
    assert f"https://arxiv.org/abs/{paper['arxiv_id']} (by email approval link)" in message, message
    assert f"https://arxiv.org/abs/{paper['arxiv_id']}" in remote.readme()
    assert token.split(".")[1] not in message and token.split(".")[0] not in remote.diff_of_head()
    await context.close()
