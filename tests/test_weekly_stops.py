"""A weekly send interrupted (the service stopping, a deploy's restarts, a server dropping mid-batch), against a real
aiosmtpd server on loopback and a real SQLite file: what readers received and what the record says they have."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


class DropMidBatchInbox(Inbox):
    """Takes the first message; in the second, accepts one recipient and drops the connection at the next (no reply:
    a relay restarting, a network cut). Later connections are served in full."""

    dropped: bool = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.envelopes and not self.dropped and envelope.rcpt_tos:
            self.dropped = True
            server.transport.close()
            return "421 4.3.2 closing"  # never reaches the client: the connection is gone
        return await super().handle_RCPT(server, session, envelope, address, options)


def test_a_connection_cut_in_the_middle_of_a_batch_records_who_has_it_and_the_retry_reaches_the_rest_once(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of two: the first went out; in the second the server took one recipient and the connection was cut
    before the next. Nobody in that batch has the message (its DATA never went): the record says the first batch
    has it and the rest are owed it, the outcome says so in words, and the retry brings it to each of the rest once,
    as the same message."""
    from digest.weekly import mailer

    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 2)
    readers = tuple(f"reader{number}@example.org" for number in range(5))
    inbox = DropMidBatchInbox()
    with smtp_server(inbox) as port:
        settings = configured(tmp_path, port, readers)
        first = send_week(settings, database, WEEK, NOW)
        found = row(database)
        retry = run_weekly_job(settings, database, NOW + timedelta(hours=3))
    assert first.status == "partly-sent", first
    assert first.message.startswith("sent to reader0@example.org, reader1@example.org; not yet sent to the others"), (
        first.message
    )
    assert "refused" not in first.message, first.message
    assert (found.status, found.reached_count) == ("failed", 2)
    assert list(found.deferred) == list(readers[2:])
    assert [(outcome.edition, outcome.status) for outcome in retry.emails] == [("readers", "sent")]
    delivered = [address for envelope in inbox.envelopes for address in envelope.rcpt_tos]
    assert sorted(delivered) == sorted(readers), delivered
    assert len({str(message["Message-ID"]) for message in inbox.messages}) == 1
    final = row(database)
    assert (final.status, final.reached_count, list(final.deferred)) == ("sent", len(readers), [])


class StopAfterFirstBatch:
    """The service's stop, come while the first batch was going out: set once the server has it (not counted by looks:
    the send's connection watch reads the stop too, from a thread of its own)."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def is_set(self) -> bool:
        return bool(self.inbox.envelopes)


def test_a_stop_between_batches_leaves_the_rest_owed_without_a_back_off_and_the_restart_sends_to_them_at_once(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deploy stopped the service after the first batch of the readers' list: the readers not reached were put on
    a back-off as if the server had refused them (next attempt 30 minutes later, an hour after a second deploy), so
    the restarted service left them waiting. A stop is not a failure: the restart sends to them at once, and the
    stop counts no attempt."""
    from digest.weekly import mailer

    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 1)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = configured(tmp_path, port)
        stopped = send_week(settings, database, WEEK, NOW, stop=StopAfterFirstBatch(inbox))
        found = row(database)
        restarted_at = NOW + timedelta(minutes=2)
        due = unsent_retry_at(database, restarted_at)
        result = run_weekly_job(settings, database, restarted_at)
    assert stopped.status == "partly-sent", stopped
    assert stopped.message.endswith("next attempt for them at 2026-11-30 07:00 UTC"), stopped.message
    assert (found.reached_count, list(found.deferred)) == (1, list(READERS[1:]))
    assert found.attempts == 0, found.attempts
    assert due == restarted_at
    assert [(outcome.edition, outcome.status) for outcome in result.emails] == [("readers", "sent")]
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [[reader] for reader in READERS]


def test_an_edition_waiting_to_reach_the_rest_names_a_few_of_them_and_says_they_were_not_reached(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection was cut after the first batch; the next weekly job came before the back-off ended, and logged
    'waiting (sent but to reader02@..., reader03@..., ... every reader left, refused for now ...)': every address of
    the readers not reached in the service's log (which counts a list's readers everywhere else), and 'refused',
    which the server never said. Expected: a few named, the others counted, and said not yet sent."""
    from digest.weekly import mailer

    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 2)
    readers = tuple(f"reader{number:02d}@example.org" for number in range(12))
    with smtp_server(DropMidBatchInbox()) as port:
        settings = configured(tmp_path, port, readers)
        send_week(settings, database, WEEK, NOW)
        waiting = run_weekly_job(settings, database, NOW + timedelta(minutes=10))
    assert [(outcome.week, outcome.status) for outcome in waiting.emails] == [("2026-W48", "waiting")]
    assert waiting.emails[0].message == (
        "sent, but not yet to reader02@example.org, reader03@example.org, reader04@example.org and 7 more (the send"
        " was cut short); next attempt for them at 2026-11-30 07:30 UTC"
    )
    logged = str(waiting)  # the service's line: "weekly: <this>"
    assert not any(address in logged for address in readers[5:]), logged
