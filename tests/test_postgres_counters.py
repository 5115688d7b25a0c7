"""Counters bumped by two processes at once on PostgreSQL: each bump counts (read committed lets a read-then-write
lose one)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from digest.config import Settings
from digest.publish.store import read_status, record_failure, state_row
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.postgres_server import PostgresServer, postgres_server, postgres_url  # noqa: F401  (fixtures)

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path, postgres_url: str) -> Settings:  # noqa: F811
    return make_settings(tmp_path / "data", "", environ={"DIGEST_DATABASE_URL": postgres_url})


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = open_service_database(settings)
    yield db
    db.dispose()


def _wait_for_a_lock_waiter(url: str) -> None:
    watcher = create_engine(url)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with watcher.connect() as connection:
                waiting = connection.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                ).scalar_one()
            if waiting:
                return
            time.sleep(0.05)
        raise AssertionError("the second bump never waited for the first")
    finally:
        watcher.dispose()


def test_two_publish_failures_at_once_both_count(database: Database, settings: Settings, postgres_url: str) -> None:  # noqa: F811
    assert record_failure(database, settings.templates_dir, "first", NOW) == 1
    other = create_engine(postgres_url)
    try:
        with other.connect() as connection:
            connection.execute(text("UPDATE publish_state SET failures = failures + 1"))  # another process, mid-way
            bump = threading.Thread(target=record_failure, args=(database, settings.templates_dir, "third", NOW))
            bump.start()
            _wait_for_a_lock_waiter(postgres_url)
            connection.commit()
            bump.join(10)
    finally:
        other.dispose()
    assert read_status(database, settings.templates_dir).failures == 3


def test_a_pull_request_number_past_two_to_the_31_is_kept(database: Database, settings: Settings) -> None:
    """GitHub numbers are not ours to bound: a 32-bit column refused one on PostgreSQL only."""
    big = 2**31 + 7
    with database.transaction() as session:
        state = state_row(session, settings.templates_dir)
        state.pull_number, state.pull_branch = big, "awesome-digest/pending"
    assert read_status(database, settings.templates_dir).pull_number == big
