"""The weekly digest email when a send outlasts its claim or is stopped (the service's stop, Ctrl-C by hand): who
got it is recorded, the others stay owed it, and nothing goes out twice (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.config.invocation import digest_command
from digest.storage.db import Database
from digest.weekly.store import SendOutcome, send_week
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_data import WEEK, fill_week
from tests.weekly_email import CONFIG, NOW, SlowInbox, row, smtp_config, wait_for_threads_to_end, with_smtp
from tests.weekly_email import settings as settings  # the fixture
from tests.weekly_stops import StallingInbox, stopped_mid_send, with_three_readers


def test_a_send_outlasting_the_claims_lapse_is_not_sent_again_by_hand_meanwhile(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A send takes longer than the claim's lapse (an hour; here two seconds): its claim was taken for a dead process's,
    and `digest weekly --send` (or the service's retry) sent readers the edition a second time while the first send
    was still going. The send still going keeps its claim; the hand send says a process is sending it."""
    from digest.weekly import claimrenewal, ledger

    monkeypatch.setattr(ledger, "STALE_CLAIM", timedelta(seconds=2))
    monkeypatch.setattr(claimrenewal, "CLAIM_RENEWED_EVERY", timedelta(seconds=0.2))
    monkeypatch.chdir(tmp_path)
    fill_week(database, settings)
    inbox = SlowInbox(seconds=5)
    outcomes: list[SendOutcome] = []
    with smtp_server(inbox) as port:
        config = smtp_config(tmp_path, port)
        configured = with_smtp(settings, port)
        first = threading.Thread(
            target=lambda: outcomes.append(send_week(configured, database, WEEK, datetime.now(UTC)))
        )
        first.start()
        assert inbox.arrived.wait(10)
        threading.Event().wait(3)  # past the claim's lapse, the first send still going
        base = ["--config", str(config), "--data-dir", str(settings.data_dir), "weekly", "--week", "2026-W48"]
        code = main([*base, "--edition", "readers", "--send"])
        first.join()
    _, err = capsys.readouterr()
    assert [outcome.status for outcome in outcomes] == ["sent"]
    assert len(inbox.messages) == 1, "readers got the edition twice"
    assert code == 1
    assert err.startswith("digest: 2026-W48: email not sent: a process is sending it (last heard from at "), err


def test_a_stop_during_a_send_ends_it_after_the_batch_in_flight_and_records_who_got_it(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM while the readers' list was going out in batches: the service logged "stopped" and closed the database
    while the job's thread went on mailing the other batches, recording them (or not) after the stop, or being
    killed mid-way by the service manager. The stop ends the send after the batch in flight and waits for it: the
    readers reached are on record, the others owed the edition and retried; nothing goes out after "stopped"."""
    import asyncio
    import logging

    from digest.weekly import mailer

    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 1)
    caplog.set_level(logging.INFO)
    fill_week(database, settings)
    inbox = SlowInbox(seconds=1)
    with smtp_server(inbox) as port:
        configured = with_three_readers(settings, port)

        async def stopped_then_ended() -> int:
            at_stop, job = await stopped_mid_send(configured, inbox)
            await job
            return at_stop

        before = set(threading.enumerate())
        at_stop = asyncio.run(stopped_then_ended())
        wait_for_threads_to_end(before)  # what a thread left running would still send, sent
    found = row(database)
    assert at_stop == 1 and len(inbox.messages) == 1, [envelope.rcpt_tos for envelope in inbox.envelopes]
    assert found is not None and found.status == "failed", found and found.status
    assert (found.reached_count, found.deferred) == (1, ["second@example.org", "third@example.org"])
    assert found.next_attempt_at is not None
    lines = [record.getMessage() for record in caplog.records]
    sent = next(i for i, line in enumerate(lines) if line.startswith("weekly 2026-W48 readers: email sent to"))
    assert sent < lines.index("stopped"), lines
    stopped = "451 4.3.0 not sent: the send was stopped"  # the rest are due at once: a stop backs nothing off
    assert lines[sent] == (
        f"weekly 2026-W48 readers: email sent to first@example.org; not yet sent to the others: second@example.org:"
        f" {stopped}; third@example.org: {stopped}; next attempt for them at 2026-11-30 07:00 UTC"
    )


def test_a_stop_that_cuts_a_stalled_batch_after_an_earlier_one_says_the_send_was_stopped(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop while the server said nothing to a batch after an earlier one went out: the stop shut the connection
    once the batch in flight had had its time, and the log said the readers left were "not sent after an earlier
    batch: Connection unexpectedly closed", as if the server had dropped it. It says the send was stopped; the
    readers reached are on record and the others owed the edition."""
    import asyncio
    import logging

    from digest.weekly import mailer
    from digest.weekly.connectionwatch import IN_FLIGHT_SECONDS

    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 1)
    caplog.set_level(logging.INFO)
    fill_week(database, settings)
    inbox = StallingInbox(seconds=IN_FLIGHT_SECONDS + 3)
    with smtp_server(inbox) as port:
        configured = with_three_readers(settings, port)

        async def stopped_then_ended() -> None:
            _, job = await stopped_mid_send(configured, inbox)
            await job

        asyncio.run(stopped_then_ended())
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [["first@example.org"]]
    found = row(database)
    assert found is not None and (found.reached_count, found.deferred) == (
        1,
        ["second@example.org", "third@example.org"],
    )
    lines = [record.getMessage() for record in caplog.records]
    stopped = "451 4.3.0 not sent: the send was stopped"
    assert (
        f"weekly 2026-W48 readers: email sent to first@example.org; not yet sent to the others: second@example.org:"
        f" {stopped}; third@example.org: {stopped}; next attempt for them at 2026-11-30 07:00 UTC"
    ) in lines, lines


