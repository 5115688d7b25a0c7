"""A poll whose database goes away in the middle (PostgreSQL stopped for maintenance): the log says so once, as
`digest poll` does, and the run it could not finish is not shown on /healthz as a poll that is fine."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from digest import health
from digest.service import poll_job
from digest.service.wiring import open_service_database
from tests.arxiv_server import ArxivServer
from tests.conftest import make_settings
from tests.postgres_server import running_postgres
from tests.web_server import SECRETS_ENV, running_site

FIRST = "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml"
SECOND = "rss/rss_cs.AI_2026-04-27_trimmed-3items.xml"


@pytest.mark.asyncio
async def test_a_poll_losing_its_database_says_so_once_and_healthz_calls_its_run_unfinished(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`digest run --once` said "cannot store the results", "cannot record the failure", "cannot re-fit",
    "cannot forget" and "cannot write to the database" for one outage; and its run, left "running", was the last
    poll /healthz showed, "ok", for an hour."""
    caplog.set_level(logging.INFO)
    with running_postgres() as server, server.fresh_database() as url:
        async with ArxivServer() as arxiv:
            first = arxiv.serve_file("/rss/cs.CL", FIRST, today=True)
            # The second feed is answered once the database has stopped: the first one was stored, model and all.
            second = arxiv.serve_file(
                "/rss/cs.AI", SECOND, today=True, before_answer=lambda: asyncio.to_thread(server.stop)
            )
            config = (
                f'[arxiv]\nsources = ["{first}", "{second}"]\nmin_interval_seconds = 0\nmax_retries = 0\n'
                'api_url = "http://127.0.0.1:9/api/query"\n'
            )
            settings = make_settings(tmp_path / "data", config, {**SECRETS_ENV, "DIGEST_DATABASE_URL": url})
            database = open_service_database(settings)
            try:
                summary = await poll_job.run_poll_pass(settings, database, "a test", asyncio.Event())
            finally:
                database.dispose()
        assert summary is None
        said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]  # the first feed went well
        assert len(said) == 1 and said[0].startswith("poll: cannot write to the database ("), said
        await asyncio.to_thread(server.resume)
        # The poll ended (its end unwritten): its run is no longer among this process's polls in progress, so /healthz
        # tells its row from a live poll without the poll lock; what the poll reported of itself is forgotten (as by a
        # service started later), so the row alone says it.
        health.forget()
        async with running_site(settings) as site, site.client.get("/healthz") as response:
            report = await response.json()
    assert response.status == 503 and report["status"] == "degraded", report
    assert report["last_poll"]["outcome"] == "running" and report["last_poll"]["finished_at"] is None
    assert "never finished" in report["problems"][0], report["problems"]


class _StopsOnLine(logging.Handler):
    """Stops the PostgreSQL cluster when the poll logs the line it says once a source's answer is stored (in the
    thread that stored it, which waits for the stop): the database goes away after the last source is stored."""

    def __init__(self, source: str, stop: Callable[[], None]) -> None:
        super().__init__(logging.INFO)
        self.source, self.stop = source, stop

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(f"poll {self.source}"):
            self.stop()


@pytest.mark.asyncio
async def test_a_database_lost_after_the_last_source_is_stored_is_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The re-fit and the forgetting after the sources said "cannot re-fit the review thresholds" and "cannot forget
    old second-tier candidates" before the shell's "cannot write to the database": one outage, three lines."""
    caplog.set_level(logging.INFO)
    poller = logging.getLogger("digest")  # the store's line comes from digest.arxiv.poller
    with running_postgres() as server, server.fresh_database() as url:
        async with ArxivServer() as arxiv:
            feed = arxiv.serve_file("/rss/cs.CL", FIRST, today=True)
            config = (
                f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0\nmax_retries = 0\n'
                'api_url = "http://127.0.0.1:9/api/query"\n'
            )
            settings = make_settings(tmp_path / "data", config, {**SECRETS_ENV, "DIGEST_DATABASE_URL": url})
            database = open_service_database(settings)
            stopping = _StopsOnLine(feed, server.stop)
            poller.addHandler(stopping)
            try:
                summary = await poll_job.run_poll_pass(settings, database, "a test", asyncio.Event())
            finally:
                poller.removeHandler(stopping)
                database.dispose()
                await asyncio.to_thread(server.resume)
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert summary is None
    assert any(r.getMessage().startswith(f"poll {feed}") for r in caplog.records)  # the source was stored
    assert len(said) == 1 and said[0].startswith("poll: cannot write to the database ("), said
