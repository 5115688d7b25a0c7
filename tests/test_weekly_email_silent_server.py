"""The weekly email when the SMTP server takes the connection and then says nothing (no greeting, or nothing after
EHLO): a stop of `digest run` (SIGTERM) or Ctrl-C of `digest weekly --send` ends the send within the stop's grace, not
after [smtp] timeout_seconds, and the edition stays owed, sent at the next start (a silent server and then aiosmtpd
on one port of 127.0.0.1)."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from digest.arxiv.turns import STOP_GRACE_SECONDS, WIND_DOWN_SECONDS
from digest.config import Settings
from digest.storage.db import Database
from tests.conftest import make_settings
from tests.hanging_listener import connecting, unanswered_connects
from tests.service_runs import killed_if_running, pretend_the_machine_was_off, spawned_service, stopped, wait_started
from tests.silent_smtp import silent_smtp_server
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_data import fill_week
from tests.weekly_email import settings as settings  # the fixture

# The stop's grace, as the service gives it: every request in flight, then the wind-down (digest/arxiv/turns.py).
GRACE = STOP_GRACE_SECONDS + WIND_DOWN_SECONDS


def weekly_rows(data: Path) -> list[tuple[str, str, int, str | None]]:
    """(edition, status, readers reached, next attempt) of each edition on record."""
    with sqlite3.connect(f"file:{data / 'digest.sqlite3'}?mode=ro", uri=True) as connection:
        query = "SELECT edition, status, reached_count, next_attempt_at FROM weekly_digests ORDER BY week, edition"
        return list(connection.execute(query).fetchall())


def smtp_config(port: int) -> str:
    """[smtp] for the server on `port` with the default timeout_seconds (30 s), and a week sent even when quiet."""
    return (
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nsender = "digest@lists.example.org"\n'
        'recipients = ["readers@example.org"]\n[weekly]\nsend_quiet_week = true\n'
    )


def stopped_while_sending(tmp_path: Path, port: int, waiting: Callable[[], bool]) -> None:
    """A second `digest run` (the weekly job due) SIGTERMed once `waiting()` holds: it stops within its
    grace, exit 0, no traceback, one line saying the send was stopped before any mail went out, and the edition owed
    (pending, no back-off)."""
    service, log = spawned_service(tmp_path, "http://127.0.0.1:9/unused", web=smtp_config(port))
    try:
        assert waiting(), log.read_text(encoding="utf-8")
        started = time.monotonic()
        service.send_signal(signal.SIGTERM)
        status = service.wait(timeout=90)
        held = time.monotonic() - started
    finally:
        killed_if_running(service)
    said = log.read_text(encoding="utf-8")
    assert held < GRACE, f"the stop took {held:.1f} s (its grace: {GRACE:g} s)\n{said}"
    assert status == 0 and "Traceback" not in said and said.splitlines()[-1].endswith("stopped"), said
    stops = [line.split(": ", 1)[1] for line in said.splitlines() if "the send was stopped" in line]
    assert len(stops) == 1 and re.fullmatch(  # one line, of the edition's week (the last complete one)
        r"weekly \d{4}-W\d\d readers: the send was stopped before any mail went out", stops[0]
    ), said
    assert weekly_rows(tmp_path / "data") == [("readers", "pending", 0, None)]


@pytest.mark.parametrize("greets", [False, True], ids=["no-greeting", "silent-after-ehlo"])
def test_sigterm_while_the_smtp_server_says_nothing_stops_within_the_grace_and_the_edition_is_sent_next_start(
    tmp_path: Path, greets: bool
) -> None:
    """SIGTERM to `digest run` while its weekly job was connected to a server that took the connection and said
    nothing: the stop's grace ran out, and the process waited on for the socket's timeout ([smtp] timeout_seconds,
    30 s), which a service manager's 10 s kills. The send ends at the stop: the service stops within its grace with
    one line saying the send was stopped, the edition stays owed (neither sent nor failed), and the next start sends
    it."""
    port = free_port()
    unused = "http://127.0.0.1:9/unused"
    service, log = spawned_service(tmp_path, unused, web=smtp_config(port))
    try:
        wait_started(service, log)  # the job store made: the weekly job's slot is then moved into the past
        assert asyncio.run(stopped(service)) == 0, log.read_text(encoding="utf-8")
        pretend_the_machine_was_off(make_settings(tmp_path / "data"), "weekly")
        with silent_smtp_server(port, greets=greets) as silent:
            stopped_while_sending(tmp_path, port, lambda: (silent.heard if greets else silent.accepted).wait(60))
        inbox = Inbox()
        with smtp_server(inbox, port=port):
            service, log = spawned_service(tmp_path, unused, web=smtp_config(port))
            wait_started(service, log, " readers: email sent to readers@example.org")
            assert asyncio.run(stopped(service)) == 0, log.read_text(encoding="utf-8")
        assert [envelope.rcpt_tos for envelope in inbox.envelopes] == [["readers@example.org"]]
        assert [row[:3] for row in weekly_rows(tmp_path / "data")] == [("readers", "sent", 1)]
    finally:
        killed_if_running(service)


def test_sigterm_while_the_connect_to_the_smtp_server_has_no_answer_stops_within_the_grace_and_the_edition_is_owed(
    tmp_path: Path,
) -> None:
    """SIGTERM to `digest run` while its weekly job's connect to the server had no answer (a host that drops packets;
    here a port whose queue of connections is full): the connect went on for [smtp] timeout_seconds (30 s), past the
    stop's grace. The stop ends the connect: the service stops within its grace with one line saying the send was
    stopped, and the edition stays owed (neither sent nor failed)."""
    port = free_port()
    unused = "http://127.0.0.1:9/unused"
    service, log = spawned_service(tmp_path, unused, web=smtp_config(port))
    try:
        wait_started(service, log)
        assert asyncio.run(stopped(service)) == 0, log.read_text(encoding="utf-8")
        pretend_the_machine_was_off(make_settings(tmp_path / "data"), "weekly")
        with unanswered_connects(port):
            stopped_while_sending(tmp_path, port, lambda: connecting(port, 60))
    finally:
        killed_if_running(service)


def test_ctrl_c_of_a_hand_send_to_a_server_silent_after_ehlo_ends_it_at_once_and_the_edition_stays_owed(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C of `digest weekly --send` while the server, having greeted, said nothing after EHLO: the command said
    "stopping after the mail in flight" and went on waiting for [smtp] timeout_seconds (30 s), then recorded the
    edition failed. Nothing is in flight before the first message: the connection is shut at once, the edition stays
    owed, and the command says so and exits 130."""
    from digest.weekly.connectionwatch import IN_FLIGHT_SECONDS
    from tests.weekly_email import hand_send_interrupted, row

    monkeypatch.chdir(tmp_path)
    fill_week(database, settings)
    port = free_port()
    with silent_smtp_server(port, greets=True) as silent:
        smtp = f'host = "127.0.0.1"\nport = {port}\nsecurity = "none"\nrecipients = ["readers@example.org"]\n'
        code, held = hand_send_interrupted(smtp, settings.data_dir, silent.heard, 30)
    out, err = capsys.readouterr()
    assert held < IN_FLIGHT_SECONDS, f"Ctrl-C waited {held:.1f} s for a silent server"
    assert code == 130, (out, err)
    found = row(database)
    assert found is not None and found.status == "pending" and found.next_attempt_at is None, found and found.status
    assert "the send was stopped before any mail went out: the edition is still owed" in out + err, (out, err)
