"""Two backfills over one data folder (`digest backfill` started again in a second terminal, or by cron while one
runs): the second refuses in one line naming the running one and asks arXiv nothing. Real recorded API pages on a
loopback arXiv, the real command in its own processes, a real SQLite file."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.arxiv_server import ARXIV_DATA, ArxivServer, Reply
from tests.backfilling import start_backfill
from tests.processes import Started

PAGE = ARXIV_DATA / "api" / "api_new_arxiv.py_q_testing_s0_m10_bc5a6c384fe9_http200.xml"


@pytest.mark.asyncio
async def test_a_second_backfill_refuses_while_one_reads(tmp_path: Path, started: Started) -> None:
    """Both ran: the second read the same saved place and asked arXiv for every page the first was asking for, 3 s
    apart behind it (each page twice), and each said 'backfill done' with only part of the papers counted."""
    answer = asyncio.Event()
    body = PAGE.read_bytes().replace(b"<opensearch:totalResults>214881<", b"<opensearch:totalResults>10<")
    async with ArxivServer() as arxiv:
        url = arxiv.program(
            "/api/query", Reply(body=body, content_type="application/atom+xml", before_answer=answer.wait)
        )
        config = tmp_path / "config.toml"
        config.write_text(
            f'[arxiv]\nsources = ["http://127.0.0.1:9/rss/cs.CL"]\napi_url = "{url}"\nmin_interval_seconds = 0\n',
            encoding="utf-8",
        )
        first, first_log = await start_backfill(started, tmp_path, config, "first")
        deadline = time.monotonic() + 120
        while not arxiv.requests_to("/api/query"):
            assert first.returncode is None, first_log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the first backfill did not ask arXiv"
            await asyncio.sleep(0.1)
        second, second_log = await start_backfill(started, tmp_path, config, "second")
        try:  # the refusal comes at once; a second backfill would wait its turn behind the first's request
            status: int | None = await asyncio.wait_for(asyncio.shield(second.wait()), 30)
        except TimeoutError:
            status = None
        answer.set()
        assert await asyncio.wait_for(first.wait(), 120) == 0, first_log.read_text(encoding="utf-8")
        await asyncio.wait_for(second.wait(), 120)
        asked = len(arxiv.requests_to("/api/query"))
    said = [line for line in second_log.read_text(encoding="utf-8").splitlines() if "INFO" not in line]
    assert (status, asked) == (1, 1), said
    assert len(said) == 1, said
    assert "digest backfill (pid " in said[0] and "is reading arXiv for this data folder" in said[0], said
    assert said[0].endswith("nothing was asked: wait for it to end, or stop it and run this again to go on"), said
    assert "backfill done: 10 papers read" in first_log.read_text(encoding="utf-8")
