"""A `digest weekly --send` of an edition already given up or refused for good, killed mid-send, leaves its claim; the
weekly job takes the stale claim of a week past those it catches up. The 30 days the readers it owes are kept run from
when it was first given up or refused, and that stands; why a refused edition is not claimed says when they are
over. The weekly job and `send_week` against aiosmtpd on loopback, a real SQLite file."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.storage.db import Database
from digest.storage.state import WeeklyDigest
from digest.weekly import mailer
from digest.weekly.issue import IsoWeek
from digest.weekly.ledger import WeekState, week_state
from digest.weekly.store import SendOutcome, run_weekly_job, send_week
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import NOW, SecondMessageRefusingInbox, SelectiveInbox, config, setup

READERS = ("ann@example.org", "bob@example.org", "cy@example.org")
GREYLISTED = "451 4.7.1 Greylisted, please try again later"
GIVEN_UP_AT = NOW + timedelta(weeks=5)  # 2026-W48 is older than the last 4 weeks then


def by_hand(settings: Settings) -> str:
    """The send by hand a refusal's line names: the service's own invocation, run as printed on its database."""
    return same_invocation(settings, "weekly", "--week", "2026-W48", "--edition", "readers", "--send")


def killed_send_by_hand(database: Database, status: str, last_heard: datetime) -> None:
    """Leaves 2026-W48's readers' edition as a `digest weekly --send` killed mid-send leaves it: claimed from
    `status`, last heard from at `last_heard`."""
    with database.transaction() as session:
        row = session.get(WeeklyDigest, ("2026-W48", "readers"))
        assert row is not None and row.status == status, row
        row.status, row.last_attempt_at, row.attempts = "sending", last_heard, row.attempts + 1


def refused_by_the_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Settings, Database, int]:
    """Twelve readers, five a message: W48's second batch refused for good by the job at NOW (seven readers owed it).
    The settings, the database and the SMTP port."""
    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 5)
    port = free_port()
    readers = tuple(f"reader{number:02d}@example.org" for number in range(12))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    try:
        with smtp_server(SecondMessageRefusingInbox(), port):
            run_weekly_job(settings, database, NOW)
    except BaseException:
        database.dispose()
        raise
    return settings, database, port


def refused_then_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, killed_at: datetime
) -> tuple[Settings, Database, int]:
    """refused_by_the_job, then a send by hand of W48 killed at `killed_at`."""
    settings, database, port = refused_by_the_job(tmp_path, monkeypatch)
    try:
        killed_send_by_hand(database, "refused", killed_at)
    except BaseException:
        database.dispose()
        raise
    return settings, database, port


def given_up_then_sent_by_hand(
    tmp_path: Path, killed_at: datetime, job_runs: tuple[timedelta, ...], asked_at: datetime
) -> tuple[SendOutcome, WeekState | None, list[list[str]]]:
    """Bob greylisted until W48 is given up; a send by hand of it killed at `killed_at`; the job run at each of
    `job_runs` after it; then a send by hand at `asked_at`. Its answer, W48's state after it, and whom it mailed."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=READERS, maintainers=()))
    inbox = SelectiveInbox({"bob@example.org": GREYLISTED})
    try:
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, NOW)
            run_weekly_job(settings, database, GIVEN_UP_AT)
            killed_send_by_hand(database, "given-up", killed_at)
            for later in job_runs:
                run_weekly_job(settings, database, killed_at + later)
            inbox.replies.clear()
            before = len(inbox.envelopes)
            asked = send_week(settings, database, IsoWeek(2026, 48), asked_at, ignore_backoff=True)
        with database.reading() as session:
            after = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    return asked, after, [envelope.rcpt_tos for envelope in inbox.envelopes[before:]]


def test_a_given_up_editions_30_days_are_not_restarted_when_the_job_takes_a_killed_send_by_hands_claim(
    tmp_path: Path,
) -> None:
    """Bob was greylisted until W48 was given up; a send by hand of it, 29 days later, was killed. The job took its
    stale claim and gave the edition up again from then: bob's address was kept 30 more days, and a send by hand on
    day 31 still mailed him. It stays given up from the first time: on day 31 the send by hand says bob's address was
    dropped, and sends nothing."""
    killed_at = GIVEN_UP_AT + timedelta(days=29)
    asked, after, mailed = given_up_then_sent_by_hand(
        tmp_path, killed_at, (timedelta(hours=2),), GIVEN_UP_AT + timedelta(days=31)
    )
    assert mailed == []
    assert (asked.status, asked.message) == (
        "given-up",
        "not sent: the addresses of the 1 reader it was given up on were dropped 30 days after it was given up; the"
        " others have it",
    )
    assert after is not None and (after.status, after.given_up, after.deferred) == ("given-up", 1, ()), after
    assert after.kept_since == GIVEN_UP_AT, after


def test_a_given_up_editions_count_stands_when_the_job_takes_a_killed_send_by_hands_claim_after_its_30_days(
    tmp_path: Path,
) -> None:
    """A send by hand of W48 (bob greylisted until it was given up) was killed just before its 30 days were over; the
    job run 20 minutes later dropped bob's address, and the next one took the stale claim and gave it up again,
    counting the addresses left: 0. A send by hand then found nobody to name. The count stands: the send by hand
    says the 1 reader given up on was dropped, and sends nothing."""
    killed_at = GIVEN_UP_AT + timedelta(days=30, minutes=-10)
    asked, after, mailed = given_up_then_sent_by_hand(
        tmp_path, killed_at, (timedelta(minutes=20), timedelta(hours=2)), killed_at + timedelta(hours=3)
    )
    assert mailed == []
    assert (asked.status, asked.message) == (
        "given-up",
        "not sent: the addresses of the 1 reader it was given up on were dropped 30 days after it was given up; the"
        " others have it",
    )
    assert after is not None and (after.status, after.given_up, after.deferred) == ("given-up", 1, ()), after


