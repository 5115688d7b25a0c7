"""The commands the pages quote for doing a decision by hand: a section name with shell characters in them still
names that section when the maintainer pastes the command. Through the web app on loopback (tests/web_server.py)."""

from __future__ import annotations

import re
import shlex
from collections.abc import AsyncIterator
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
import pytest_asyncio

from digest.config.invocation import same_invocation
from digest.review.signing import EMAILED, ApprovalLink, sign_link
from tests.factories import insert_candidate, real_papers
from tests.web_server import Site, running_site, site_settings

SECTION = 'Tools & "Demos" ($5 budget)'


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(site_settings(tmp_path / "data")) as running:
        yield running


@pytest.mark.asyncio
async def test_an_expired_emailed_link_quotes_a_command_whose_section_survives_the_shell(site: Site) -> None:
    """An emailed link expired for a section whose heading holds quotes and a `$`: the page said to run
    `digest approve ID --section "Tools & "Demos" ($5 budget)"`, which a shell splits at the inner quotes and
    empties `$5` in, so the command named no section of the list. Expected: the words a shell reads back are
    exactly the command's, the section whole."""
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper)
    expired = site.clock() - timedelta(days=1)
    token = sign_link(
        site.secret_key(),
        ApprovalLink(candidate_id, "approve", SECTION, expired, paper["arxiv_id"]),
    )
    async with site.client.get(f"/approve/{token}{EMAILED}") as reply:
        assert reply.status == 403
        page = unescape(await reply.text())
    command = re.search(r"run `([^`]+)` on the server", page)
    assert command is not None, page
    wanted = [*shlex.split(same_invocation(site.settings)), "approve", paper["arxiv_id"], "--section", SECTION]
    assert shlex.split(command.group(1)) == wanted
