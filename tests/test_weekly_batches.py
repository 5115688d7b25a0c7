"""The readers' edition goes out in batches of recipients, one message each over one connection; what a server says
in the middle of that: "too many recipients" (452) after a few RCPTs, "closing" (421) mid-batch, and a 5xx refusal
of the message (DATA) after earlier batches went out. Each test drives the real weekly job (or the real command)
against aiosmtpd on loopback and a real SQLite file, with batches of five (the mailer's fifty, made small)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.weekly import mailer
from digest.weekly.ledger import week_state
from digest.weekly.store import run_weekly_job, unsent_retry_at
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import (
    NOW,
    SecondMessageRefusingInbox,
    SelectiveInbox,
    config,
    done_with_a_day_before,
    served_week,
    weekly_job_mail,
)

READERS = tuple(f"reader{number:02d}@example.org" for number in range(12))


def by_hand(settings: Settings) -> str:
    """The send by hand a line names: the service's own invocation (its settings file and data folder), not a bare
    `digest`, which run from a shell elsewhere reads ./data there."""
    return same_invocation(settings, "weekly", "--week", "2026-W48", "--edition", "readers", "--send")


@pytest.fixture(autouse=True)
def batches_of_five(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 5)


def delivered(inbox: Inbox) -> list[str]:
    """Every recipient the server took a message for, as often as it did."""
    return sorted(address for envelope in inbox.envelopes for address in envelope.rcpt_tos)


class ThreePerMessageInbox(Inbox):
    """Takes three recipients a message and answers the next '452 4.5.3 Too many recipients' (RFC 5321 4.5.3.1.10);
    a full mailbox is answered 452 too, from the first RCPT of a message on."""

    full: str = "reader07@example.org"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address == self.full:
            return f"452 4.2.2 <{address}>: mailbox full"
        if len(envelope.rcpt_tos) >= 3:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_recipients_past_a_servers_limit_go_in_the_next_message_not_owed_for_hours(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The server takes three recipients a message: two of each batch of five were answered 452 'too many recipients'
    and recorded as refused for now, so a third of the readers got the week hours later, at the back-off, and the log
    warned of refusals. They go in the next message at once; a reader whose mailbox is full (a 452 of its own) is
    still the one owed it."""
    port = free_port()
    inbox = ThreePerMessageInbox()
    _, first = weekly_job_mail(tmp_path, port, config(port, recipients=READERS, maintainers=()), inbox)
    assert delivered(inbox) == sorted(set(READERS) - {inbox.full}), delivered(inbox)
    (outcome,) = first.emails
    assert outcome.status == "partly-sent", outcome
    assert "refused for now: reader07@example.org: 452 4.2.2 <reader07@example.org>: mailbox full;" in outcome.message
    assert "Too many recipients" not in outcome.message and "Too many recipients" not in caplog.text
    assert len({str(message["Message-ID"]) for message in inbox.messages}) == 1


class ClosingMidBatchInbox(Inbox):
    """Answers the RCPT after the `after`-th recipient it took '421 closing' (a server shutting down, a rate limit),
    once, and smtplib drops the connection: the batch in flight never reaches DATA. Later connections are served."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after, self.taken, self.closed = after, 0, False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.taken == self.after and not self.closed:
            self.closed = True
            return "421 4.3.2 Service shutting down, closing transmission channel"
        self.taken += 1
        return await super().handle_RCPT(server, session, envelope, address, options)


@pytest.mark.parametrize(("after", "reached"), [(2, 0), (7, 5)], ids=["first-batch", "later-batch"])
def test_a_server_closing_mid_batch_leaves_the_rest_owed_with_a_back_off_and_nobody_mailed_twice(
    tmp_path: Path, after: int, reached: int, caplog: pytest.LogCaptureFixture
) -> None:
    """A 421 in the middle of a batch: its recipients taken before it never got the message (no DATA went). Those not
    sent are owed it, retried at the back-off, said so (not sent, not 'refused'); who has it is not sent it again. In
    the first batch, the send went on to the next batch on the closed connection and said only 'please run connect()
    first'."""
    port = free_port()
    inbox = ClosingMidBatchInbox(after)
    with served_week(tmp_path, port, config(port, recipients=READERS, maintainers=()), inbox) as (settings, database):
        first = run_weekly_job(settings, database, NOW)
        got_first = delivered(inbox)
        retry = run_weekly_job(settings, database, NOW + timedelta(hours=3))
    assert got_first == sorted(READERS[:reached]), got_first
    (outcome,) = first.emails
    assert outcome.retry_at == NOW + timedelta(minutes=30), outcome
    assert "not sent: the server closed the connection" in outcome.message, outcome.message
    assert "refused" not in outcome.message, outcome.message
    assert "421 4.3.2 Service shutting down" in outcome.message and "connect()" not in caplog.text, outcome.message
    assert [o.status for o in retry.emails] == ["sent"], retry.emails
    assert delivered(inbox) == sorted(READERS), delivered(inbox)


