"""The weekly email as an operator and its recipients meet it (from QA): an edition that keeps failing and its
back-off, one Message-ID per edition, catching up after an outage, an edition given up.

Every test drives the real weekly job (or the real command) against a real aiosmtpd server on loopback and a
real SQLite file in a temporary data folder; nothing of the product is mocked. Each test
failed on the code it was written against (58a592f) and states what was expected."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from digest.config.invocation import same_invocation
from digest.storage.state import WeeklyDigest
from digest.weekly.attempts import MAX_BACKOFF, backoff
from digest.weekly.ledger import claim_week, week_state
from digest.weekly.store import CATCH_UP_WEEKS, run_weekly_job
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import (
    MAINTAINER,
    NOW,
    READER,
    AcceptThenDropInbox,
    SelectiveInbox,
    config,
    done_with_a_day_before,
    refused_six_weeks_then_sent,
    sent_as_printed,
    setup,
    state,
)

# 1. One edition that keeps failing eventually crashes every weekly job, and the readers' digest stops for good.


def test_a_long_failing_edition_does_not_stop_every_later_digest(tmp_path: Path) -> None:
    """A maintainer's mailbox that stays full (452) fails the maintainers' edition once a day at most (the back-off
    tops out at a day). After 36 attempts (about five weeks), `mark_failed` computes 30 min * 2**36 as a timedelta
    and raises OverflowError: the weekly job dies at that edition on every run from then on, the row stays
    'sending', and every edition after it in the queue, the readers' digest of each new week included, is never
    sent. (Reproduced live by running the job once a day: day 36 raises, every day after too.) Here the failed row
    is left as 36 daily failures leave it."""
    port = free_port()
    settings, database = setup(tmp_path, config(port))
    with database.transaction() as session:
        session.add(WeeklyDigest(week="2026-W48", edition="readers", status="sent", attempts=1, reached_count=1))
        session.add(
            WeeklyDigest(
                week="2026-W48",
                edition="maintainers",
                status="failed",
                attempts=36,
                last_error="the SMTP server refused every recipient: ada@example.org: 452 4.2.2 mailbox full",
                next_attempt_at=NOW,
            )
        )
    inbox = SelectiveInbox({MAINTAINER: "452 4.2.2 <ada@example.org>: mailbox full"})  # refused for now
    next_monday = NOW + timedelta(days=7)  # 2026-W49 is due for readers
    try:
        with smtp_server(inbox, port):
            raised: BaseException | None = None
            try:
                run_weekly_job(settings, database, next_monday)
            except Exception as exc:  # what the scheduler would get
                raised = exc
        readers_w49 = state(database, "2026-W49", "readers")
        with database.reading() as session:
            maintainers_w48 = week_state(session, "2026-W48", "maintainers")
    finally:
        database.dispose()
    assert raised is None, f"the weekly job raised {type(raised).__name__}: {raised}"
    assert readers_w49 == ("sent", 1), readers_w49
    assert any("2026-W49" in str(message["Subject"]) for message in inbox.messages)
    assert maintainers_w48 is not None and (maintainers_w48.status, maintainers_w48.attempts) == ("failed", 37)
    assert maintainers_w48.next_attempt_at == next_monday + timedelta(days=1)  # the back-off's cap, not a crash


def test_the_back_off_doubles_then_tops_out_at_a_day_however_many_attempts() -> None:
    assert [backoff(attempts, 30) for attempts in (1, 2, 3)] == [timedelta(minutes=m) for m in (30, 60, 120)]
    assert backoff(7, 30) == backoff(37, 30) == backoff(10**9, 30) == MAX_BACKOFF
    assert backoff(1, 0) == timedelta(minutes=1) and backoff(3, 10**12) == MAX_BACKOFF


# 7. A resend after a lost reply is a different message to every recipient.


def test_a_resend_after_a_lost_reply_keeps_the_message_id(tmp_path: Path) -> None:
    """The server took the message and the connection dropped before its 250 arrived: the retry 30 minutes later
    sends it again (documented) but as a new message: a new Message-ID (and Date), so neither the recipients'
    clients nor a list server can recognise the duplicate. The week's edition should keep one Message-ID."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, maintainers=()))
    inbox = AcceptThenDropInbox()
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
            second = run_weekly_job(settings, database, NOW + timedelta(minutes=31))
    finally:
        database.dispose()
    assert [o.status for o in first.emails] == ["failed"] and [o.status for o in second.emails] == ["sent"]
    assert len(inbox.messages) == 2
    assert inbox.messages[0]["Message-ID"] == inbox.messages[1]["Message-ID"], [
        str(m["Message-ID"]) for m in inbox.messages
    ]
    assert str(inbox.messages[0]["Message-ID"]).startswith("<2026-W48.readers.")
    assert str(inbox.messages[0]["Message-ID"]).endswith("@lists.example.org>")


# 8. Weeks that failed pile up and all go out at once.


