"""How heavy /review is after a conference deadline: 300 candidates waiting on a list of 12 sections (the page shows
200, the first 20 in full and 180 folded to a line), in served bytes, elements and `<option>`s, and the time from
the response's end to Chromium's load event, as a ratio to a page of the 20 full cards alone, measured in one run.
Before each abstract was carried once and the folded cards lost their own list of sections: 1,159,138 bytes, 9,413
elements and 2,429 options (after: 731,327, 6,593 and 269); the load ratio is noisy when shared (20x, then 15-17x).
The cards' empty filters fields and their quick buttons' titles (repeating the button's text) went next: 693,858
bytes and 6,193 elements.

Usage: .venv/bin/python bench/bench_review_weight.py
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright  # noqa: E402

from digest.awesome import store as liststore  # noqa: E402
from tests.browser_review import open_review  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.factories import insert_candidate, real_papers  # noqa: E402
from tests.web_server import Site, running_site, sign_in, site_settings  # noqa: E402

SECTIONS = [f"Topic {number} of the field" for number in range(12)]
LOADS = 7
LOAD_TIME = "(t => t.loadEventEnd - t.responseEnd)(performance.getEntriesByType('navigation')[0])"


def fill(site: Site, count: int) -> None:
    """A list of the SECTIONS, one paper each, and `count` candidates of real papers each suggesting three."""
    markdown = "# Awesome\n\n" + "".join(
        f"## {name}\n\n- [Paper {i}](https://arxiv.org/abs/2401.{i:05d}), 2024.\n\n" for i, name in enumerate(SECTIONS)
    )
    with site.database.transaction() as session:
        liststore.import_markdown(session, markdown.encode(), source="list.md")
    papers = real_papers()
    for index in range(count):
        record = {**papers[index % len(papers)], "arxiv_id": f"2501.{index:05d}"}
        suggested = [SECTIONS[(index * step) % len(SECTIONS)] for step in (1, 5, 7)]
        insert_candidate(site.database, record, score=2 - index / 1000, suggested_sections=suggested)


async def weigh(browser: Any, count: int) -> dict[str, float]:
    """Served bytes, elements, options and the median load time (ms) of /review with `count` candidates waiting."""
    with tempfile.TemporaryDirectory() as folder:
        async with running_site(site_settings(Path(folder))) as site:
            fill(site, count)
            await sign_in(site)
            async with site.client.get("/review") as reply:
                served = len(await reply.read())
            page = await open_review(browser, site)
            times = []
            for _ in range(LOADS):
                await page.goto("/review", wait_until="load")
                times.append(await page.evaluate(LOAD_TIME))
            elements = await page.evaluate("document.getElementsByTagName('*').length")
            options = await page.evaluate("document.getElementsByTagName('option').length")
            await page.context.close()
    return {"bytes": served, "elements": elements, "options": options, "load": statistics.median(times)}


async def measure() -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            short = await weigh(browser, 20)
            long = await weigh(browser, 300)
        finally:
            await browser.close()
    print(f"/review on a list of {len(SECTIONS)} sections, median of {LOADS} loads in Chromium:")
    for name, figures in (("20 candidates (all in full)", short), ("300 candidates (200 shown)", long)):
        print(
            f"  {name:28}: {figures['bytes']:>9,.0f} bytes {figures['elements']:>6,.0f} elements "
            f"{figures['options']:>5,.0f} options, load {figures['load']:6.1f} ms after the response"
        )
    print(f"  load ratio 300/20: {long['load'] / max(short['load'], 0.1):.2f}x")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    asyncio.run(measure())
