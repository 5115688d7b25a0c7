"""The review page shows the code link an approval publishes. A paper's arXiv comment ("Code: https://github.com/...")
gives its list entry a [Code] link (or a star badge linking there); the Discord message, the approval link's page and
the private feed showed it, but the review page left it out, so a maintainer approving there published a link, chosen
by whoever wrote the paper's comment, that the page never showed."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.review.rules import Actor
from tests.fake_discord import FakeDiscord
from tests.hostile_paper import PAPER, polled_site
from tests.web_server import sign_in

CODE = "https://github.com/evil/x"  # what tests.hostile_paper's comment names as the paper's code


@pytest.mark.asyncio
async def test_the_review_page_shows_the_code_link_an_approval_publishes(tmp_path: Path, fake: FakeDiscord) -> None:
    async with polled_site(tmp_path, fake) as polled:
        site = polled.site
        await sign_in(site)
        async with site.client.get("/review") as reply:
            page = await reply.text()
        outcome = site.reviewer.decide(polled.candidate.id, "approve", Actor("ann", None, "web"), "Sparse Autoencoder")
        assert outcome.changed
        markdown = site.settings.list_markdown_path.read_text(encoding="utf-8")
    (entry,) = [line for line in markdown.split("\n+ ") if f"abs/{PAPER}" in line]
    assert f"]({CODE})" in entry, entry  # the list links the paper's code
    assert f'<a href="{CODE}">code</a>' in page  # and the page the maintainer approved on showed that link