def test_readers_do_not_get_a_pile_of_stale_digests_after_an_outage(tmp_path: Path) -> None:
    """The relay refuses the digest for six Mondays (a relay down or over its quota: a 451). When it works
    again the next job sends every failed week at once, the oldest six weeks old: seven digests in one go. A
    service that was down instead sends at most CATCH_UP_WEEKS missed weeks (README: 'at most the last 4')."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, maintainers=()))
    inbox = Inbox(refuse=True)
    try:
        with smtp_server(inbox, port):
            refused_six_weeks_then_sent(settings, database, inbox)
    finally:
        database.dispose()
    subjects = [str(m["Subject"]) for m in inbox.messages]
    assert len(subjects) <= CATCH_UP_WEEKS + 1, subjects


def test_after_an_outage_the_weeks_past_the_catch_up_are_given_up_by_name_and_the_recent_ones_sent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    settings, database = setup(tmp_path, config(port, maintainers=()))
    inbox = Inbox(refuse=True)
    try:
        with smtp_server(inbox, port):
            result = refused_six_weeks_then_sent(settings, database, inbox)
        with database.reading() as session:
            oldest = [week_state(session, week, "readers") for week in ("2026-W48", "2026-W49")]
        by_hand = claim_week(database, "2026-W48", NOW + timedelta(weeks=6), ignore_backoff=True)
    finally:
        database.dispose()
    assert [(o.week, o.status) for o in result.emails] == [
        (week, "sent") for week in ("2026-W50", "2026-W51", "2026-W52", "2026-W53", "2027-W01")
    ]
    assert all(found is not None and found.status == "given-up" for found in oldest), oldest
    assert oldest[0] is not None and oldest[0].last_error is not None
    assert oldest[0].last_error.startswith("given up: older than the last 4 weeks after 5 attempts; the SMTP server")
    assert "not sending 2026-W48 readers any more" in caplog.text  # on the sixth Monday, W53's
    assert "not sending 2026-W49 readers any more" in caplog.text  # on the seventh
    by_hand_line = same_invocation(settings, "weekly", "--week", "W", "--send")  # not the bare form: ./data elsewhere
    assert f"(`{by_hand_line}` still sends one by hand)" in caplog.text
    assert by_hand  # `digest weekly --week 2026-W48 --send` still sends it


def test_giving_up_an_edition_most_readers_have_says_who_has_it_and_who_does_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A reader's server greylists (451) the week's edition, and keeps doing so: the others have it. Five weeks on
    the job gives the week up, and the log said "not sending 2026-W48 readers any more: unsent", of an edition most
    readers had. It says how many got it and how many did not and why, and until when a send by hand reaches
    them; the log is kept on disk, so it names none of them (it named up to three)."""
    port = free_port()
    late = "late@example.org"
    settings, database = setup(tmp_path, config(port, recipients=(READER, "second@example.org", late), maintainers=()))
    inbox = SelectiveInbox({late: "451 4.7.1 <late@example.org>: greylisted, try again later"})
    try:
        with smtp_server(inbox, port):
            for weeks in range(6):
                run_weekly_job(settings, database, NOW + timedelta(weeks=weeks))
    finally:
        database.dispose()
    assert "not sending 2026-W48" not in caplog.text
    assert (
        "weekly: 2026-W48 readers went to 2 recipients; not trying any more for the 1 the server refused for now:"
        " older than the last 4 weeks"
        f" (`{same_invocation(settings, 'weekly', '--week', '2026-W48', '--edition', 'readers', '--send')}` sends it"
        " to them by hand until 2027-02-03 07:00 UTC; whom it owes is forgotten then)"
    ) in caplog.text
    given_up = [record.getMessage() for record in caplog.records if "not trying any more" in record.getMessage()]
    assert len(given_up) == 1 and late not in given_up[0], given_up  # the log is on disk: a count, no address


