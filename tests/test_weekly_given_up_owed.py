"""Whom an older edition still owes: an edition given up keeps the readers it owed 30 days for a send by hand, then
only their count; a reader taken off the recipients setting is never sent a retry, and is dropped from those owed.
The weekly job and `send_week` (what `digest weekly --send` runs) against aiosmtpd on loopback, a real SQLite file."""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from digest.config import Settings
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from digest.weekly import mailer
from digest.weekly.issue import IsoWeek
from digest.weekly.ledger import week_state
from digest.weekly.store import run_weekly_job, send_week
from tests.conftest import make_settings
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import NOW, SecondMessageRefusingInbox, SelectiveInbox, config, setup

READERS = ("ann@example.org", "bob@example.org", "cy@example.org")
GREYLISTED = "451 4.7.1 Greylisted, please try again later"
GIVEN_UP_AT = NOW + timedelta(weeks=5)  # 2026-W48 is older than the last 4 weeks then


@pytest.mark.parametrize("days", [29, 31])
def test_a_given_up_edition_goes_by_hand_to_whom_it_owed_for_30_days_then_says_they_are_forgotten(
    tmp_path: Path, days: int
) -> None:
    """Bob was greylisted until the edition was given up. The branch that stopped keeping addresses left `digest
    weekly --send` nobody to send it to: it recorded the edition "sent to nobody more". Within 30 days of giving up
    it goes to bob alone; after them it is not sent, says why in one line, and stays given up."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=READERS, maintainers=()))
    inbox = SelectiveInbox({"bob@example.org": GREYLISTED})
    try:
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, NOW)
            run_weekly_job(settings, database, GIVEN_UP_AT)
            inbox.replies.clear()
            before = len(inbox.envelopes)
            asked = send_week(
                settings, database, IsoWeek(2026, 48), GIVEN_UP_AT + timedelta(days=days), ignore_backoff=True
            )
        with database.reading() as session:
            after = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    by_hand = [envelope.rcpt_tos for envelope in inbox.envelopes[before:]]
    if days == 29:
        assert (asked.status, by_hand) == ("sent", [["bob@example.org"]]), (asked, by_hand)
        assert after is not None and (after.status, after.deferred) == ("sent", ()), after
        return
    assert by_hand == [], by_hand
    assert (asked.status, asked.message) == (
        "given-up",
        "not sent: the addresses of the 1 reader it was given up on were dropped 30 days after it was given up; the"
        " others have it",
    )
    assert after is not None and (after.status, after.given_up, after.deferred) == ("given-up", 1, ()), after


def test_a_reader_taken_off_the_recipients_is_never_sent_a_retry_and_is_no_longer_owed_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bob and Cy were greylisted; then bob was taken off `[smtp] recipients`. The retry went to Cy alone, but a retry
    that failed (the server down) left bob's address owed on record, and nothing said he was dropped. Now the next
    send drops him from those owed, says so in one line counting him, and he is never mailed."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=READERS, maintainers=()))
    inbox = SelectiveInbox({"bob@example.org": GREYLISTED, "cy@example.org": GREYLISTED})
    fewer = make_settings(
        settings.data_dir, config(port, recipients=("ann@example.org", "cy@example.org"), maintainers=())
    )
    path = settings.data_dir / "digest.sqlite3"
    try:
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, NOW)
        with caplog.at_level(logging.INFO):
            unreachable = run_weekly_job(fewer, database, NOW + timedelta(minutes=30))  # no server listening
        with sqlite3.connect(path) as connection:
            owed_then = connection.execute("SELECT deferred FROM weekly_digests WHERE week = '2026-W48'").fetchall()
        inbox.replies.clear()
        with smtp_server(inbox, port):
            done = run_weekly_job(fewer, database, NOW + timedelta(hours=2))
    finally:
        database.dispose()
    assert [o.status for o in unreachable.emails] == ["failed"], unreachable
    assert owed_then == [('["cy@example.org"]',)], owed_then
    dropped = [record.getMessage() for record in caplog.records if "no longer in the recipients" in record.getMessage()]
    assert dropped == [
        "weekly 2026-W48 readers: 1 reader owed it is no longer in the recipients setting: not sent to them, and no"
        " longer owed"
    ], dropped
    assert [o.status for o in done.emails] == ["sent"], done
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [["ann@example.org"], ["cy@example.org"]]


@pytest.mark.parametrize("days", [29, 31])
def test_an_edition_refused_for_good_goes_by_hand_to_whom_it_owed_for_30_days_then_says_they_are_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, days: int
) -> None:
    """The first batch went out and the server refused the second's message for good (554): the edition is refused,
    owed to the seven of the second batch for a send by hand once the cause is fixed. Their addresses were kept with
    no time limit. Now they are kept 30 days from the refusal, as a given-up edition's are: within them the send by
    hand goes to them alone; after them it is not sent, says why in one line, and the edition stays refused."""
    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 5)
    port = free_port()
    readers = tuple(f"reader{number:02d}@example.org" for number in range(12))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    fixed = Inbox()
    try:
        with smtp_server(SecondMessageRefusingInbox(), port):
            run_weekly_job(settings, database, NOW)
        with database.reading() as session:
            refused = week_state(session, "2026-W48", "readers")
        with smtp_server(fixed, port):
            asked = send_week(settings, database, IsoWeek(2026, 48), NOW + timedelta(days=days), ignore_backoff=True)
        with database.reading() as session:
            after = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert refused is not None and (refused.status, refused.deferred) == ("refused", readers[5:]), refused
    by_hand = [envelope.rcpt_tos for envelope in fixed.envelopes]
    if days == 29:
        assert asked.status == "sent" and sorted(a for rcpts in by_hand for a in rcpts) == list(readers[5:]), by_hand
        assert after is not None and (after.status, after.deferred) == ("sent", ()), after
        return
    assert by_hand == [], by_hand
    assert (asked.status, asked.message) == (
        "refused-forgotten",
        "not sent: the addresses of the 7 readers it was still owed were dropped 30 days after it was refused for"
        " good; the others have it",
    )
    assert after is not None and (after.status, after.given_up, after.deferred) == ("refused", 7, ()), after


def _refused_then_claimed_by_a_killed_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Settings, Database, datetime]:
    """The readers' edition of 2026-W48 refused for good after its first batch (seven readers owed it), then claimed
    by a `digest weekly --send` killed mid-send; returns when its claim is stale, 31 days after the refusal, when
    whom it owed is past keeping."""
    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 5)
    port = free_port()
    readers = tuple(f"reader{number:02d}@example.org" for number in range(12))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    later = NOW + timedelta(days=31)
    with smtp_server(SecondMessageRefusingInbox(), port):
        run_weekly_job(settings, database, NOW)
    with database.transaction() as session:  # as the killed send by hand left it
        row = session.get(WeeklyDigest, ("2026-W48", "readers"))
        assert row is not None and row.status == "refused", row
        row.status, row.last_attempt_at = "sending", later - timedelta(hours=2)
    return settings, database, later


def test_the_job_says_an_edition_refused_for_good_whose_readers_were_dropped_is_not_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A `digest weekly --send` of the refused edition, killed mid-send, left it claimed; the job took the stale claim
    31 days after the refusal, when whom it owed had been dropped, and sent nothing. Its one line said "2026-W48
    readers' edition given-up": an internal label, and that of an edition given up, which this one was not. The job
    does not take such a claim (an edition refused for good is not its to send): its log says the edition stays
    refused for good, and its one line does not name it."""
    settings, database, later = _refused_then_claimed_by_a_killed_send(tmp_path, monkeypatch)
    caplog.set_level(logging.INFO, logger="digest.weekly")
    try:
        with smtp_server(Inbox(), settings.smtp.port):
            result = run_weekly_job(settings, database, later)
    finally:
        database.dispose()
    assert (
        "weekly: 2026-W48 readers: a send of it was killed mid-send (its claim lapsed): it stays refused for good as"
        " before" in caplog.messages
    ), caplog.messages
    assert "2026-W48" not in str(result) and "given-up" not in str(result), str(result)


