"""The header's links on a 360 px phone in real Chromium: each stays on one line (a link cut in two reads as two)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.chromium import CHROMIUM
from tests.web_server import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Chromium at /usr/bin/chromium: run `apt-get install chromium` to enable them",
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("address", ["/", "/suggest", "/review"])
async def test_the_header_links_on_a_phone_each_keep_to_one_line(site: Site, browser: Any, address: str) -> None:
    context = await browser.new_context(base_url=site.base, viewport={"width": 360, "height": 740})
    page = await context.new_page()
    await page.goto(address)
    cut = await page.evaluate(
        "[...document.querySelectorAll('header nav a')]"
        ".filter((link) => new Set([...link.getClientRects()].map((rect) => Math.round(rect.top))).size > 1)"
        ".map((link) => link.textContent)"
    )
    assert cut == []
    sideways = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert sideways == 0
    await context.close()
