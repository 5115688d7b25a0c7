"""The weekly email's remaining refusal cases: every reader refused at the first send, some for good (5xx) and some for
now (4xx); a send by hand of a refused edition that reaches nobody (the server unreachable, a stop); and the one log
line a refusal partway through a send gets. Each test drives the real weekly job (or the real command) against
aiosmtpd on loopback and a real SQLite file."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.config.invocation import digest_command
from digest.service.wiring import open_service_database
from digest.weekly.ledger import week_state
from digest.weekly.store import run_weekly_job, send_week, unsent_retry_at
from digest.weekly.weeks import IsoWeek
from tests.conftest import make_settings
from tests.smtp_server import Credentials, Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import NOW, READER, SelectiveInbox, config, setup

A, B, C = "a@example.org", "b@example.org", "c@example.org"
GREYLISTED = "451 4.7.1 Greylisted, please try again later"


def test_a_first_send_refused_for_good_to_some_and_for_now_to_others_retries_only_those_refused_for_now(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every reader refused at the first send, a for good (550 no such user), b and c for now (greylisted): the week
    was recorded failed as a whole and the retry went to all three, a included. Expected: a is done with (never
    asked again), the retry goes to b and c alone, and c, which has it after the first retry, gets no second copy."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=(A, B, C), maintainers=()))
    inbox = SelectiveInbox({A: "550 5.1.1 <a@example.org>: no such user", B: GREYLISTED, C: GREYLISTED})
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
            inbox.replies = {B: GREYLISTED}  # a (were it asked) and c are taken now
            retry = run_weekly_job(settings, database, NOW + timedelta(minutes=30))
            inbox.replies = {}
            last = run_weekly_job(settings, database, NOW + timedelta(hours=2))
            later = run_weekly_job(settings, database, NOW + timedelta(days=1))
        with database.reading() as session:
            done = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    (outcome,) = first.emails
    assert (outcome.status, outcome.retry_at) == ("failed", NOW + timedelta(minutes=30)), outcome
    assert outcome.message.endswith(
        f"{GREYLISTED}; next attempt for b@example.org, c@example.org (refused for now) at 2026-11-30 07:30 UTC; not"
        " for a@example.org (refused for good)"
    ), outcome.message
    assert "a@example.org: 550 5.1.1 <a@example.org>: no such user" in outcome.message
    assert caplog.text.count("no such user") == 1, caplog.text  # one line for the event
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [[C], [B]]
    assert [o.status for o in retry.emails] == ["partly-sent"], retry.emails
    assert [o.status for o in last.emails] == ["sent"], last.emails
    assert [o.status for o in later.emails] == ["already-sent"], later.emails
    assert done is not None and (done.status, done.deferred, done.reached) == ("sent", (), 2), done


def refused_edition(tmp_path: Path, port: int) -> list[str]:
    """The readers' edition of 2026-W48 refused for good by the weekly job (550 to its one reader): the command that
    sends it by hand."""
    settings, database = setup(tmp_path, config(port, maintainers=()))
    try:
        with smtp_server(SelectiveInbox({READER: "550 5.1.1 <reader@example.org>: no such user"}), port):
            (outcome,) = run_weekly_job(settings, database, NOW).emails
    finally:
        database.dispose()
    assert outcome.status == "failed" and outcome.retry_at is None, outcome
    where = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(tmp_path / "data")]
    return [*where, "weekly", "--week", "2026-W48", "--edition", "readers", "--send"]


def stays_refused(tmp_path: Path) -> str:
    """What a send by hand that reached nobody leaves of a refused edition, its command the service's own invocation
    (the settings file and data folder refused_edition names), not a bare `digest` that reads ./data elsewhere."""
    command = digest_command(
        "weekly", "--week", "2026-W48", "--edition", "readers", "--send",
        config=tmp_path / "data-config.toml", data_dir=tmp_path / "data",
    )  # fmt: skip
    return f"the edition stays refused as before, not retried (`{command}` tries again)"


def test_a_refused_edition_sent_by_hand_that_reaches_nobody_stays_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest weekly --send` of a refused edition, with the SMTP server unreachable (or stopped before any mail went
    out), recorded it failed: the weekly job then retried it every few hours, as if the refusal had never been.
    Expected: the command says in one line that nothing was sent and the edition stays refused; the job does not
    send it."""
    port = free_port()
    send = refused_edition(tmp_path, port)
    assert main(send) == 1  # nothing listens on the port
    said = capsys.readouterr().err
    assert said == (
        f"digest: 2026-W48: email not sent: cannot reach the SMTP server 127.0.0.1:{port} (none): Connection refused;"
        f" nothing was sent: {stays_refused(tmp_path)}\n"
    ), said
    settings = make_settings(tmp_path / "data", config(port, maintainers=()))
    database = open_service_database(settings)  # the week is filled already
    stop = threading.Event()
    stop.set()  # Ctrl-C while connecting
    inbox = Inbox()
    try:
        with smtp_server(inbox, port):
            stopped = send_week(settings, database, IsoWeek(2026, 48), NOW, ignore_backoff=True, stop=stop)
            with database.reading() as session:
                kept = week_state(session, "2026-W48", "readers")
            retry_on_start = unsent_retry_at(database, NOW + timedelta(hours=1))
            a_day_later = run_weekly_job(settings, database, NOW + timedelta(days=1))
    finally:
        database.dispose()
    assert (stopped.status, stopped.message) == (
        "stopped",
        f"the send was stopped before any mail went out: {stays_refused(tmp_path)}",
    )
    assert kept is not None and (kept.status, kept.next_attempt_at) == ("refused", None), kept
    assert kept.last_error is not None and "550 5.1.1" in kept.last_error
    assert retry_on_start is None
    assert [(o.week, o.status) for o in a_day_later.emails] == [("2026-W48", "failed")], a_day_later.emails
    assert inbox.messages == []


