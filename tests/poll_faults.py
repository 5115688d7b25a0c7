"""The set-up of the poll fault tests: one poll pass over given sources in a fresh data folder (its summary and feed
states), and the id of a process that has ended."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from digest.arxiv.poll_pass import run_poll
from digest.arxiv.poller import PollSummary
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.state import FeedState
from tests.arxiv_server import FakeClock
from tests.conftest import make_settings


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


async def poll_sources(data_dir: Path, sources: list[str]) -> tuple[PollSummary, dict[str, FeedState]]:
    """One poll pass over `sources` (no spacing, no API host) in a fresh data folder: its summary and feed states."""
    config = (
        f"[arxiv]\nsources = {sources!r}\nmin_interval_seconds = 0\napi_url = 'http://127.0.0.1:9/api/query'\n".replace(
            "'", '"'
        )
    )
    settings = make_settings(data_dir, config)
    database = open_service_database(settings)
    try:
        return await run_poll(settings, database, clock=FakeClock()), feed_states(database)
    finally:
        database.dispose()


def feed_states(database: Database) -> dict[str, FeedState]:
    with database.reading() as session:
        return {state.source: state for state in session.scalars(select(FeedState))}
