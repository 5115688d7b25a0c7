"""PostgreSQL stopped for maintenance while the service runs: the scheduler and the web each say the outage once, remind
of it at most every reminder interval, and say its end once with how long it lasted; pages meanwhile answer 503."""

from __future__ import annotations

import asyncio
import html
import itertools
import logging
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from digest.service.schedule import make_scheduler
from digest.web.context import UNREACHABLE
from tests.conftest import make_settings
from tests.postgres_server import running_postgres
from tests.waiting import until
from tests.web_server import SECRETS_ENV, running_site

RUNS: list[float] = []
RETRY_SECONDS = 0.2  # the scheduler's 30 s between attempts, short here: many attempts within the test
REMINDER = timedelta(seconds=2)  # the scheduler's 15 min between reminders, as short


def tick() -> None:
    RUNS.append(time.monotonic())


def lines(caplog: pytest.LogCaptureFixture, words: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if words in record.getMessage()]


@pytest.mark.asyncio
async def test_a_stopped_postgresql_is_said_once_reminded_later_and_its_end_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A night of maintenance logged an ERROR every 30 s (the scheduler's retry) and a WARNING for every request: a
    thousand identical lines hid everything else. Now: one ERROR, a reminder after the interval and not before, the
    recovery once; a request meanwhile gets its 503 page and the web says the outage in one WARNING."""
    caplog.set_level(logging.INFO)
    with running_postgres() as server, server.fresh_database() as url:
        settings = make_settings(tmp_path / "data", "", environ={**SECRETS_ENV, "DIGEST_DATABASE_URL": url})
        async with running_site(settings) as site:
            scheduler = make_scheduler(settings)
            scheduler.retry_seconds, scheduler.reminder_interval = RETRY_SECONDS, REMINDER
            RUNS.clear()
            scheduler.start()
            try:
                scheduler.add_job(f"{__name__}:tick", IntervalTrigger(seconds=0.2), id="tick", coalesce=True)
                await until(lambda: RUNS, "the job's first run")
                await asyncio.to_thread(server.stop)
                pages = []
                for address in ("/", "/list.md", "/feeds/list.xml", "/healthz"):
                    async with site.client.get(address) as response:
                        pages.append((address, response.status, html.unescape(await response.text())))
                web_said = [record.getMessage() for record in lines(caplog, "the database cannot be reached")]
                site.clock.advance(timedelta(minutes=16))  # the web's reminder comes with the next request after it
                async with site.client.get("/") as response:
                    assert response.status == 503
                await until(lambda: len(lines(caplog, "): still down since")) >= 2, "two reminders from the scheduler")
                await asyncio.to_thread(server.resume)
                await until(lambda: lines(caplog, "the jobs can be read and updated again"), "the scheduler's recovery")
                recovered = time.monotonic()
                await until(lambda: [run for run in RUNS if run > recovered + 1], "the job running again for 1 s")
                async with site.client.get("/") as response:
                    assert response.status == 200
                async with site.client.get("/list.md") as response:
                    assert response.status == 200
            finally:
                scheduler.shutdown(wait=False)
                await asyncio.sleep(0)
    for address, status, page in pages:
        assert status == 503, address
        assert address == "/healthz" or UNREACHABLE in page, address
    # The web: one WARNING for the four requests, naming the first and the reason; one reminder after the interval.
    assert len(web_said) == 1 and web_said[0].startswith("GET /: the database cannot be reached: "), web_said
    assert "requests are answered 503 until it can (said again every 15 min)" in web_said[0]
    web_reminders = [r.getMessage() for r in lines(caplog, "web: the database cannot be reached")]
    assert len(web_reminders) == 1 and re.search(
        r"still down since \d\d:\d\d UTC, 5 attempts failed$", web_reminders[0]
    )
    web_back = [r.getMessage() for r in lines(caplog, "web: the database answers again")]
    assert len(web_back) == 1 and re.search(
        r"after 16 min down \(since \d\d:\d\d UTC, 5 attempts failed\)$", web_back[0]
    )
    # The scheduler: one ERROR, reminders no closer than the interval, the recovery once.
    errors = [r for r in lines(caplog, "schedule: cannot read or update the jobs") if r.levelno == logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "; trying again every 0.2 s, said again every 2 s" in errors[0].getMessage()
    said = [r for r in lines(caplog, "schedule: cannot read or update the jobs") if r.levelno == logging.WARNING]
    assert len(said) >= 2 and all("still down since" in r.getMessage() for r in said)
    moments = [errors[0].created] + [r.created for r in said]
    assert all(later - earlier >= REMINDER.total_seconds() - 0.05 for earlier, later in itertools.pairwise(moments))
    failures = [int(re.findall(r"(\d+) attempts failed", r.getMessage())[0]) for r in said]
    assert failures[0] >= 5 and failures == sorted(failures), failures  # many attempts, few lines
    back = [r.getMessage() for r in lines(caplog, "the jobs can be read and updated again")]
    assert len(back) == 1 and re.search(
        r"again, after \d+ s down \(since \d\d:\d\d UTC, \d+ attempts failed\)$", back[0]
    )