def test_an_edition_refused_for_good_stays_refused_when_the_job_takes_a_killed_send_by_hands_claim_of_an_old_week(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """W48's second batch was refused for good, seven readers owed it; a send by hand of it was killed 36 days later,
    when W48 was past the weeks the job catches up. The job took the stale claim and gave the edition up from then:
    the seven addresses, due to be dropped 30 days after the refusal, were kept 30 more. It stays refused, its 30
    days from the refusal: the job drops them, and a send by hand says so."""
    killed_at = NOW + timedelta(days=36)
    settings, database, port = refused_then_killed(tmp_path, monkeypatch, killed_at)
    inbox = Inbox()
    try:
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, killed_at + timedelta(hours=2))
            with database.reading() as session:
                after_job = week_state(session, "2026-W48", "readers")
            before = len(inbox.envelopes)
            asked = send_week(
                settings, database, IsoWeek(2026, 48), killed_at + timedelta(hours=3), ignore_backoff=True
            )
    finally:
        database.dispose()
    assert after_job is not None and (after_job.status, after_job.deferred) == ("refused", ()), after_job
    assert (after_job.given_up, after_job.kept_since) == (7, NOW), after_job
    assert inbox.envelopes[before:] == []
    assert (asked.status, asked.message) == (
        "refused-forgotten",
        "not sent: the addresses of the 7 readers it was still owed were dropped 30 days after it was refused for"
        " good; the others have it",
    )


def test_why_an_edition_refused_for_good_is_not_claimed_says_its_readers_addresses_were_dropped_after_30_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send that cannot claim an edition refused for good (another send took it between reading and claiming)
    answered "fix its cause, then `digest weekly --send` sends it", also once the readers it owed were dropped 30 days
    after the refusal, when a send by hand reaches nobody. Within the 30 days it still says so; after them it says
    their addresses were dropped, and when."""
    from digest.weekly.outcome import not_claimed

    settings, database, port = refused_by_the_job(tmp_path, monkeypatch)
    try:
        within = not_claimed(settings, database, "2026-W48", "readers", NOW + timedelta(days=29))
        with smtp_server(Inbox(), port):  # the job 31 days on drops the addresses the refused edition owed
            run_weekly_job(settings, database, NOW + timedelta(days=31))
        after = not_claimed(settings, database, "2026-W48", "readers", NOW + timedelta(days=31, hours=1))
    finally:
        database.dispose()
    assert within.status == "failed" and within.message.endswith(
        f"fix its cause, then `{by_hand(settings)}` sends it"
    ), within
    assert after.status == "refused-forgotten", after
    assert after.message.endswith(
        "; sent to 5 recipients, refused for good for the others, not retried; their addresses were dropped 30 days"
        " after it was refused for good, on 2026-12-30 07:00 UTC"
    ), after


def test_an_edition_refused_for_good_is_not_sent_by_the_job_when_it_takes_a_killed_send_by_hands_claim_of_a_recent_week(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """W48's second batch was refused for good, seven readers owed it; a send by hand of it three days later was
    killed, W48 still among the weeks the job catches up. The job took the lapsed claim and sent it to the seven,
    though an edition refused for good is not the job's to retry. It stays refused, sent by nobody but a maintainer:
    the job mails nothing for W48, and the seven are still owed it, kept 30 days from the refusal."""
    killed_at = NOW + timedelta(days=3)
    settings, database, port = refused_then_killed(tmp_path, monkeypatch, killed_at)
    inbox = Inbox()
    try:
        with smtp_server(inbox, port):
            result = run_weekly_job(settings, database, killed_at + timedelta(hours=2))
        with database.reading() as session:
            after = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == []
    (outcome,) = result.emails  # W48 is the job's week: it says the edition is refused, as without the claim
    assert outcome.message.endswith(
        f"a refusal for good, not retried: fix its cause, then `{by_hand(settings)}` sends it"
    ), outcome
    assert after is not None and (after.status, len(after.deferred), after.kept_since) == ("refused", 7, NOW), after


def test_a_send_by_hand_that_takes_a_killed_ones_lapsed_claim_of_a_refused_edition_leaves_it_refused_when_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """W48's second batch was refused for good, seven readers owed it; a send by hand of it was killed, and another,
    two hours later (no job run between), took its lapsed claim and found the server down. It recorded W48 as failed
    (it read the claim's "sending" as the status it came from), so the job retried the edition refused for good and
    sent it to the seven. The failed send leaves it refused, as a failed send by hand of a refused edition does: the
    job mails nothing for W48, the seven are still owed it, kept 30 days from the refusal."""
    killed_at = NOW + timedelta(days=3)
    settings, database, port = refused_then_killed(tmp_path, monkeypatch, killed_at)
    inbox = Inbox()
    try:
        asked = send_week(settings, database, IsoWeek(2026, 48), killed_at + timedelta(hours=2), ignore_backoff=True)
        with database.reading() as session:
            after = week_state(session, "2026-W48", "readers")
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, killed_at + timedelta(hours=8))
    finally:
        database.dispose()
    assert asked.status == "failed" and asked.retry_at is None, asked
    assert after is not None and (after.status, after.next_attempt_at) == ("refused", None), after
    assert (len(after.deferred), after.kept_since) == (7, NOW), after
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == []
