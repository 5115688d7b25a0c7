"""A weekly send interrupted (the service stopping, a deploy's restarts, a server dropping mid-batch), against a real
aiosmtpd server on loopback and a real SQLite file: what readers received and what the record says they have."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.config import Settings, SmtpSettings
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from digest.weekly.store import run_weekly_job, send_week, unsent_retry_at
from tests.conftest import make_settings
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_data import WEEK, fill_week

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin: 2026-W48 is the last complete week
CONFIG = 'timezone = "Europe/Berlin"\n\n[weekly]\npending_top = 3\n'
READERS = ("first@example.org", "second@example.org", "third@example.org")


@pytest.fixture
def database(tmp_path: Path) -> Database:
    settings = make_settings(tmp_path / "data", CONFIG)
    found = open_service_database(settings)
    fill_week(found, settings)
    return found


def configured(tmp_path: Path, port: int, readers: tuple[str, ...] = READERS) -> Settings:
    settings = make_settings(tmp_path / "data", CONFIG)
    smtp = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        sender="digest@lists.example.org",
        recipients=readers,
        timeout_seconds=10,
    )
    return settings.model_copy(update={"smtp": smtp})


def row(database: Database, edition: str = "readers") -> WeeklyDigest:
    with database.reading() as session:
        found = session.get(WeeklyDigest, (str(WEEK), edition))
        assert found is not None
        session.expunge(found)
        return found


def test_restarts_before_the_first_batch_are_not_failures_and_the_send_resumes_at_once(
    tmp_path: Path, database: Database
) -> None:
    """A deploy restarted the service three times while the weekly send was connecting: each stop before any mail
    went out was recorded as a failed attempt with the back-off (30 minutes, an hour, two hours), so the edition
    waited hours after the service came back, and the stops counted as attempts. A stop is not a failure: the
    edition is owed as before, nothing is counted, and the restarted service sends it at once."""
    stop = threading.Event()
    stop.set()
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = configured(tmp_path, port)
        stopped = [send_week(settings, database, WEEK, NOW + timedelta(minutes=n), stop=stop) for n in range(3)]
        restarted_at = NOW + timedelta(minutes=5)
        due = unsent_retry_at(database, restarted_at)
        found = row(database)
        assert inbox.envelopes == []
        assert [outcome.status for outcome in stopped] == ["stopped"] * 3, stopped
        assert stopped[0].message == "the send was stopped before any mail went out: the edition is still owed"
        assert stopped[0].retry_at is None
        assert (found.status, found.attempts, found.last_error) == ("pending", 0, None)
        assert due == restarted_at
        result = run_weekly_job(settings, database, restarted_at)
    assert [(outcome.edition, outcome.status) for outcome in result.emails] == [("readers", "sent")]
    assert sorted(address for envelope in inbox.envelopes for address in envelope.rcpt_tos) == sorted(READERS)
    assert row(database).attempts == 1
