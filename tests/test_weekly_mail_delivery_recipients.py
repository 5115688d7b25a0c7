"""The weekly email to many readers: a reader greylisted or refused for good, more readers than a server takes in
one message, a server closing mid-list, and a log that does not carry every reader's address.

Every test drives the real weekly job (or the real command) against a real aiosmtpd server on loopback and a
real SQLite file in a temporary data folder; nothing of the product is mocked."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from digest.storage.state import WeeklyDigest
from digest.weekly.ledger import week_state
from digest.weekly.store import run_weekly_job
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import (
    NOW,
    READER,
    CappedInbox,
    ClosingInbox,
    SelectiveInbox,
    config,
    setup,
    weekly_job_mail,
)

# 5. A temporary refusal of one reader is treated as final: that reader never gets the week.


def test_a_reader_greylisted_at_rcpt_gets_the_week_on_a_later_attempt(tmp_path: Path) -> None:
    """Three readers; the server answers 451 4.7.1 (greylisting, 'try again later') for one. The week is marked
    'sent' to the other two and the 451 is kept as a final refusal: no later attempt, by the job or by
    `digest weekly --send`, ever delivers it to that reader."""
    port = free_port()
    readers = ("a@example.org", "b@example.org", "c@example.org")
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = SelectiveInbox({"b@example.org": "451 4.7.1 Greylisted, please try again later"})
    try:
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, NOW)
            inbox.replies.clear()  # greylisting over: the server takes b now
            run_weekly_job(settings, database, NOW + timedelta(hours=1))
            run_weekly_job(settings, database, NOW + timedelta(days=1))
    finally:
        database.dispose()
    delivered = [address for envelope in inbox.envelopes for address in envelope.rcpt_tos]
    assert sorted(delivered) == sorted(readers), delivered


def test_a_greylisted_reader_is_owed_the_week_on_record_and_the_retry_goes_to_them_alone(tmp_path: Path) -> None:
    port = free_port()
    readers = ("a@example.org", "b@example.org", "c@example.org")
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = SelectiveInbox({"b@example.org": "451 4.7.1 Greylisted, please try again later"})
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
            with database.reading() as session:
                owed = week_state(session, "2026-W48", "readers")
                kept = session.get(WeeklyDigest, ("2026-W48", "readers"))
                assert kept is not None
                had = kept.reached_count
            inbox.replies.clear()
            second = run_weekly_job(settings, database, NOW + timedelta(minutes=30))
            with database.reading() as session:
                done = week_state(session, "2026-W48", "readers")
                kept = session.get(WeeklyDigest, ("2026-W48", "readers"))
                assert kept is not None
                has = kept.reached_count
    finally:
        database.dispose()
    (outcome,) = first.emails
    assert outcome.status == "partly-sent" and outcome.retry_at == NOW + timedelta(minutes=30), outcome
    assert "b@example.org: 451 4.7.1 Greylisted" in outcome.message
    assert owed is not None and (owed.status, owed.deferred) == ("failed", ("b@example.org",)), owed
    assert had == 2
    assert [o.status for o in second.emails] == ["sent"]
    assert done is not None and (done.status, done.deferred, done.last_error) == ("sent", (), None), done
    assert has == 3
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [
        ["a@example.org", "c@example.org"],
        ["b@example.org"],
    ]


def test_a_greylisted_reader_written_with_a_trailing_space_is_still_sent_the_week(tmp_path: Path) -> None:
    """The settings accept ' b@example.org ' (plain_address strips to check, but _email returns the value as written),
    the mailer sends to the stripped address and records the 4xx-deferred recipient stripped ('b@example.org'); owed()
    then compares the configured ' b@example.org ' with it, finds nobody owed, and mark_delivered marks the week
    'sent' with no second attempt. (It was: one envelope only, status sent, b never got the week.)"""
    from digest.weekly.ledger import week_state
    from digest.weekly.store import run_weekly_job
    from tests.smtp_server import free_port, smtp_server
    from tests.weekly_mail_delivery import NOW as MONDAY
    from tests.weekly_mail_delivery import SelectiveInbox, config, setup

    port = free_port()
    readers = ("a@example.org", "b@example.org ")
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = SelectiveInbox({"b@example.org": "451 4.7.1 Greylisted, please try again later"})
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, MONDAY)
            inbox.replies.clear()
            run_weekly_job(settings, database, MONDAY + timedelta(minutes=30))
        with database.reading() as session:
            done = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert [o.status for o in first.emails] == ["partly-sent"]
    delivered = sorted(address for envelope in inbox.envelopes for address in envelope.rcpt_tos)
    assert delivered == ["a@example.org", "b@example.org"], (delivered, done)


def test_a_list_of_more_readers_than_a_server_takes_in_one_message_gets_the_week_at_once(tmp_path: Path) -> None:
    """250 readers: the edition went as one message with 250 RCPTs, the server took 100 and answered the rest 452
    'too many recipients', so 150 readers were owed the week and got it only on later retries (30 minutes, then an
    hour, ...), and the log warned of 150 refusals. Expected: every reader has it from the first run, none twice."""
    port = free_port()
    readers = tuple(f"reader{number:03d}@example.org" for number in range(250))
    inbox = CappedInbox()
    _, result = weekly_job_mail(tmp_path, port, config(port, recipients=readers, maintainers=()), inbox)
    assert [(outcome.week, outcome.status) for outcome in result.emails] == [("2026-W48", "sent")]
    delivered = [address for envelope in inbox.envelopes for address in envelope.rcpt_tos]
    assert sorted(delivered) == sorted(readers)
    assert len({message["Message-ID"] for message in inbox.messages}) == 1  # one edition, in several envelopes


def test_the_services_log_does_not_carry_every_readers_address(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The service logged each week 'weekly: 2026-W48: wrote ...; 2026-W48 readers: sent (sent to reader000@...,
    reader001@..., ...)': one line holding every reader's address, kept by journald and any log shipper, and read by
    whoever reads the logs. Expected: the line counts the readers (a few recipients, as a test list, are named)."""
    import asyncio

    from digest.service.weekly_job import run_weekly

    port = free_port()
    readers = tuple(f"reader{number:03d}@example.org" for number in range(12))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    try:
        with smtp_server(Inbox(), port), caplog.at_level("INFO"):
            asyncio.run(run_weekly(settings, database, NOW, None))
    finally:
        database.dispose()
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("digest"))
    assert "weekly 2026-W48 readers: email sent to 12 recipients" in logged, logged
    assert not any(address in logged for address in readers)