@pytest.mark.parametrize(
    ("reply", "said"),
    [(GREYLISTED, "refused for now"), ("550 5.1.1 <b@example.org>: no such user", "refused for good")],
    ids=["for-now", "for-good"],
)
def test_a_reader_refused_in_the_middle_of_a_send_is_one_log_line_naming_the_edition(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, reply: str, said: str
) -> None:
    """a took the week and b was refused: the log said it twice, 'the SMTP server refused some recipients: b...'
    (naming no edition) and the edition's own line. Expected: one line, naming the week, the edition and the
    server's reply, and never the password."""
    port = free_port()
    password = "s3cret-pass-2026"
    smtp = 'security = "none"\nusername = "digest-bot"\n'
    settings, database = setup(
        tmp_path, config(port, recipients=(A, B), maintainers=(), smtp=smtp), {"SMTP_PASSWORD": password}
    )
    login = Credentials("digest-bot", password)
    try:
        with smtp_server(SelectiveInbox({B: reply}), port, authenticator=login, auth_require_tls=False):
            caplog.set_level(logging.INFO)
            (outcome,) = run_weekly_job(settings, database, NOW).emails
    finally:
        database.dispose()
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("digest") and B in r.getMessage()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"weekly 2026-W48 readers: email sent to {A}; {said}: {B}: {reply}"), lines[0]
    assert f"{B}: {reply}" in outcome.message and password not in caplog.text


@pytest.mark.parametrize("refused", [40, 30])
def test_readers_refused_by_a_reply_naming_each_are_named_a_few_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, refused: int
) -> None:
    """40 readers; the server refuses `refused` of them, each by a reply naming the reader ('550 5.1.1
    <r07@example.org>: no such user', as most servers word it). Every reader refused, the edition's line and the log
    named all 40, each with its reply; a few refused, the line said 'r00, r01, r02 and 27 more'. Expected: both
    alike, three named and the others counted, the reply said once."""
    port = free_port()
    readers = tuple(f"r{number:02d}@example.org" for number in range(40))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = SelectiveInbox({reader: f"550 5.1.1 <{reader}>: no such user" for reader in readers[:refused]})
    try:
        with smtp_server(inbox, port), caplog.at_level(logging.INFO):
            (outcome,) = run_weekly_job(settings, database, NOW).emails
        with database.reading() as session:
            recorded = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    counted = f"r00@example.org, r01@example.org, r02@example.org and {refused - 3} more: 550 5.1.1 <…>: no such user"
    assert counted in outcome.message, outcome.message
    on_record = f"…, …, … and {refused - 3} more: 550 5.1.1 <…>: no such user"  # the record keeps no address
    assert recorded is not None, recorded
    # Refused whole, the edition is owed them all still (by hand): its error names them as the outcome does.
    expected = counted if recorded.status == "refused" else on_record
    assert expected in (recorded.last_error or expected), recorded
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("digest"))
    for said in (outcome.message, logged):
        assert [reader for reader in readers[3:refused] if reader in said] == [], said[:600]