def test_a_message_refused_for_good_after_an_earlier_batch_is_not_retried_for_weeks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first batch went out, the server refused the second's message with 554: the other readers were recorded
    'not yet sent' and the same message tried at every back-off for four weeks, refused each time. They are recorded
    refused with the server's reply, not retried; the maintainer is told in one line with the command that sends it
    to them once fixed, and that command does not mail the first batch again."""
    port = free_port()
    inbox = SecondMessageRefusingInbox()
    with served_week(tmp_path, port, config(port, recipients=READERS, maintainers=()), inbox) as (settings, database):
        first = run_weekly_job(settings, database, NOW)
        a_day_later = run_weekly_job(settings, database, NOW + timedelta(days=1))
        with database.reading() as session:
            found = week_state(session, "2026-W48", "readers")
        done_with_a_day_before(database, NOW)  # the command reads the real clock: within 30 days, whom it owes is kept
    assert delivered(inbox) == sorted(READERS[:5])
    (outcome,) = first.emails
    assert outcome.retry_at is None and first.retry_at is None, outcome
    said = (
        "sent to 5 recipients; refused for good: reader05@example.org, reader06@example.org, reader07@example.org and"
        " 4 more: 554 5.7.1 message rejected: policy violation; a refusal for good, not retried: fix its cause,"
        f" then `{by_hand(settings)}` sends it"
    )
    assert outcome.message.startswith(said), outcome.message
    assert [record.getMessage().count("\n") for record in caplog.records if said in record.getMessage()] == [0]
    assert found is not None and (found.status, found.next_attempt_at) == ("refused", None), found
    assert found.deferred == READERS[5:] and found.reached == 5
    assert [o.status for o in a_day_later.emails] == ["failed"], a_day_later.emails
    fixed = Inbox()
    send = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(tmp_path / "data")]
    with smtp_server(fixed, port):
        assert main([*send, "weekly", "--week", "2026-W48", "--edition", "readers", "--send"]) == 0
    assert delivered(fixed) == sorted(READERS[5:]), capsys.readouterr()


class SecondMessageRefusingSelectiveInbox(SelectiveInbox, SecondMessageRefusingInbox):
    """Refuses the second message for good, and answers the recipients in `replies` as told (none at first)."""


def test_a_partly_refused_edition_sent_by_hand_that_every_reader_refuses_for_now_stays_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The second batch's message refused for good, the maintainer sent the edition by hand to the readers it was
    owed, and the server greylisted every one of them: the command said "sent to nobody more; refused for now ...
    next attempt for them at ..." and exited 0, and the edition went back on the job's back-off as if the service had
    sent it, the job mailing them hours later unasked. Expected: one line saying nothing was sent and the edition
    stays refused, as a send by hand that reaches nobody leaves it (README); the job sends it to nobody."""
    port = free_port()
    owed = READERS[5:]
    inbox = SecondMessageRefusingSelectiveInbox({})
    send = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(tmp_path / "data")]
    send += ["weekly", "--week", "2026-W48", "--edition", "readers", "--send"]
    with served_week(tmp_path, port, config(port, recipients=READERS, maintainers=()), inbox) as (settings, database):
        run_weekly_job(settings, database, NOW)
        done_with_a_day_before(database, NOW)  # the command reads the real clock: within 30 days, whom it owes is kept
        inbox.replies = {address: "451 4.7.1 Greylisted, please try again later" for address in owed}
        assert main(send) == 1
        with database.reading() as session:
            kept = week_state(session, "2026-W48", "readers")
        retry_on_start = unsent_retry_at(database, NOW + timedelta(days=1))
        inbox.replies = {}
        a_day_later = run_weekly_job(settings, database, NOW + timedelta(days=1))
    said = capsys.readouterr()
    assert "sent" not in said.out and said.err.count("\n") == 1, said
    assert said.err.startswith(f"digest: 2026-W48: email not sent: the SMTP server 127.0.0.1:{port} refused every"), (
        said
    )
    assert said.err.endswith(
        f"; nothing was sent: the edition stays refused as before, not retried (`{by_hand(settings)}` tries again)\n"
    ), said.err
    assert kept is not None and (kept.status, kept.next_attempt_at, kept.deferred) == ("refused", None, owed), kept
    assert kept.reached == 5 and retry_on_start is None
    assert [o.status for o in a_day_later.emails] == ["failed"], a_day_later.emails
    assert delivered(inbox) == sorted(READERS[:5]), delivered(inbox)


