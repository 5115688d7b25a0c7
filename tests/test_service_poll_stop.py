"""`digest run` stopped (SIGTERM: docker stop, systemd) while a scheduled poll waits on arXiv: an ordinary stop, said
as one: the poll recorded as interrupted, no ERROR and no traceback (cron mails them, journald alerts on ERROR), and
"stopped" the last line."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.arxiv_server import ArxivServer, Reply
from tests.conftest import make_settings
from tests.feedbuild import build_rss, load_records
from tests.service_runs import (
    assert_stopped_without_trace,
    caught_up_then_stopped,
    killed_if_running,
    pretend_the_machine_was_off,
    scheduled_poll_asked,
    spawned_service,
    stopped,
)


@pytest.mark.asyncio
async def test_sigterm_while_a_scheduled_poll_waits_on_arxiv_logs_no_error(tmp_path: Path) -> None:
    """The poll's own grace ended a moment after the stop's, so the stop's deadline won: the scheduler's shutdown
    cancelled the poll and APScheduler logged, after "stopped", an ERROR 'Job "poll ..." raised an exception' with a
    CancelledError traceback. The poll now ends itself within the stop's one grace."""
    body = build_rss("cs.CL", load_records()[:3], datetime.now(ZoneInfo("America/New_York")).date())
    async with ArxivServer() as arxiv:
        # The first start's poll is answered; the scheduled poll of the second start waits on a hardly answering arXiv.
        feed = arxiv.program("/rss/cs.CL", Reply(body=body), Reply(body=body, delay_seconds=60))
        service, log = spawned_service(tmp_path, feed)
        try:
            await caught_up_then_stopped(service, log)
            config = (tmp_path / "config.toml").read_text(encoding="utf-8")
            pretend_the_machine_was_off(make_settings(tmp_path / "data", config), "poll")  # the scheduled poll is due
            service, log = spawned_service(tmp_path, feed)
            await scheduled_poll_asked(service, log, arxiv, "/rss/cs.CL")
            started = time.monotonic()
            status = await stopped(service)
            took = time.monotonic() - started
        finally:
            killed_if_running(service)
    said = log.read_text(encoding="utf-8")
    assert status == 0, said
    assert took < 10.0, f"the stop took {took:.1f} s"  # docker stop kills at 10 s
    assert_stopped_without_trace(said)
    with sqlite3.connect(f"file:{tmp_path / 'data' / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        outcomes = [row[0] for row in connection.execute("SELECT outcome FROM poll_runs ORDER BY id")]
    assert outcomes == ["ok", "interrupted"], outcomes
