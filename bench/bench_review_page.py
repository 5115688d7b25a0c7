"""How long /review takes to come back on a list of many sections: the page a maintainer reloads after every
decision. A ratio measured in one run: the same 200 cards suggesting sections named as the headings name them, and
named another way (as a rule's hint or an older heading may name them), which the one-click buttons must match too.
Before suggestions were matched once per page (not once per card and suggestion), the second took 2.3-2.4x the
first; the figure to hold is about 1.0.

Usage: .venv/bin/python bench/bench_review_page.py
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.config import Settings  # noqa: E402
from tests.factories import insert_candidate, real_papers  # noqa: E402
from tests.web_server import Site, running_site, sign_in, site_settings  # noqa: E402

CARDS = 200  # a full page (review_filters.MAX_BATCH)
SECTIONS = 80


async def page_seconds(data_dir: Path, loosely: bool) -> float:
    """The processor time of the quickest of five loads of /review (served by this process: the machine's other work
    counts not): CARDS candidates on a list of SECTIONS sections, each suggesting three of them by their headings or
    (`loosely`) in the plural and lower case."""
    async with running_site(sections_settings(data_dir)) as site:
        papers = real_papers()
        for index in range(CARDS):
            heading = "topic number {} of the fields" if loosely else "Topic number {} of the field"
            suggested = [heading.format((index * step) % SECTIONS) for step in (1, 3, 7)]
            record = {**papers[index % len(papers)], "arxiv_id": f"2501.{index:05d}"}
            insert_candidate(site.database, record, suggested_section=suggested[0], suggested_sections=suggested)
        await sign_in(site)
        return await quickest_load(site, {}, 'class="approve quick"')


def sections_settings(data_dir: Path) -> Settings:
    """A new data folder whose own list (`seed_list`, as the README's "Your own list" has it) is SECTIONS sections
    ("Topic number N of the field"), one paper each: its database and list.md hold that list from the first start.
    (Imported into the database alone, list.md kept the bundled list, and the first decision's write logged that the
    file "held 52 papers the database does not", as for a database restored from a backup.)"""
    seed = data_dir.parent / f"{data_dir.name}-list.md"
    seed.write_text(
        "# Awesome\n\n"
        + "".join(
            f"## Topic number {i} of the field\n\n- [Paper {i}](https://arxiv.org/abs/2401.{i:05d}), 2024.\n\n"
            for i in range(SECTIONS)
        ),
        encoding="utf-8",
    )
    return site_settings(data_dir, f'seed_list = "{seed}"\n')


async def quickest_load(site: Site, params: dict[str, str], per_card: str) -> float:
    """The processor time of the quickest of five loads of /review with `params`, its page holding `per_card` once a
    card at least (CARDS of them)."""
    times = []
    for _ in range(5):
        gc.collect()  # a collection of the garbage the set-up left would land in one load or another
        gc.disable()
        try:
            start = time.process_time()
            async with site.client.get("/review", params=params) as reply:
                page = await reply.text()
            times.append(time.process_time() - start)
        finally:
            gc.enable()
        assert reply.status == 200 and page.count(per_card) >= CARDS, page.count(per_card)
    return min(times)


async def measure() -> None:
    with tempfile.TemporaryDirectory() as folder:
        exactly = await page_seconds(Path(folder) / "exactly", loosely=False)
        loosely = await page_seconds(Path(folder) / "loosely", loosely=True)
    print(f"/review, {CARDS} cards on a list of {SECTIONS} sections, processor time of the quickest of five loads:")
    print(f"  suggestions named as the headings: {exactly * 1000:7.1f} ms")
    print(f"  suggestions named another way    : {loosely * 1000:7.1f} ms   ratio {loosely / exactly:.2f}x (about 1.0)")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    asyncio.run(measure())
