"""The set-up of the source key tests (tests/test_feed_keys.py, tests/test_api_query_keys.py): a data folder an older
release left at a schema revision, with the conditional-GET state and the poll runs it kept under a source's key, and
a poll of it on a real SQLite file."""

from __future__ import annotations

import json
from datetime import datetime

from alembic import command
from sqlalchemy import select, text

from digest.arxiv.poll_pass import run_poll
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import alembic_config, create_database_engine
from digest.storage.state import FeedState
from tests.arxiv_server import FakeClock


def polled_before(settings: Settings, revision: str, keys: dict[str, tuple[str | None, datetime]]) -> None:
    """A data folder at schema `revision` that polled the source under each key: (its ETag, when)."""
    settings.data_dir.mkdir(parents=True)
    engine = create_database_engine(settings.database_url)
    command.upgrade(alembic_config(engine), revision)
    with engine.begin() as connection:
        for key, (etag, when) in keys.items():
            connection.execute(
                text(
                    "INSERT INTO feed_state (source, etag, last_outcome, last_polled_at, last_ok_at, failures) "
                    "VALUES (:key, :etag, 'fetched', :when, :when, 0)"
                ),
                {"key": key, "etag": etag, "when": when.replace(tzinfo=None)},
            )
    engine.dispose()


def poll_run_kept(settings: Settings, source: str, when: datetime) -> None:
    """A poll run at `when` that fetched `source`, kept under that key by the older release."""
    engine = create_database_engine(settings.database_url)
    with engine.begin() as connection:
        summary = json.dumps({"sources": [{"source": source, "outcome": "fetched"}]})
        connection.execute(
            text("INSERT INTO poll_runs (started_at, finished_at, outcome, summary) VALUES (:at, :at, 'ok', :summary)"),
            {"at": when.replace(tzinfo=None), "summary": summary},
        )
    engine.dispose()


async def poll_and_states(settings: Settings) -> tuple[list[str], list[tuple[str, str | None]]]:
    """One poll of the upgraded data folder: each source's outcome, then the (key, ETag) of every state kept after."""
    database = open_service_database(settings)
    try:
        summary = await run_poll(settings, database, clock=FakeClock())
        with database.reading() as session:
            stored = [(state.source, state.etag) for state in session.scalars(select(FeedState))]
    finally:
        database.dispose()
    return [report.outcome for report in summary.sources], stored
