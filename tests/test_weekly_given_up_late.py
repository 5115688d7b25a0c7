"""An edition given up more than 30 days after the server first refused it: the weekly job's log line says that whom
it owes is dropped now, not a date gone by until which a send by hand would reach them. The weekly job and
`send_week` (what `digest weekly --send` runs) against aiosmtpd on loopback, a real SQLite file."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from digest.weekly import mailer
from digest.weekly.issue import IsoWeek
from digest.weekly.store import run_weekly_job, send_week
from tests.smtp_server import free_port, smtp_server
from tests.weekly_mail_delivery import NOW, SecondMessageRefusingInbox, SelectiveInbox, config, setup

READERS = tuple(f"reader{number:02d}@example.org" for number in range(12))


def test_an_edition_given_up_after_its_30_days_says_whom_it_owes_is_dropped_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Refused for good after its first batch (seven readers owed it), sent by hand ten days on to all but one
    (greylisted), and given up by the job five weeks after the refusal: its warning said "sends it to them by hand
    until 2026-12-30 07:00 UTC" on 2027-01-04, a date gone by, while the same job dropped the address. Expected: the
    line says the address is dropped now, kept 30 days from the refusal, and no send by hand reaches it."""
    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 5)
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=READERS, maintainers=()))
    try:
        with smtp_server(SecondMessageRefusingInbox(), port):
            run_weekly_job(settings, database, NOW)
        with smtp_server(SelectiveInbox({READERS[11]: "451 4.7.1 Greylisted, please try again later"}), port):
            by_hand = send_week(settings, database, IsoWeek(2026, 48), NOW + timedelta(days=10), ignore_backoff=True)
            with caplog.at_level(logging.WARNING, logger="digest.weekly"):
                run_weekly_job(settings, database, NOW + timedelta(weeks=5))
    finally:
        database.dispose()
    assert by_hand.status == "partly-sent", by_hand
    said = [record.getMessage() for record in caplog.records if "not trying any more" in record.getMessage()]
    refused = f"{NOW:%Y-%m-%d %H:%M}"
    assert said == [
        "weekly: 2026-W48 readers went to 11 recipients; not trying any more for the 1 the server refused for now:"
        f" older than the last 4 weeks (their addresses are dropped now, kept 30 days from its first refusal or giving"
        f" up on {refused} UTC: no send by hand reaches them)"
    ], said