# Given up, the edition keeps the addresses of those it was owed to for 30 days (ledger.GIVEN_UP_KEPT_FOR): by hand
# within them, it is sent to them alone.
@pytest.mark.parametrize("left", ["refused", "given-up"])
def test_a_send_by_hand_that_every_reader_still_owed_refuses_for_good_leaves_them_owed(
    tmp_path: Path, left: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Five readers had the edition and the other seven were owed it (the second message refused for good, or they
    were greylisted until the week was given up); the maintainer sent it by hand and the server answered 550 for each
    of the seven. The command said 'sent to nobody more: refused for good: ...', exited 0, and the edition was
    recorded sent, the seven owed nothing. Expected: one line saying it was not sent and how to send it once the
    cause is fixed, exit 1, as when they are refused for now; the seven stay owed it (refused, not retried by the
    job), and the send by hand after the fix reaches them alone."""
    port = free_port()
    owed = READERS[5:]
    inbox: SelectiveInbox = SecondMessageRefusingSelectiveInbox({})
    if left == "given-up":
        inbox = SelectiveInbox({address: "451 4.7.1 Greylisted, please try again later" for address in owed})
    later = NOW + timedelta(weeks=5 if left == "given-up" else 0, days=1)  # five weeks on: older than the four kept
    send = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(tmp_path / "data")]
    send += ["weekly", "--week", "2026-W48", "--edition", "readers", "--send"]
    with served_week(tmp_path, port, config(port, recipients=READERS, maintainers=()), inbox) as (settings, database):
        run_weekly_job(settings, database, NOW)
        if left == "given-up":
            run_weekly_job(settings, database, later - timedelta(days=1))
        # `digest weekly --send` reads the real clock, the job the test's: given up (or refused) a day before both,
        # whatever today is (on the job's clock alone, 2027-01-04, its 30 days ran out here on 2027-02-03).
        done_with_a_day_before(database, later)
        with database.reading() as session:
            before = week_state(session, "2026-W48", "readers")
        capsys.readouterr()
        inbox.replies = {address: f"550 5.1.1 <{address}>: no such user" for address in owed}
        assert main(send) == 1
        said = capsys.readouterr()
        with database.reading() as session:
            kept = week_state(session, "2026-W48", "readers")
        run_weekly_job(settings, database, later)
    fixed = Inbox()
    with smtp_server(fixed, port):
        assert main(send) == 0
    assert before is not None and before.status == left, before
    assert "sent" not in said.out and said.err.count("\n") == 1, said
    assert said.err.startswith(f"digest: 2026-W48: email not sent: the SMTP server 127.0.0.1:{port} refused every"), (
        said.err
    )
    named = "reader05@example.org, reader06@example.org, reader07@example.org and 4 more: 550 5.1.1 <…>: no such user"
    assert named in said.err, said.err
    assert said.err.endswith(
        f"; a refusal for good, not retried: fix its cause, then `{by_hand(settings)}` sends it\n"
    ), said.err
    assert kept is not None and (kept.status, kept.next_attempt_at, kept.deferred) == ("refused", None, owed), kept
    assert kept.reached == 5
    assert not set(owed) & set(delivered(inbox)) and delivered(fixed) == sorted(owed), delivered(fixed)
