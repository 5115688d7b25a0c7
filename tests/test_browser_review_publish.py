"""/review in real Chromium while the list's repository refuses the service's pushes: what a maintainer who approves
there is told (the decision is kept, and it is not in the repository yet, and the service's own `digest ... publish
--status` to see where it stands)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from digest.config.invocation import same_invocation
from digest.publish import runner as runner_module
from digest.publish.store import read_status
from digest.review.signing import ApprovalLink, sign_link
from tests.browser_review import open_review
from tests.chromium import CHROMIUM
from tests.factories import insert_candidate, real_papers
from tests.git_remote import TYPO_NEW, TYPO_OLD, Remote, make_remote
from tests.publishing import site_publishing_to
from tests.web_server import SECRETS_ENV, Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest_asyncio.fixture
async def publishing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Site, Remote]]:
    """The web app with the service's publishing to a bare repository whose pre-receive hook refuses every push, as
    a protected branch does (held, it looks whether the branch moved every 0.3 s)."""
    monkeypatch.setattr(runner_module, "HELD_CHECK_SECONDS", 0.3)
    remote = make_remote(tmp_path)
    hook = remote.bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2; exit 1\n")
    hook.chmod(0o755)
    async with site_publishing_to(remote, tmp_path / "data") as site:
        yield site, remote


async def refused(site: Site) -> None:
    for _ in range(200):
        if read_status(site.database, site.settings.templates_dir).last_error:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the push was never refused")


@pytest.mark.asyncio
async def test_an_approval_the_repository_refuses_is_said_on_the_review_page(
    publishing: tuple[Site, Remote], browser: Any
) -> None:
    """A maintainer approved on /review; the push to the list's repository was refused (a protected branch). The page
    said 'approved into Steering' then and on every load after, for days: the paper was not in the repository, and
    only /healthz, the log and `digest publish --status` said why. Now the page says it, and that nothing is lost."""
    site, remote = publishing
    paper = real_papers()[0]
    first = insert_candidate(site.database, paper, suggested_sections=["Steering"])
    insert_candidate(site.database, real_papers()[1], suggested_sections=["Steering"])
    page = await open_review(browser, site)
    assert await page.locator("#publishing").count() == 0  # all well: nothing said
    await page.locator(f"#candidate-{first}").get_by_role("button", name="Steering").click()
    await page.wait_for_selector("#undo")
    await refused(site)
    await page.reload()
    assert await page.locator("#publishing").count() == 1, "the page says nothing of the refused push"
    notice = await page.locator("#publishing").inner_text()
    assert "not in the list's repository yet" in notice.lower(), notice
    assert "Protected branch update failed" in notice
    assert "1 decision waits" in notice and "kept" in notice
    # The command it names is the service's own (the bare `digest publish --status` read ./data of a shell elsewhere).
    assert await page.locator("#publishing code").inner_text() == same_invocation(site.settings, "publish", "--status")
    assert str(paper["arxiv_id"]) not in remote.readme()

    (remote.bare / "hooks" / "pre-receive").unlink()  # the maintainers let the service push, and the branch moves
    remote.push_edit(TYPO_OLD, TYPO_NEW)
    for _ in range(200):
        if str(paper["arxiv_id"]) in remote.readme():
            break
        await asyncio.sleep(0.1)
    # The push lands first, then the service records the decision published: a load between the two still saw it wait.
    for _ in range(50):
        await page.reload()
        if await page.locator("#publishing").count() == 0:
            break
        await asyncio.sleep(0.1)
    assert await page.locator("#publishing").count() == 0  # published: nothing more to say
    assert str(paper["arxiv_id"]) in remote.readme()
    await page.context.close()


@pytest.mark.asyncio
async def test_an_approval_by_a_feed_link_is_told_the_repository_refuses_too(
    publishing: tuple[Site, Remote], browser: Any
) -> None:
    """The same, through an approval link of the private feed or the maintainers' email: its 'Done: approved into
    Steering' page said nothing of the pushes the repository refused since the morning."""
    site, _ = publishing
    first = insert_candidate(site.database, real_papers()[0], suggested_sections=["Steering"])
    second = insert_candidate(site.database, real_papers()[1], suggested_sections=["Steering"])
    page = await open_review(browser, site)
    await page.locator(f"#candidate-{first}").get_by_role("button", name="Steering").click()
    await page.wait_for_selector("#undo")
    await refused(site)
    expires = site.clock() + timedelta(days=1)
    link = ApprovalLink(second, "approve", "Steering", expires, str(real_papers()[1]["arxiv_id"]))
    await page.goto("/approve/" + sign_link(SECRETS_ENV["DIGEST_SECRET_KEY"], link))
    await page.get_by_role("button", name="Approve into Steering").click()
    await page.wait_for_selector("text=Done: approved into Steering")
    assert await page.locator("#publishing").count() == 1, "the page says nothing of the refused push"
    notice = await page.locator("#publishing").inner_text()
    assert "Protected branch update failed" in notice and "2 decisions wait" in notice, notice
    assert await page.locator("#publishing code").inner_text() == same_invocation(site.settings, "publish", "--status")
    await page.context.close()
