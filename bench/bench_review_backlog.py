"""What /review costs as the queue grows: one page's worth of pending candidates (200) against a month away (1,000)
and a year ignored (2,400, about 6.5 a day), on the same list of 12 sections. The page shows the best 200 whatever the
backlog (an "Older" link to the rest, "N pending; the best 200 are shown"), so its bytes and first paint hold. Measured
in one run: served bytes, the processor time of the quickest of five loads (this process serves them), and Chromium's
first contentful paint after the response's start, median of five; printed as ratios to 200. Before the unfiltered
queue was counted in SQL (every pending row was read to count it), the server's time was 1.24x at 1,000 and 1.62x at
2,400 (48, 60, 78 ms); after, about 1.0x (52, 55, 51 ms). Bytes 731 KB and first paint 150-210 ms at each.

Usage: .venv/bin/python bench/bench_review_backlog.py
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright  # noqa: E402

from bench.bench_review_weight import fill  # noqa: E402  (this folder: the same list and candidates)
from tests.browser_review import open_review  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.web_server import Site, running_site, sign_in, site_settings  # noqa: E402

BACKLOGS = (200, 1000, 2400)
LOADS = 5
FIRST_PAINT = (
    "(() => { const n = performance.getEntriesByType('navigation')[0];"
    " const p = performance.getEntriesByName('first-contentful-paint')[0];"
    " return p ? p.startTime - n.responseStart : -1; })()"
)


async def server_figures(site: Site, backlog: int) -> tuple[int, float]:
    """Served bytes of /review and the processor time (s) of the quickest of LOADS loads."""
    times = []
    for _ in range(LOADS):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            async with site.client.get("/review") as reply:
                page = await reply.read()
            times.append(time.process_time() - start)
        finally:
            gc.enable()
        assert reply.status == 200 and page.count(b'<article class="candidate') == min(200, backlog), reply.status
    return len(page), min(times)


async def first_paint(browser: Any, site: Site) -> float:
    """The median time (ms) from the response's start to Chromium's first contentful paint of /review."""
    page = await open_review(browser, site)
    times = []
    for _ in range(LOADS):
        await page.goto("/review", wait_until="load")
        times.append(await page.evaluate(FIRST_PAINT))
    await page.context.close()
    return float(statistics.median(times))


async def weigh(browser: Any, backlog: int) -> tuple[int, float, float]:
    with tempfile.TemporaryDirectory() as folder:
        async with running_site(site_settings(Path(folder))) as site:
            fill(site, backlog)
            await sign_in(site)
            served, seconds = await server_figures(site, backlog)
            return served, seconds, await first_paint(browser, site)


async def measure() -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            figures = {backlog: await weigh(browser, backlog) for backlog in BACKLOGS}
        finally:
            await browser.close()
    base_bytes, base_seconds, base_paint = figures[BACKLOGS[0]]
    print("/review with pending candidates waiting (the page shows 200), list of 12 sections, one run:")
    for backlog, (served, seconds, paint) in figures.items():
        print(
            f"  {backlog:>5,} pending: {served:>9,} bytes ({served / base_bytes:4.2f}x)"
            f"  server {seconds * 1000:6.1f} ms ({seconds / base_seconds:4.2f}x)"
            f"  first paint {paint:6.1f} ms ({paint / max(base_paint, 0.1):4.2f}x)"
        )


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    asyncio.run(measure())
