"""A starting service that has a reason to poll at once (the last poll was interrupted) while the scheduled poll it
missed is due too: one poll, and the log says which."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from digest.service.process import Service
from tests.arxiv_server import ArxivServer
from tests.conftest import make_settings
from tests.service_runs import one_feed_config, poll_runs, pretend_the_machine_was_off, wait_settled


@pytest.mark.asyncio
async def test_poll_on_start_and_a_due_scheduled_poll_are_one_poll(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Both ran, one after the other: arXiv asked twice in a row for the same feed."""
    async with ArxivServer() as arxiv:
        settings = make_settings(tmp_path / "data", one_feed_config(arxiv))
        first = Service(settings)
        await first.start(serve_web=False)
        await wait_settled(first)
        await first.stop()
        assert poll_runs(settings) == 1
        with sqlite3.connect(tmp_path / "data" / "digest.sqlite3") as connection:  # as a killed poll left it
            connection.execute("UPDATE poll_runs SET outcome = 'interrupted'")
        pretend_the_machine_was_off(settings, "poll")
        second = Service(settings)
        with caplog.at_level(logging.INFO, logger="digest.service"):
            await second.start(serve_web=False)
            try:
                await wait_settled(second, timeout=60)
            finally:
                await second.stop()
    assert poll_runs(settings) == 2
    assert len(arxiv.requests_to("/rss/cs.CL")) == 2
    assert "the scheduled poll due now is that poll" in caplog.text, caplog.text
