"""/review in real Chromium for maintainers with tokens of their own (DIGEST_ADMIN_TOKENS): what each one's browsers
may undo."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.chromium import CHROMIUM
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.web_pages import ALICE, BOB, NAMED_ENV
from tests.web_server import Site, running_site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with running_site(make_settings(tmp_path / "data", environ=dict(NAMED_ENV))) as running:
        yield running


async def signed_in(browser: Any, site: Site, token: str, path: str = "/review") -> Any:
    """A browser of its own (a laptop, a phone) signed in with `token`, at `path`."""
    context = await browser.new_context(base_url=site.base)
    page = await context.new_page()
    await page.goto(path)
    await page.get_by_label("Admin token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector("#count")
    return page


@pytest.mark.asyncio
async def test_a_maintainer_may_undo_their_own_decision_from_another_browser(site: Site, browser: Any) -> None:
    """Alice approved on her laptop, then opened /review on her phone (signed in as alice) to take it back: no Undo
    there, and pressing the laptop's Undo after signing in again said 'Not undone: only your own decision ... can be
    undone here' of her own decision. A named token is one maintainer: Undo follows the name, not the browser."""
    candidate = insert_candidate(site.database, real_papers()[0], suggested_sections=["Steering"])
    laptop = await signed_in(browser, site, ALICE)
    await laptop.locator(f"#candidate-{candidate}").get_by_role("button", name="Steering").click()
    await laptop.wait_for_selector("#undo")

    bob = await signed_in(browser, site, BOB, "/review?status=approved")
    assert await bob.locator(f"#candidate-{candidate}").get_by_role("button", name="Undo").count() == 0

    phone = await signed_in(browser, site, ALICE, "/review?status=approved")
    card = phone.locator(f"#candidate-{candidate}")
    assert await card.get_by_role("button", name="Undo").count() == 1, "alice's own decision offers no Undo"
    await card.get_by_role("button", name="Undo").click()
    await phone.wait_for_selector("text=is pending again")
    assert site.status_of(candidate) == "pending"
    for page in (laptop, bob, phone):
        await page.context.close()
