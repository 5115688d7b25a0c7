"""The later try of the day's poll: it polls again only after a broken answer, waits for a poll still running, and
does not take a poll of other sources from the shell for the day's poll."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.cli import main
from digest.service.process import Service
from digest.storage.db import open_database
from digest.storage.state import PollRun
from tests.arxiv_server import ArxivServer, Reply
from tests.conftest import DATA_DIR, make_settings


@pytest.mark.asyncio
async def test_the_later_try_polls_again_only_after_a_broken_answer(tmp_path: Path) -> None:
    async with ArxivServer() as arxiv:
        error_feed = (
            DATA_DIR / "arxiv" / "api" / "api_new_arxiv.py_id_abc_s0_m100_b79c8dcf6bc3_http400.xml"
        ).read_bytes()
        feed = arxiv.program("/rss/cs.CL", Reply(status=400, body=error_feed, content_type="application/atom+xml"))
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        try:
            await service.poll_now("schedule")  # arXiv answers with an error feed: broken
            await service.retry_poll_if_broken()  # so the later try asks again, and now gets the real feed
            arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
            await service.retry_poll_if_broken()
            await service.retry_poll_if_broken()  # today's last poll was fine: nothing more
        finally:
            await service.stop()
        assert len(arxiv.requests_to("/rss/cs.CL")) == 3
    database = open_database(settings.database_url)
    with database.reading() as session:
        outcomes = [run.outcome for run in session.scalars(select(PollRun).order_by(PollRun.id))]
    database.dispose()
    assert outcomes == ["failed", "failed", "ok"]


@pytest.mark.asyncio
async def test_the_later_try_that_comes_while_a_poll_runs_waits_for_it_and_polls_no_more_when_it_went_fine(
    tmp_path: Path,
) -> None:
    # A slow poll (the first start's after a restart at 05:59, arXiv slow) still runs when the 06:00 retry comes.
    async with ArxivServer() as arxiv:
        body = (DATA_DIR / "arxiv" / "rss" / "rss_cs.CL_2026-04-27_trimmed-3items.xml").read_bytes()
        feed = arxiv.program("/rss/cs.CL", Reply(body=body, delay_seconds=1.5))
        settings = make_settings(
            tmp_path / "data",
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        try:
            polling = asyncio.ensure_future(service.poll_now("schedule"))
            for _ in range(100):
                if arxiv.requests_to("/rss/cs.CL"):
                    break
                await asyncio.sleep(0.05)
            await service.retry_poll_if_broken()  # the retry comes while the poll waits for arXiv
            await polling
        finally:
            await service.stop()
        assert len(arxiv.requests_to("/rss/cs.CL")) == 1  # was: 2, the retry polled again after the fine poll
    database = open_database(settings.database_url)
    with database.reading() as session:
        outcomes = [run.outcome for run in session.scalars(select(PollRun).order_by(PollRun.id))]
    database.dispose()
    assert outcomes == ["ok"]


@pytest.mark.asyncio
async def test_a_poll_of_another_feed_from_the_shell_does_not_stand_for_the_days_broken_poll(tmp_path: Path) -> None:
    """The scheduled poll found arXiv's feed broken; before the retry, a maintainer tried a saved feed file with
    `digest poll --source FILE`, which went well. The retry took that run for today's poll ("today's poll was fine;
    nothing to retry") and the day's feed, gone by the evening, was never read. A run over other sources than the
    configured ones says nothing of them: the retry asks arXiv again."""
    async with ArxivServer() as arxiv:
        error_feed = (
            DATA_DIR / "arxiv" / "api" / "api_new_arxiv.py_id_abc_s0_m100_b79c8dcf6bc3_http400.xml"
        ).read_bytes()
        feed = arxiv.program("/rss/cs.CL", Reply(status=400, body=error_feed, content_type="application/atom+xml"))
        config = (
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n'
        )
        settings = make_settings(tmp_path / "data", config)
        saved = DATA_DIR / "arxiv" / "rss" / "rss_cs.AI_2026-04-27_trimmed-3items.xml"
        shell = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(tmp_path / "data")]
        service = Service(settings)
        await service.start(schedule=False, serve_web=False)
        try:
            await service.poll_now("schedule")  # arXiv answers with an error feed: broken
            assert await asyncio.to_thread(main, [*shell, "poll", "--source", str(saved)]) == 0
            arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
            await service.retry_poll_if_broken()
        finally:
            await service.stop()
        assert len(arxiv.requests_to("/rss/cs.CL")) == 2
    database = open_database(settings.database_url)
    with database.reading() as session:
        runs = [(run.outcome, [s["source"] for s in run.summary["sources"]]) for run in session.scalars(
            select(PollRun).order_by(PollRun.id))]  # fmt: skip
    database.dispose()
    assert runs == [("failed", [feed]), ("ok", [str(saved)]), ("ok", [feed])]
