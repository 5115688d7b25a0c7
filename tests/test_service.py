"""The service's schedule kept in the database: jobs that survive a restart, a missed poll made up once on start,
a changed time zone that moves the stored jobs, and a list file put right on start."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.cli import main
from digest.service.process import Service
from tests.arxiv_server import ArxivServer
from tests.conftest import make_settings
from tests.service_runs import (
    one_feed_config,
    poll_runs,
    pretend_the_machine_was_off,
    stored_jobs,
    wait_settled,
)


@pytest.mark.asyncio
async def test_jobs_survive_a_restart_and_a_missed_poll_runs_once(tmp_path: Path) -> None:
    async with ArxivServer() as arxiv:
        config = one_feed_config(arxiv)
        settings = make_settings(tmp_path / "data", config)

        first = Service(settings)
        await first.start(serve_web=False)
        await wait_settled(first)  # a data folder that never polled polls once now, to the end (a stop during
        # it would leave it interrupted, and the next start would rightly poll again)
        assert poll_runs(settings) == 1
        await first.stop()
        jobs = stored_jobs(settings)
        assert set(jobs) == {"poll", "poll-retry", "weekly"}
        assert all(when > datetime.now(UTC) for when in jobs.values())

        # A plain restart neither loses nor doubles anything: same jobs, same next runs, no extra poll.
        second = Service(settings)
        await second.start(serve_web=False)
        await wait_settled(second)
        await second.stop()
        assert stored_jobs(settings) == jobs
        assert poll_runs(settings) == 1

        # The machine was off when the poll was due: it runs once on start, then waits for its next slot.
        pretend_the_machine_was_off(settings, "poll")
        third = Service(settings)
        await third.start(serve_web=False)
        await wait_settled(third)  # the missed poll has run, and nothing else will run on start
        await third.stop()
        assert poll_runs(settings) == 2
        assert stored_jobs(settings)["poll"] == jobs["poll"]
        assert len([r for r in arxiv.requests if r.path == "/rss/cs.CL"]) == 2


@pytest.mark.asyncio
async def test_a_changed_time_zone_moves_the_stored_jobs(tmp_path: Path) -> None:
    """The stored jobs were compared with the config by their cron text alone, which names no zone: a data folder
    kept its old zones after `timezone` or `[arxiv] poll_timezone` changed."""
    async with ArxivServer() as arxiv:
        config = one_feed_config(arxiv)
        settings = make_settings(tmp_path / "data", config)
        first = Service(settings)
        await first.start(serve_web=False)
        await wait_settled(first)
        await first.stop()
        before = stored_jobs(settings)
        moved = make_settings(
            tmp_path / "data", f'timezone = "Asia/Tokyo"\n\n{config}poll_timezone = "Europe/London"\n'
        )
        second = Service(moved)
        await second.start(serve_web=False)
        await wait_settled(second)
        await second.stop()
    after = stored_jobs(moved)
    assert after["poll"] != before["poll"] and after["weekly"] != before["weekly"]
    assert after["poll"].astimezone(ZoneInfo("Europe/London")).strftime("%H:%M") == "00:30"
    assert after["weekly"].astimezone(ZoneInfo("Asia/Tokyo")).strftime("%a %H:%M") == "Mon 08:00"


@pytest.mark.asyncio
async def test_a_list_file_left_behind_by_a_killed_decision_is_written_again_on_start(tmp_path: Path) -> None:
    """A process killed between a decision's commit and its write of list.md left the file behind the database, and
    only the next decision would have written it; the service now writes it again when it starts."""
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor
    from digest.service.wiring import open_service_database
    from tests.factories import insert_candidate, real_papers

    settings = make_settings(tmp_path / "data")
    database = open_service_database(settings)
    before = settings.list_markdown_path.read_bytes()
    paper = real_papers()[0]
    try:
        Reviewer(database, settings).decide(insert_candidate(database, paper), "approve", Actor("ann", None, "cli"))
    finally:
        database.dispose()
    settings.list_markdown_path.write_bytes(before)  # as if the process had died before writing it
    service = Service(settings)
    await service.start(schedule=False, serve_web=False)
    await service.stop()
    assert paper["arxiv_id"] in settings.list_markdown_path.read_text(encoding="utf-8")
    kept = settings.list_markdown_path.with_name("list.md.1")  # what the file held is kept, never lost
    assert kept.read_bytes() == before
    exported = tmp_path / "exported.md"
    assert main(["--data-dir", str(settings.data_dir), "list", "export", "-o", str(exported)]) == 0
    assert exported.read_bytes() == settings.list_markdown_path.read_bytes()