def test_a_stop_while_the_server_has_not_answered_the_first_mail_ends_within_the_stops_grace(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A stop while the server had not yet answered the first message: the mail in flight is given time for its
    answer (IN_FLIGHT_SECONDS), which only a comment kept below the service's stop grace; were it longer, the stop
    would outlast its grace and a service manager kill the process. The stop ends within its grace, the send saying
    it was stopped with no answer, and the edition stays owed."""
    import asyncio
    import contextlib
    import logging

    from digest.arxiv.turns import STOP_GRACE_SECONDS, WIND_DOWN_SECONDS

    caplog.set_level(logging.INFO)
    fill_week(database, settings)
    inbox = SlowInbox(seconds=STOP_GRACE_SECONDS + WIND_DOWN_SECONDS + 3)  # no answer within the grace
    with smtp_server(inbox) as port:
        configured = with_smtp(settings, port)

        async def stopped_then_ended() -> None:
            _, job = await stopped_mid_send(configured, inbox)
            with contextlib.suppress(asyncio.CancelledError):  # cancelled past the grace
                await job

        asyncio.run(stopped_then_ended())  # returns once the send's thread has ended, as the process exits then
    lines = [record.getMessage() for record in caplog.records]
    assert not [line for line in lines if "did not end within the stop's grace" in line], lines
    unanswered = "the send was stopped while the server had not answered for the first mail: none is known sent"
    assert f"weekly 2026-W48 readers: {unanswered}" in lines, lines
    found = row(database)
    assert found is not None and found.status == "pending" and found.reached_count == 0, found and found.status


def test_a_stop_before_the_first_batch_sends_nothing_and_leaves_the_edition_owed(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop that came while the send was connecting or logging in: the mailer checked it only between batches, so
    the first batch (up to 50 readers) still went out after "stopped". Nothing goes out; the edition stays owed."""
    from digest.weekly import mailer

    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 1)
    fill_week(database, settings)
    readers = ("first@example.org", "second@example.org")
    stop = threading.Event()
    stop.set()
    inbox = Inbox()
    with smtp_server(inbox) as port:
        configured = with_smtp(settings, port)
        configured = configured.model_copy(update={"smtp": configured.smtp.model_copy(update={"recipients": readers})})
        outcome = send_week(configured, database, WEEK, NOW, stop=stop)
    assert inbox.envelopes == [], [envelope.rcpt_tos for envelope in inbox.envelopes]
    stopped = "the send was stopped before any mail went out: the edition is still owed"
    assert (outcome.status, outcome.message) == ("stopped", stopped)
    found = row(database)
    assert found is not None and found.status == "pending" and found.reached_count == 0, found and found.status
    assert found.next_attempt_at is None  # a stop is no failure: nothing backs off (tests/test_weekly_stops.py)