def test_the_services_line_for_a_weekly_job_says_each_editions_outcome_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A job with two editions logged each edition's line ('weekly 2026-W48 readers: email not sent: <the reply>
    (next attempt at ...)') and then the job's line repeating it: 'weekly: 2026-W48: wrote <path>, wrote <path>;
    2026-W48 readers: failed (<the reply>); 2026-W48 maintainers: sent (sent to ada@...)', the week three times and
    'sent (sent to' once an edition; the next job 'already-sent (already sent on ...)'. Expected: one line for the
    job, saying once what came of each edition; what an edition's own line said is not said again."""
    import asyncio

    from digest.service.weekly_job import run_weekly

    port = free_port()
    settings, database = setup(tmp_path, config(port))
    inbox = SelectiveInbox({READER: "451 4.7.1 Greylisted, please try again later"})
    try:
        with smtp_server(inbox, port), caplog.at_level("INFO"):
            asyncio.run(run_weekly(settings, database, NOW, None))
            asyncio.run(run_weekly(settings, database, NOW + timedelta(minutes=10), None))
    finally:
        database.dispose()
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("digest")]
    jobs = [line for line in lines if line.startswith("weekly: ")]
    assert jobs == [
        "weekly: 2026-W48: Markdown written; readers' edition not sent; maintainers' edition sent",
        "weekly: 2026-W48: Markdown written; readers' edition: last attempt failed; next attempt at 2026-11-30 07:30"
        " UTC; maintainers' edition: already sent on 2026-11-30 07:00 UTC",
    ], jobs
    assert len([line for line in lines if "Greylisted" in line]) == 1, lines


