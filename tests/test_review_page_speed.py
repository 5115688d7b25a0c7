"""How long /review takes to come back on a list of many sections: the page a maintainer reloads after every
decision. A ratio measured in one run (the same 200 cards suggesting sections by their headings, and named as a rule's
hint or an older heading may name them), as the benchmarks do."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest

from digest.awesome import store as liststore
from tests.factories import insert_candidate, real_papers
from tests.web_server import running_site, sign_in, site_settings

CARDS = 200  # a full page (review_filters.MAX_BATCH)
SECTIONS = 80


async def page_seconds(data_dir: Path, loosely: bool) -> float:
    """The processor time of the quickest of five loads of /review (served by this process: the machine's other work
    counts not): CARDS candidates on a list of SECTIONS sections, each suggesting three of them by their headings or
    (`loosely`) in the plural and lower case."""
    async with running_site(site_settings(data_dir)) as site:
        markdown = "# Awesome\n\n" + "".join(
            f"## Topic number {i} of the field\n\n- [Paper {i}](https://arxiv.org/abs/2401.{i:05d}), 2024.\n\n"
            for i in range(SECTIONS)
        )
        with site.database.transaction() as session:
            liststore.import_markdown(session, markdown.encode(), source="list.md")
        papers = real_papers()
        for index in range(CARDS):
            heading = "topic number {} of the fields" if loosely else "Topic number {} of the field"
            suggested = [heading.format((index * step) % SECTIONS) for step in (1, 3, 7)]
            record = {**papers[index % len(papers)], "arxiv_id": f"2501.{index:05d}"}
            insert_candidate(site.database, record, suggested_section=suggested[0], suggested_sections=suggested)
        await sign_in(site)
        times = []
        for _ in range(5):
            gc.collect()  # a collection of the garbage the set-up left would land in one load or another
            gc.disable()
            try:
                start = time.process_time()
                async with site.client.get("/review") as reply:
                    page = await reply.text()
                times.append(time.process_time() - start)
            finally:
                gc.enable()
            assert reply.status == 200 and page.count('class="approve quick"') >= CARDS
        return min(times)


@pytest.mark.asyncio
async def test_the_review_page_of_a_list_of_many_sections_comes_back_quickly(tmp_path: Path) -> None:
    """Since the one-click buttons find a suggestion as any section name is found, every card's every suggestion was
    matched anew against every section of the list each time the page loaded: on a list of 80 sections a full page
    of suggestions named another way ("topic number 7 of the fields") took several times as long to come back after
    each decision as the same page suggesting the sections by their headings, and over a second on a longer list."""
    exactly = await page_seconds(tmp_path / "exactly", loosely=False)
    loosely = await page_seconds(tmp_path / "loosely", loosely=True)
    assert loosely < 1.5 * exactly, (round(exactly, 3), round(loosely, 3))