def test_ctrl_c_during_a_hand_send_ends_it_after_the_batch_in_flight_and_records_who_got_it(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C (or SIGTERM) during `digest weekly --send`: the command died in the middle of an SMTP call, the readers
    it had reached were on record nowhere and the edition stayed claimed ("sending") for an hour, then went to them all
    again. As at the service's stop, the send ends after the batch in flight: who got it is recorded, the others are
    owed it, and the command says so and exits 130."""
    import os
    import signal

    from digest.weekly import mailer

    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 1)
    monkeypatch.chdir(tmp_path)
    fill_week(database, settings)
    readers = '["first@example.org", "second@example.org", "third@example.org"]'
    inbox = SlowInbox(seconds=1)
    with smtp_server(inbox) as port:
        config = smtp_config(tmp_path, port, readers)

        def interrupt() -> None:
            assert inbox.arrived.wait(10)
            os.kill(os.getpid(), signal.SIGINT)

        interrupter = threading.Thread(target=interrupt)
        interrupter.start()
        base = ["--config", str(config), "--data-dir", str(settings.data_dir), "weekly", "--week", "2026-W48"]
        code = main([*base, "--send"])
        interrupter.join()
        threading.Event().wait(2.5)  # what a send left running would still send
    out, err = capsys.readouterr()
    assert len(inbox.messages) == 1, [envelope.rcpt_tos for envelope in inbox.envelopes]
    found = row(database)
    assert found is not None and found.status == "failed", found and found.status
    assert (found.reached_count, found.deferred) == (1, ["second@example.org", "third@example.org"])
    stopped = "451 4.3.0 not sent: the send was stopped"
    assert code == 130, (out, err)
    assert out.splitlines()[-1] == (
        f"2026-W48: readers' edition sent to first@example.org; not yet sent to the others: second@example.org:"
        f" {stopped}; third@example.org: {stopped}; next attempt for them at "
        f"{found.next_attempt_at:%Y-%m-%d %H:%M} UTC"
    ), out
    # The command run as the command was: its settings file and data folder, not a bare `digest` (./data elsewhere).
    left_over = digest_command("weekly", "--week", "2026-W48", "--send", config=config, data_dir=settings.data_dir)
    assert err.splitlines() == [
        "digest: stopping after the mail in flight: who got it is recorded, the others stay owed it (again to stop at"
        " once)",
        f"digest: interrupted: 2026-W48: the maintainers' edition was not sent (`{left_over}` sends what is left)",
    ], err


def test_ctrl_c_during_the_last_batch_of_a_hand_send_says_nothing_is_left_unsent(
    database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C while the last batch went out: every reader got the edition, and the command still ended on a bare
    "digest: interrupted", as if something were left undone. It says the send had ended and nothing is left."""
    import os
    import signal

    fill_week(database, settings)
    inbox = SlowInbox(seconds=1)
    with smtp_server(inbox) as port:
        config = tmp_path / "smtp.toml"
        config.write_text(
            CONFIG
            + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nrecipients = ["first@example.org"]\n',
            encoding="utf-8",
        )

        def interrupt() -> None:
            assert inbox.arrived.wait(10)
            os.kill(os.getpid(), signal.SIGINT)

        interrupter = threading.Thread(target=interrupt)
        interrupter.start()
        base = ["--config", str(config), "--data-dir", str(settings.data_dir), "weekly", "--week", "2026-W48"]
        code = main([*base, "--edition", "readers", "--send"])
        interrupter.join()
    out, err = capsys.readouterr()
    assert len(inbox.messages) == 1
    assert code == 130, (out, err)
    assert out.splitlines()[-1] == "2026-W48: sent to first@example.org", out
    assert err.splitlines()[-1] == "digest: interrupted after the send had ended: nothing is left unsent", err


def test_a_send_outlasting_the_stops_grace_is_said_and_still_records_who_got_it(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SMTP call stuck past the stop's grace (a slow relay): the stop moved on and logged "stopped" while the send's
    thread still ran, with nothing saying so, and the process then hung on it unexplained. The log says the send did
    not end in time and what becomes of it; it sends no further batch and records who got the edition."""
    import asyncio
    import contextlib
    import logging

    from digest.arxiv import turns
    from digest.weekly import mailer

    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 1)
    monkeypatch.setattr(turns, "STOP_GRACE_SECONDS", 0.3)  # then the wind-down (1 s): still within the 2 s reply
    caplog.set_level(logging.INFO)
    fill_week(database, settings)
    inbox = SlowInbox(seconds=2)
    with smtp_server(inbox) as port:
        configured = with_three_readers(settings, port)

        async def stopped_then_ended() -> None:
            _, job = await stopped_mid_send(configured, inbox)
            with contextlib.suppress(asyncio.CancelledError):
                await job

        asyncio.run(stopped_then_ended())  # returns once the send's thread has ended, as the process exits then
    lines = [record.getMessage() for record in caplog.records]
    assert (
        "weekly: the send did not end within the stop's grace: an SMTP call still waits on the server (up to"
        " [smtp] timeout_seconds, 10 s, for each reply); the process exits once it ends, sending no further batch"
        " and recording who got the edition"
    ) in lines, lines
    assert len(inbox.messages) == 1, [envelope.rcpt_tos for envelope in inbox.envelopes]
    found = row(database)
    assert found is not None and found.status == "failed", found and found.status
    assert (found.reached_count, found.deferred) == (1, ["second@example.org", "third@example.org"])