def test_an_edition_refused_for_good_whose_readers_were_dropped_stays_refused_when_the_job_takes_its_stale_claim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Taking over the killed send's stale claim, the job sent nothing (whom the edition owed was dropped) and handed
    it back as failed, not refused: the service ran the job again at once, and each run said "not sent (refused for
    good)" again, until the week was old enough to give up. It stays refused: no run names it, the service schedules
    no retry for it, and a send by hand says in one line why it sends nothing."""
    from digest.weekly.store import unsent_retry_at

    settings, database, later = _refused_then_claimed_by_a_killed_send(tmp_path, monkeypatch)
    inbox = Inbox()
    try:
        with smtp_server(inbox, settings.smtp.port):
            first = run_weekly_job(settings, database, later)
            retry_at = unsent_retry_at(database, later)
            second = run_weekly_job(settings, database, later + timedelta(hours=1))
            mailed = len(inbox.envelopes)  # the week just over's edition, sent by the first run
            asked = send_week(settings, database, IsoWeek(2026, 48), later + timedelta(hours=2), ignore_backoff=True)
        with database.reading() as session:
            after = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert "2026-W48 readers" not in str(first), str(first)  # the stale claim left as the edition was: refused
    assert "2026-W48 readers" not in str(second), str(second)
    assert retry_at is None, retry_at
    assert after is not None and (after.status, after.given_up, after.deferred) == ("refused", 7, ()), after
    assert (asked.status, asked.message) == (
        "refused-forgotten",
        "not sent: the addresses of the 7 readers it was still owed were dropped 30 days after it was refused for"
        " good; the others have it",
    )
    assert len(inbox.envelopes) == mailed, inbox.envelopes[mailed:]


@pytest.mark.asyncio
async def test_a_poll_drops_the_addresses_an_edition_given_up_or_refused_owed_once_their_30_days_are_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edition given up (bob greylisted) and one refused for good after it reached some owe readers. Their
    addresses were dropped only by the weekly job, up to a week after their 30 days. The poll, run each weekday,
    drops them too: a poll on day 29 keeps them, one on day 31 leaves no owed address in the database."""
    from digest.arxiv.poll_pass import run_poll
    from tests.arxiv_server import ArxivServer, FakeClock
    from tests.service_runs import one_feed_config

    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=READERS, maintainers=()))
    path = settings.data_dir / "digest.sqlite3"
    try:
        with smtp_server(SelectiveInbox({"bob@example.org": GREYLISTED}), port):
            run_weekly_job(settings, database, NOW)
        # W48 given up; the missed W49 reaches ann and bob in a first message, and the second's, cy's, is refused.
        monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 2)
        with smtp_server(SecondMessageRefusingInbox(), port):
            run_weekly_job(settings, database, GIVEN_UP_AT)
        owed_at: dict[int, list[tuple[str, str, str]]] = {}
        async with ArxivServer() as arxiv:
            polling = make_settings(settings.data_dir, one_feed_config(arxiv))
            for day in (29, 31):
                await run_poll(polling, database, clock=FakeClock(GIVEN_UP_AT + timedelta(days=day)))
                owed_at[day] = owed_rows(path)
    finally:
        database.dispose()
    assert owed_at[29] == [
        ("2026-W48", "given-up", '["bob@example.org"]'),
        ("2026-W49", "refused", '["cy@example.org"]'),
    ]
    assert owed_at[31] == [("2026-W48", "given-up", "[]"), ("2026-W49", "refused", "[]")], owed_at


