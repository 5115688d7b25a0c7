"""Who has the weekly email and who is still owed it, as the log and the command say it for a readers' list of 40: those
who have it counted ('40 recipients'; nobody acts on them), those owed it three by name and the others counted
('r20@example.org, r21@example.org, r22@example.org and 17 more'), as the lines of the server's refusals say them;
never every address. The real weekly job and `digest weekly --send` against aiosmtpd on loopback."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.weekly.issue import IsoWeek
from digest.weekly.store import run_weekly_job, send_week
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import NOW, SelectiveInbox, config, setup

READERS = tuple(f"r{number:02d}@example.org" for number in range(40))
GREYLISTED = READERS[20:]


def named_at_most_three(text: str, addresses: tuple[str, ...]) -> bool:
    """Whether `text` names no more than the first three of `addresses` (a log that lists a readers' list does)."""
    return not any(address in text for address in addresses[3:])


def digest_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The product's log lines (aiosmtpd's own log names each RCPT it is sent)."""
    return [record.getMessage() for record in caplog.records if record.name.startswith("digest")]


def test_a_send_to_forty_readers_counts_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest weekly --send` to 40 readers answers "2026-W48: sent to 40 recipients" and logs "email sent to 40
    recipients": no reader's address in either."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=READERS, maintainers=()))
    database.dispose()
    send = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(settings.data_dir)]
    with smtp_server(Inbox(), port), caplog.at_level(logging.INFO):
        assert main([*send, "weekly", "--week", "2026-W48", "--edition", "readers", "--send"]) == 0
    out = capsys.readouterr().out
    logged = "\n".join(digest_lines(caplog))
    who = "40 recipients"
    assert f"2026-W48: sent to {who}\n" in out, out
    assert f"weekly 2026-W48 readers: email sent to {who}" in logged, logged
    assert not any(address in out + logged for address in READERS), (out, logged)


def test_an_edition_twenty_of_forty_readers_have_names_three_of_each_side(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Half of 40 readers greylisted week after week: the job waiting on them said "sent, but not yet to 20
    recipients", giving the edition up logged "went to 20 recipients; ... for the 20 the server refused for now (20
    recipients)", and a send asked of it then "sent to 20 recipients; not to 20 recipients". Those still owed it are
    named three and counted, as a refusal's line names them (a maintainer may write to them), until it is given up:
    its record keeps no address then, and counts them."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, recipients=READERS, maintainers=()))
    inbox = SelectiveInbox({address: "451 4.7.1 Greylisted, please try again later" for address in GREYLISTED})
    try:
        with smtp_server(inbox, port), caplog.at_level(logging.INFO):
            first = run_weekly_job(settings, database, NOW)
            waiting = run_weekly_job(settings, database, NOW + timedelta(minutes=10))
            for weeks in range(1, 6):
                run_weekly_job(settings, database, NOW + timedelta(weeks=weeks))
            asked = send_week(settings, database, IsoWeek(2026, 48), NOW + timedelta(weeks=6))
    finally:
        database.dispose()
    reached = "20 recipients"
    owed = "r20@example.org, r21@example.org, r22@example.org and 17 more"
    assert [o.status for o in first.emails] == ["partly-sent"], first
    assert str(waiting).endswith(f"sent, but not yet to {owed} (refused for now); next attempt for them at"
                                 " 2026-11-30 07:30 UTC"), waiting  # fmt: skip
    assert (
        f"weekly: 2026-W48 readers went to {reached}; not trying any more for the 20 the server refused for now:"
        " older than the last 4 weeks"
    ) in "\n".join(digest_lines(caplog)), digest_lines(caplog)
    given_up = f"sent to {reached}; not to 20 recipients: given up"  # their addresses are not kept any more
    assert asked.status == "given-up" and asked.message.startswith(given_up), asked
    said = [str(waiting), asked.message, *digest_lines(caplog)]
    assert all(named_at_most_three(line, READERS[:20]) and named_at_most_three(line, GREYLISTED) for line in said)
