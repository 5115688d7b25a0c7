"""A service started on a list of papers whose abstracts it does not know yet asks arXiv for them (50 IDs a request,
before its first poll, so that the model learns from them): the web answers meanwhile, and a start stopped halfway is
followed by one that asks only what is still unknown, against the loopback arXiv counting its requests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from digest.awesome import store as liststore
from digest.service.process import Service
from digest.service.wiring import open_service_database
from tests.arxiv_id_answers import IdListServer
from tests.conftest import DATA_DIR, make_settings
from tests.kept_model import with_kept_model
from tests.service_runs import wait_settled
from tests.smtp_server import free_port

CL = DATA_DIR / "arxiv" / "rss" / "rss_cs.CL_2026-04-27_trimmed-3items.xml"
LISTED = [f"2401.{10000 + number}" for number in range(200)]  # 4 requests of 50


@pytest.mark.asyncio
async def test_a_start_stopped_while_asking_for_the_lists_abstracts_is_followed_by_one_asking_only_the_rest(
    tmp_path: Path, kept_model: Path
) -> None:
    with_kept_model(tmp_path / "data", kept_model)
    port = free_port()
    arxiv = IdListServer(hold_after=2)
    async with arxiv:
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{CL}"]\nmin_interval_seconds = 0.01\ncontact = "maintainers@example.org"\n'
            f'api_url = "{arxiv.url("/api/query")}"\n[web]\nport = {port}\n',
        )
        database = open_service_database(settings)
        with database.transaction() as session:
            for number, arxiv_id in enumerate(LISTED):
                liststore.add_paper_entry(
                    session, section_name="Representation", title=f"A hand-added paper {number}", arxiv_id=arxiv_id,
                    url=f"https://arxiv.org/abs/{arxiv_id}", code_url=None, published=None, authors=[],
                    abstract=None, now=datetime(2026, 4, 1, tzinfo=UTC),
                )  # fmt: skip
        database.dispose()
        first = Service(settings)
        await first.start()
        try:
            await asyncio.wait_for(arxiv.holding.wait(), 30)  # the third request of the abstracts under way
            async with aiohttp.ClientSession() as client, client.get(f"http://127.0.0.1:{port}/") as page:
                assert page.status == 200
                assert "A hand-added paper 199" in await page.text()
            assert not first.settled.is_set()
        finally:
            stopping = asyncio.ensure_future(first.stop())
            await asyncio.sleep(0.2)
            arxiv.held.set()
            await stopping
        asked_first = [arxiv_id for asked in arxiv.asked for arxiv_id in asked]
        arxiv.asked.clear()
        second = Service(settings)
        await second.start()
        try:
            await wait_settled(second)
        finally:
            await second.stop()
    # The first start got answers for 150 (the third within the stop's grace); the second asks the rest, once.
    assert asked_first == LISTED[:150]
    assert arxiv.asked == [LISTED[150:]]