def test_a_server_closing_after_the_first_batch_leaves_every_later_reader_owed_the_week(tmp_path: Path) -> None:
    """120 readers go in three messages of 50, 50 and 20. The server took the first, then answered the second's first
    recipient 421 and closed the connection: the other 49 of that batch, never asked, were recorded as having the
    week, and the retry sent it to the 21 it knew were owed. Expected: the retry brings it to every reader the first
    run did not reach, and no reader gets it twice."""
    port = free_port()
    readers = tuple(f"reader{number:03d}@example.org" for number in range(120))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = ClosingInbox()
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
            retry = run_weekly_job(settings, database, NOW + timedelta(hours=3))
    finally:
        database.dispose()
    assert [outcome.status for outcome in first.emails] == ["partly-sent"]
    assert [outcome.status for outcome in retry.emails] == ["sent"]
    delivered = [address for envelope in inbox.envelopes for address in envelope.rcpt_tos]
    assert sorted(delivered) == sorted(readers)


def test_a_connection_closed_mid_list_does_not_log_every_reader_left(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """250 readers; the server closed the connection after the first batch of 50. The log then said 'the SMTP server
    refused some recipients: reader050@...: 451 ...; reader051@...: 451 ...' for all 200 readers left, twice (and
    the edition's line too): the readers' addresses the weekly log line no longer carries, in the log after all.
    Expected: one reason, a few of its recipients named, the others counted."""
    port = free_port()
    readers = tuple(f"reader{number:03d}@example.org" for number in range(250))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    try:
        with smtp_server(ClosingInbox(), port), caplog.at_level("INFO"):
            first = run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    assert [outcome.status for outcome in first.emails] == ["partly-sent"]
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("digest"))
    named = {address for address in readers if address in logged}
    # Those who have it counted; for each reply three of those left named (the 421's one reader, then the 451's).
    assert named == {*readers[50:54]} and "more" in logged, (sorted(named), logged[:600])


def test_a_greylisted_reader_refused_for_good_at_the_retry_leaves_the_week_sent_not_failing_for_weeks(
    tmp_path: Path,
) -> None:
    """Three readers; the server greylists b (451) and, at the retry that goes to b alone, refuses b for good (550 no
    such user). A 5xx refusal of one reader is final, as README says: the week is sent (a and c have it), b's
    refusal kept with it. It was: the retry counted as the whole edition failing ('refused every recipient'),
    tried again every back-off for four weeks, then given up as not sent, and never written to weekly-sent.log."""
    port = free_port()
    readers = ("a@example.org", "b@example.org", "c@example.org")
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = SelectiveInbox({"b@example.org": "451 4.7.1 Greylisted, please try again later"})
    try:
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, NOW)
            inbox.replies["b@example.org"] = "550 5.1.1 <b@example.org>: no such user"
            retry = run_weekly_job(settings, database, NOW + timedelta(minutes=30))
            later = run_weekly_job(settings, database, NOW + timedelta(days=1))
        with database.reading() as session:
            done = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    (outcome,) = retry.emails
    assert outcome.status == "sent", outcome
    assert "b@example.org: 550 5.1.1" in outcome.message and outcome.retry_at is None, outcome
    assert [o.status for o in later.emails] == ["already-sent"], later
    assert done is not None and (done.status, done.deferred) == ("sent", ()), done
    assert "…: 550 5.1.1" in (done.last_error or "")  # the reply; the address is in the log, not on record
    assert (settings.data_dir / "weekly-sent.log").read_text().startswith("2026-W48\treaders\t")
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [["a@example.org", "c@example.org"]]
