"""An edition refused for good keeps the addresses of the readers it still owes 30 days from its first refusal (the
README's promise): a `digest weekly --send` by hand that the server refuses for good again, in full or after a batch,
does not start the 30 days afresh. `send_week` as the command calls it and the weekly job against aiosmtpd on
loopback, a real SQLite file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from digest.weekly import mailer
from digest.weekly.issue import IsoWeek
from digest.weekly.ledger import week_state
from digest.weekly.outcome import SendOutcome
from digest.weekly.store import run_weekly_job, send_week
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import NOW, SecondMessageRefusingInbox, SelectiveInbox, config, setup


class MessageRefusingInbox(Inbox):
    """Refuses every message for good (a policy the maintainer has not fixed yet)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "554 5.7.1 message rejected: policy violation"


@pytest.mark.parametrize("again", ["every message", "the second batch"])
def test_a_send_by_hand_refused_for_good_again_does_not_keep_the_owed_readers_past_30_days_from_the_first_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, again: str
) -> None:
    """W48's second batch was refused for good, seven readers owed it. A send by hand 20 days later was refused for
    good again (every message, or its second batch after the first went out), and the 30 days their addresses are
    kept started again: a send by hand on day 31 still mailed them. They count from the first refusal: on day 31 the
    send by hand says their addresses were dropped, and mails nobody."""
    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 5)
    port = free_port()
    readers = tuple(f"reader{number:02d}@example.org" for number in range(12))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    week = IsoWeek(2026, 48)
    inbox = Inbox()
    try:
        with smtp_server(SecondMessageRefusingInbox(), port):
            run_weekly_job(settings, database, NOW)
        refusing = MessageRefusingInbox() if again == "every message" else SecondMessageRefusingInbox()
        with smtp_server(refusing, port):
            retried = send_week(settings, database, week, NOW + timedelta(days=20), ignore_backoff=True)
        with smtp_server(inbox, port):
            asked = send_week(settings, database, week, NOW + timedelta(days=31), ignore_backoff=True)
        with database.reading() as session:
            after = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert "554 5.7.1 message rejected: policy violation" in retried.message, retried
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == []
    assert_forgotten(asked, "")
    assert after is not None and (after.status, after.deferred, after.kept_since) == ("refused", (), NOW), after


def test_a_send_by_hand_deferred_for_some_then_refused_again_keeps_the_owed_readers_30_days_from_the_first_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """W48's second batch was refused for good, seven readers owed it. A send by hand the next day reached the first
    five and was refused for now (451) by the last two, leaving it failed; one on day 20 was refused for good again.
    The first refusal was forgotten on the way, so the 30 days started again on day 20 and a send by hand on day 31
    still mailed the two. They count from the first refusal: on day 31 it says their addresses were dropped."""
    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 5)
    port = free_port()
    readers = tuple(f"reader{number:02d}@example.org" for number in range(12))
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    week = IsoWeek(2026, 48)
    greylisted = "451 4.7.1 Greylisted, please try again later"
    deferring = SelectiveInbox({address: greylisted for address in readers[10:]})
    inbox = Inbox()
    try:
        with smtp_server(SecondMessageRefusingInbox(), port):
            run_weekly_job(settings, database, NOW)
        with smtp_server(deferring, port):
            partly = send_week(settings, database, week, NOW + timedelta(days=1), ignore_backoff=True)
        with smtp_server(MessageRefusingInbox(), port):
            refused = send_week(settings, database, week, NOW + timedelta(days=20), ignore_backoff=True)
        with smtp_server(inbox, port):
            asked = send_week(settings, database, week, NOW + timedelta(days=31), ignore_backoff=True)
        with database.reading() as session:
            after = week_state(session, "2026-W48", "readers")
    finally:
        database.dispose()
    assert [envelope.rcpt_tos for envelope in deferring.envelopes] == [list(readers[5:10])], partly
    assert "554 5.7.1 message rejected: policy violation" in refused.message, refused
    assert [envelope.rcpt_tos for envelope in inbox.envelopes] == []
    assert_forgotten(asked, "2 ")
    assert after is not None and (after.status, after.deferred, after.kept_since) == ("refused", (), NOW), after


def assert_forgotten(asked: SendOutcome, count: str) -> None:
    """The send by hand on day 31 answered that the readers it still owed were forgotten, and mailed nobody."""
    assert asked.status == "refused-forgotten", asked
    assert asked.message.startswith(f"not sent: the addresses of the {count}")
    assert asked.message.endswith(
        " it was still owed were dropped 30 days after it was refused for good; the others have it"
    )