def test_the_send_by_hand_a_given_up_edition_names_sends_it_from_the_service_database_run_as_printed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader's server greylisted the edition until the job gave it up for them; the log line said the bare
    `digest weekly --week 2026-W48 --edition readers --send` sends it to them by hand, which run from a maintainer's
    shell elsewhere read ./data there (email off, no such week). It names the service's settings file and data
    folder: run as printed from another folder, once the server takes it, the edition reaches that reader."""
    port = free_port()
    late = "late@example.org"
    settings, database = setup(tmp_path, config(port, recipients=(READER, late), maintainers=()))
    try:
        with smtp_server(SelectiveInbox({late: "451 4.7.1 <late@example.org>: greylisted, try again later"}), port):
            for weeks in range(6):
                run_weekly_job(settings, database, NOW + timedelta(weeks=weeks))
        done_with_a_day_before(database, NOW + timedelta(weeks=6))  # the command reads the real clock: still kept
    finally:
        database.dispose()
    (line,) = [record.getMessage() for record in caplog.records if "not trying any more" in record.getMessage()]
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    fixed = sent_as_printed(line, port, folder)
    assert [envelope.rcpt_tos for envelope in fixed.envelopes] == [[late]]
    assert "2026-W48" in str(fixed.messages[0]["Subject"])


@pytest.mark.parametrize("days_after", [0, 31])
def test_an_edition_given_up_after_reaching_most_readers_is_not_said_unsent(tmp_path: Path, days_after: int) -> None:
    """The readers' edition reached a and c, the server greylisted b, and weeks later it was given up for b. Asked to
    send it again (a job that listed the week before another process gave it up), the outcome said "not sent: given
    up ...", false of an edition two of three readers have: it says whom it reached and whom not, and until when a
    send by hand still reaches b (it did not say). Asked 31 days after, it named that date, past, as if a send by hand
    still reached b: it says that it no longer does."""
    from digest.weekly.issue import IsoWeek
    from digest.weekly.store import give_up_stale_weeks, send_week

    port = free_port()
    readers = ("a@example.org", "b@example.org", "c@example.org")
    settings, database = setup(tmp_path, config(port, recipients=readers, maintainers=()))
    inbox = SelectiveInbox({"b@example.org": "451 4.7.1 Greylisted, please try again later"})
    later = NOW + timedelta(weeks=6)
    try:
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
            given_up = give_up_stale_weeks(database, IsoWeek(2027, 2), later)
            outcome = send_week(settings, database, IsoWeek(2026, 48), later + timedelta(days=days_after))
    finally:
        database.dispose()
    assert [o.status for o in first.emails] == ["partly-sent"]
    assert [str(edition) for edition in given_up] == ["2026-W48 readers"]
    assert outcome.status == "given-up"
    assert outcome.message.startswith(
        "sent to 2 recipients; not to 1 recipient: given up: older than the last 4 weeks after 1 attempt; "
    ), outcome.message
    # Until when the send by hand still reaches b: 30 days after it was given up (2027-01-11 07:00 UTC).
    by_hand = (
        f"`{same_invocation(settings, 'weekly', '--week', '2026-W48', '--edition', 'readers', '--send')}` sends it to"
        " them by hand until 2027-02-10 07:00 UTC"
        if not days_after
        else "a send by hand no longer reaches them: their addresses were kept 30 days after it was given up, until"
        " 2027-02-10 07:00 UTC, and are dropped at the next poll"
    )
    assert outcome.message.endswith(f"; {by_hand}") and "\n" not in outcome.message, outcome.message
    assert len(inbox.envelopes) == 1


@pytest.mark.asyncio
async def test_a_weekly_job_the_service_runs_says_in_one_line_what_came_of_it_and_when_it_tries_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The service's weekly job with the reader greylisted logged its line ('weekly: 2026-W48: ...; readers' edition
    not sent; ...') and then one more, 'weekly: next attempt at 2026-11-30 07:30 UTC'; its scheduled retry did the
    same. Expected: one line a job, saying what came of it and when the next attempt is."""
    from digest.service.process import Service
    from digest.service.schedule import WEEKLY_RETRY_ID
    from tests.conftest import DATA_DIR

    port = free_port()
    settings, database = setup(tmp_path, config(port))
    database.dispose()
    feed = DATA_DIR / "arxiv" / "rss" / "rss_cs.CL_2026-04-27_trimmed-3items.xml"
    arxiv = settings.arxiv.model_copy(update={"sources": (str(feed),), "api_url": "http://127.0.0.1:9/api"})
    now = [NOW]
    inbox = SelectiveInbox({READER: "451 4.7.1 Greylisted, please try again later"})
    with smtp_server(inbox, port), caplog.at_level("INFO"):
        service = Service(settings.model_copy(update={"arxiv": arxiv}), clock=lambda: now[0])
        await service.start(serve_web=False)
        try:
            assert service.scheduler is not None
            service.scheduler.pause()  # the retry is run here, at its time on the service's clock
            await service.weekly_now()
            retry = service.scheduler.get_job(WEEKLY_RETRY_ID)
            assert retry is not None
            now[0] = retry.next_run_time
            await service.weekly_now()  # the scheduled retry's job, the reader greylisted again
            again = service.scheduler.get_job(WEEKLY_RETRY_ID)
            await service.weekly_now()  # run again before its back-off is over: its line names the time once
        finally:
            await service.stop()
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("digest")]
    jobs = [line for line in lines if line.startswith("weekly: ")]
    assert jobs == [
        "weekly: 2026-W48: Markdown written; readers' edition not sent; maintainers' edition sent; next attempt at"
        " 2026-11-30 07:30 UTC",
        "weekly: 2026-W48: Markdown written; readers' edition not sent; maintainers' edition: already sent on"
        " 2026-11-30 07:00 UTC; next attempt at 2026-11-30 08:30 UTC",
        "weekly: 2026-W48: Markdown written; readers' edition: last attempt failed; next attempt at 2026-11-30 08:30"
        " UTC; maintainers' edition: already sent on 2026-11-30 07:00 UTC",
    ], jobs
    assert again is not None and again.next_run_time == NOW + timedelta(minutes=90), again
