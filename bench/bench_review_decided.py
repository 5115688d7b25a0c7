"""How long /review?status=approved takes with a full page of decided cards, each naming its section as the list
calls it now (review.queries.section_now), beside the same page of pending cards. A ratio measured in one run: 200
cards on a list of 80 sections. When each decided card resolved its section by itself (reading every section twice a
card), the decided page took 7.1x the pending one (662 ms to 93); when each fresh decision asked the database twice
whether its card may offer Undo (400 queries a page), 2.14x (132 ms to 62). The figure to hold is near 1.

Usage: .venv/bin/python bench/bench_review_decided.py
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_review_page import CARDS, SECTIONS, quickest_load, sections_settings  # noqa: E402  (the same page, set up alike)
from digest.review.rules import Actor  # noqa: E402
from tests.factories import insert_candidate, real_papers  # noqa: E402
from tests.web_server import running_site, sign_in  # noqa: E402


async def page_seconds(data_dir: Path, decided: bool) -> float:
    """The processor time of the quickest of five loads of the page: CARDS candidates on a list of SECTIONS sections,
    pending or (`decided`) approved into a section each."""
    async with running_site(sections_settings(data_dir)) as site:
        papers = real_papers()
        ada = Actor(name="ada", id=None, channel="cli")
        for index in range(CARDS):
            section = f"Topic number {index % SECTIONS} of the field"
            record = {**papers[index % len(papers)], "arxiv_id": f"2501.{index:05d}", "title": f"Paper 2501.{index}"}
            candidate_id = insert_candidate(site.database, record, suggested_section=section)
            if decided:
                site.reviewer.decide(candidate_id, "approve", ada, section)
        await sign_in(site)
        return await quickest_load(site, {"status": "approved" if decided else "pending"}, 'id="candidate-')


async def measure() -> None:
    with tempfile.TemporaryDirectory() as folder:
        pending = await page_seconds(Path(folder) / "pending", decided=False)
        decided = await page_seconds(Path(folder) / "decided", decided=True)
    print(f"/review, {CARDS} cards on a list of {SECTIONS} sections, processor time of the quickest of five loads:")
    print(f"  pending cards : {pending * 1000:7.1f} ms")
    print(f"  approved cards: {decided * 1000:7.1f} ms   ratio {decided / pending:.2f}x (near 1)")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    asyncio.run(measure())