def owed_rows(path: Path) -> list[tuple[str, str, str]]:
    """The readers' editions of 2026-W48 and W49 as the SQLite file holds them: week, status and whom each owes."""
    with sqlite3.connect(path) as connection:
        query = "SELECT week, status, deferred FROM weekly_digests WHERE week IN ('2026-W48', '2026-W49')"
        return connection.execute(f"{query} AND edition = 'readers' ORDER BY week").fetchall()


def test_a_given_up_edition_sent_by_hand_to_some_then_given_up_again_keeps_whom_it_owes_30_days_from_the_first(
    tmp_path: Path,
) -> None:
    """Bob and Cy were greylisted until W48 was given up. A send by hand the next day reached Cy, Bob greylisted
    still, leaving it failed; the job gave it up again the day after, and the 30 days his address is kept started
    again then: a send by hand 31 days after the first giving up still mailed him. It says he was dropped."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=READERS, maintainers=()))
    inbox = SelectiveInbox({"bob@example.org": GREYLISTED, "cy@example.org": GREYLISTED})
    try:
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, NOW)
            run_weekly_job(settings, database, GIVEN_UP_AT)
            del inbox.replies["cy@example.org"]
            partly = send_week(
                settings, database, IsoWeek(2026, 48), GIVEN_UP_AT + timedelta(days=1), ignore_backoff=True
            )
            run_weekly_job(settings, database, GIVEN_UP_AT + timedelta(days=2))
            inbox.replies.clear()
            before = len(inbox.envelopes)
            asked = send_week(
                settings, database, IsoWeek(2026, 48), GIVEN_UP_AT + timedelta(days=31), ignore_backoff=True
            )
        with database.reading() as session:
            after = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert partly.status == "partly-sent", partly
    by_hand = [envelope.rcpt_tos for envelope in inbox.envelopes[before:]]
    assert by_hand == [], by_hand
    assert (asked.status, asked.message) == (
        "given-up",
        "not sent: the addresses of the 1 reader it was given up on were dropped 30 days after it was given up; the"
        " others have it",
    )
    assert after is not None and (after.status, after.deferred, after.kept_since) == ("given-up", (), GIVEN_UP_AT)
