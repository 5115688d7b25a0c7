"""The review page for a maintainer with a keyboard and a screen reader, on a 360 px phone in real Chromium: after a
decision the page's title (read out as the page loads, unlike a status line already on it) says what was done."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_review import add_candidates, open_review
from tests.chromium import CHROMIUM
from tests.web_server import Site

PHONE = {"width": 360, "height": 740}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Chromium at /usr/bin/chromium: run `apt-get install chromium` to enable them",
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("javascript", [True, False])
async def test_a_decision_by_keyboard_is_said_in_the_page_title(site: Site, browser: Any, javascript: bool) -> None:
    first, second, _ = add_candidates(site)
    page = await open_review(browser, site, PHONE, ready="article.candidate", java_script_enabled=javascript)
    title = site.settings.list_title
    assert await page.title() == f"Review · {title}"
    await page.locator(f"#candidate-{first}").get_by_role("button", name="Sparse Autoencoder").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#undo")
    said = await page.title()
    assert said.startswith(await page.locator("p.notice").inner_text()) and said.endswith(f" · Review · {title}")
    assert "approved into Sparse Autoencoder." in said and "Undo" not in said
    assert await page.evaluate("document.activeElement.id") == f"candidate-{second}"  # at the next card to decide
    await page.locator("#undo").get_by_role("button", name="Undo").focus()
    await page.keyboard.press(" ")
    await page.wait_for_url("**undone=*")
    assert (await page.title()).startswith("Undone: ") and site.status_of(first) == "pending"
    await page.context.close()
