"""`digest run --once`, the poll of a first start, and a stop that comes during a scheduled poll."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from digest.cli import main
from digest.service.process import Service
from digest.storage.db import open_database
from digest.storage.models import Candidate
from digest.storage.state import PollRun
from tests.arxiv_server import ArxivServer, Reply
from tests.conftest import DATA_DIR, make_settings
from tests.feedbuild import build_rss, load_records
from tests.service_runs import (
    one_feed_config,
    poll_runs,
    wait_settled,
)


def test_run_once_polls_and_exits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def serve_and_run() -> int:
        async with ArxivServer() as arxiv:
            feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
            config = tmp_path / "config.toml"
            config.write_text(f'[arxiv]\nsources = ["{feed}"]\n', encoding="utf-8")
            args = ["--config", str(config), "--data-dir", str(tmp_path / "data"), "run", "--once"]
            return await asyncio.to_thread(main, args)

    assert asyncio.run(serve_and_run()) == 0
    settings = make_settings(tmp_path / "data")
    assert poll_runs(settings) == 1
    database = open_database(settings.database_url)
    with database.reading() as session:
        assert session.scalar(select(func.count(Candidate.id))) == 0  # the cs.CL papers are off topic
    database.dispose()


@pytest.mark.asyncio
async def test_stopping_lets_a_running_scheduled_poll_finish(tmp_path: Path) -> None:
    # Today's feed in New York: the same feed read again on a later announcement day would be arXiv running late.
    body = build_rss("cs.CL", load_records()[:3], datetime.now(ZoneInfo("America/New_York")).date())
    async with ArxivServer() as arxiv:
        feed = arxiv.program("/rss/cs.CL", Reply(body=body))
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        service = Service(settings)
        await service.start(serve_web=False)
        await wait_settled(service)  # the first-start poll is over
        arxiv.program("/rss/cs.CL", Reply(body=body, delay_seconds=1.5))  # arXiv is slow today
        assert service.scheduler is not None
        service.scheduler.modify_job("poll", next_run_time=datetime.now(UTC))  # the scheduled poll is due now
        for _ in range(100):
            if len(arxiv.requests_to("/rss/cs.CL")) == 2:
                break
            await asyncio.sleep(0.05)
        assert len(arxiv.requests_to("/rss/cs.CL")) == 2  # the scheduled poll is waiting for arXiv
        await service.stop()  # SIGTERM arrives mid-poll
    database = open_database(settings.database_url)
    with database.reading() as session:
        outcomes = [run.outcome for run in session.scalars(select(PollRun).order_by(PollRun.id))]
    database.dispose()
    assert outcomes == ["ok", "ok"]


@pytest.mark.asyncio
async def test_a_first_start_after_a_poll_of_a_saved_file_still_polls_arxiv(tmp_path: Path) -> None:
    """A new user tried the poll on a saved feed first (`digest poll --source FILE`), then started the service: it took
    that run for a poll of its own sources, did not poll on its first start as the README says, and the first papers
    came only with the next night's scheduled poll."""
    async with ArxivServer() as arxiv:
        settings = make_settings(tmp_path / "data", one_feed_config(arxiv))
        saved = DATA_DIR / "arxiv" / "rss" / "rss_cs.AI_2026-04-27_trimmed-3items.xml"
        shell = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(tmp_path / "data")]
        assert await asyncio.to_thread(main, [*shell, "poll", "--source", str(saved)]) == 0
        service = Service(settings)
        await service.start(serve_web=False)
        try:
            await wait_settled(service)
        finally:
            await service.stop()
        assert len(arxiv.requests_to("/rss/cs.CL")) == 1
    assert poll_runs(settings) == 2
