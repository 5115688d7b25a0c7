"""Going back to the release before (757023f) on a data folder this release has run: the maintainer downgrades after
a bad upgrade, and the older service must still read what this one stored. Its state is built here with this
release's own code; the older release is stood in for by what it can read (its classes, not this one's)."""

from __future__ import annotations

import io
import pickle
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from digest.service.schedule import keep_jobs, make_scheduler
from digest.service.wiring import open_service_database
from tests.conftest import make_settings


class OlderRelease(pickle.Unpickler):
    """Unpickles a stored job as the release before does: APScheduler's and the standard library's classes are there,
    this release's own classes are not (the older service stopped with "Can't get attribute 'WallClockCronTrigger'")."""

    def find_class(self, module: str, name: str, /) -> Any:
        if module.split(".")[0] == "digest":
            raise AttributeError(f"Can't get attribute {name!r} on <module {module!r}> in the release before")
        return super().find_class(module, name)


@pytest.mark.asyncio
async def test_the_jobs_this_release_stores_are_read_by_the_release_before(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", '[arxiv]\npoll_cron = "30 1 * * *"\n')
    open_service_database(settings).dispose()
    scheduler = make_scheduler(settings)
    scheduler.start(paused=True)
    try:
        keep_jobs(scheduler, settings)
        expected = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)

    with sqlite3.connect(tmp_path / "data" / "digest.sqlite3") as connection:
        rows = connection.execute("SELECT id, job_state FROM apscheduler_jobs").fetchall()
    older = {job_id: OlderRelease(io.BytesIO(state)).load() for job_id, state in rows}
    assert set(older) == {"poll", "poll-retry", "weekly"}
    now = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
    for job_id, state in older.items():
        assert state["trigger"].get_next_fire_time(None, now) is not None
        assert state["next_run_time"] == expected[job_id]
    assert f"{older['poll']['trigger'].get_next_fire_time(None, now):%a %H:%M %Z}" == "Mon 01:30 EST"

    # And this release, reading them again, still runs a time of day once on the night the clocks go back.
    again = make_scheduler(settings)
    again.start(paused=True)
    try:
        poll = again.get_job("poll")
        assert poll is not None
        between = datetime(2026, 11, 1, 5, 31, tzinfo=UTC)  # after 01:30 EDT, before 01:30 comes again (EST)
        fire = poll.trigger.get_next_fire_time(None, between)
    finally:
        again.shutdown(wait=False)
    assert f"{fire:%a %d %H:%M %Z}" == "Mon 02 01:30 EST"
