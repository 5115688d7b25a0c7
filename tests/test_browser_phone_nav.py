"""The header's links in real Chromium: on a 360 px phone each stays on one line (a link cut in two reads as two), and
on a phone or a desktop each is at least 24 px by 24 px, a target a finger or a shaky hand can hit."""

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


@pytest.mark.asyncio
@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 800}])
@pytest.mark.parametrize("address", ["/", "/suggest", "/review"])
async def test_the_header_links_are_targets_a_finger_can_hit(
    site: Site, browser: Any, viewport: dict[str, int], address: str
) -> None:
    context = await browser.new_context(base_url=site.base, viewport=viewport)
    page = await context.new_page()
    await page.goto(address)
    links = page.locator("header nav a")
    sizes = {await link.inner_text(): await link.bounding_box() for link in await links.all()}
    small = {
        name: (round(box["width"]), round(box["height"]))
        for name, box in sizes.items()
        if min(box["width"], box["height"]) < 24
    }
    assert len(sizes) == 5 and small == {}  # WCAG 2.5.8: 24 by 24 px at least
    sideways = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert sideways == 0
    await context.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 800}])
async def test_the_list_pages_section_links_are_targets_a_finger_can_hit(
    site: Site, browser: Any, viewport: dict[str, int]
) -> None:
    """The list page's "Sections" links were 19 px high, under WCAG 2.5.8's 24 px (the header's were made 30 px
    before): each is now as high as the header's, on a phone and a desktop, and nothing is wider than the window."""
    context = await browser.new_context(base_url=site.base, viewport=viewport)
    page = await context.new_page()
    await page.goto("/")
    links = await page.locator('nav[aria-label="Sections"] a').all()
    boxes = {await link.inner_text(): await link.bounding_box() for link in links}
    small = {name: (round(box["width"]), round(box["height"])) for name, box in boxes.items() if box["height"] < 24}
    assert len(boxes) > 5 and small == {}, boxes
    assert all(box["width"] >= 24 for box in boxes.values()), boxes
    sideways = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert sideways == 0
    await context.close()
