"""The weekly digest email against a real SMTP server (aiosmtpd on 127.0.0.1): content, TLS + login, exactly once."""

from __future__ import annotations

import ssl
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from digest.cli import main
from digest.config import Settings, SmtpSettings
from digest.service.wiring import open_service_database
from digest.storage.db import Database, open_database
from digest.storage.state import WeeklyDigest
from digest.weekly.store import SendOutcome, WeeklyResult, run_weekly_job, send_week
from tests.conftest import make_settings
from tests.smtp_server import (
    Credentials,
    Inbox,
    free_port,
    self_signed_certificate,
    server_tls_context,
    smtp_server,
)
from tests.weekly_data import APPROVED_IN_WEEK, PAPERS, WEEK, fill_week

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin
CONFIG = 'timezone = "Europe/Berlin"\n\n[weekly]\npending_top = 3\n'
READERS = "readers@example.org"
UNSUBSCRIBE = "https://lists.example.org/unsubscribe?list=lmms"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", CONFIG)


def with_smtp(settings: Settings, port: int, **weekly: Any) -> Settings:
    smtp = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="none",
        sender="digest@lists.example.org",
        recipients=(READERS,),
        timeout_seconds=10,
    )
    weekly_settings = settings.weekly.model_copy(update={"list_unsubscribe": UNSUBSCRIBE, **weekly})
    return settings.model_copy(update={"smtp": smtp, "weekly": weekly_settings})


def statuses(result: WeeklyResult) -> list[tuple[str, str]]:
    return [(outcome.week, outcome.status) for outcome in result.emails]


def row(database: Database, week: str = "2026-W48", edition: str = "readers") -> WeeklyDigest | None:
    with database.reading() as session:
        found = session.get(WeeklyDigest, (week, edition))
        if found is not None:
            session.expunge(found)  # keep the loaded values after the read ends
        return found


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    return tuple(str(part.get_content()).replace("\r\n", "\n") for part in (plain, html))  # type: ignore[return-value]


def test_the_digest_email_arrives_once_with_both_parts_and_escaped_titles(
    database: Database, settings: Settings
) -> None:
    fill_week(database, settings, hostile=True)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        # A list title carrying a header line must not smuggle in a header (or a recipient).
        settings = with_smtp(settings, port).model_copy(update={"list_title": "Awesome LMMs\r\nBcc: evil@example.org"})
        first = run_weekly_job(settings, database, NOW)
        second = run_weekly_job(settings, database, NOW + timedelta(hours=1))
        database.dispose()
        restarted = open_service_database(settings)  # a restart: a fresh engine on the same file
        try:
            third = run_weekly_job(settings, restarted, NOW + timedelta(days=1))
        finally:
            restarted.dispose()

    assert statuses(first) == [("2026-W48", "sent")]
    assert statuses(second) == statuses(third) == [("2026-W48", "already-sent")]
    assert len(inbox.messages) == 1
    assert inbox.envelopes[0].rcpt_tos == [READERS]
    message = inbox.messages[0]
    assert message["Subject"] == "Awesome LMMs Bcc: evil@example.org — 2026-W48: 3 new papers"
    assert message["Bcc"] is None
    assert (message["From"], message["To"]) == ("digest@lists.example.org", READERS)
    assert parsedate_to_datetime(message["Date"]) == NOW
    assert message["Message-ID"].endswith("@lists.example.org>")
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] is None  # one message to every reader: no link can name who clicked
    assert (
        message["List-Id"]
        == '"Awesome LMMs Bcc: evil@example.org" <awesome-lmms-bcc-evil-example-org.lists.example.org>'
    )
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]

    text, html = parts(message)
    hostile_title = "<script>alert('x')</script> & " + PAPERS["2502.20578"]["title"]
    assert f"* {hostile_title}\n" in text  # plain text is shown as is: nothing there runs
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Interpreting CLIP" in html
    for arxiv_id, _, _ in APPROVED_IN_WEEK[1:]:
        assert PAPERS[arxiv_id]["title"] in text and PAPERS[arxiv_id]["title"] in html
        assert f"arXiv: https://arxiv.org/abs/{arxiv_id}" in text
        assert f'<a href="https://arxiv.org/abs/{arxiv_id}" style="color:#0969da;">arXiv</a>' in html
    assert '<a href="https://github.com/wj210/CLIP_LTC" style="color:#0969da;">Code</a>' in html
    assert "candidate" not in text.lower() and "candidate" not in html.lower()  # the readers' edition
    assert "<style" not in html  # inline styles only
    assert text.endswith(
        f"\n-- \nYou get this digest as a reader of Awesome LMMs Bcc: evil@example.org. To stop: {UNSUBSCRIBE}\n"
    )
    assert f'<a href="{UNSUBSCRIBE}" style="color:#59636e;">Unsubscribe</a>' in html

    sent = row(database)
    assert sent is not None and sent.status == "sent" and sent.attempts == 1
    assert sent.message_id == message["Message-ID"] and sent.recipients == [READERS]


def test_starttls_with_login_from_the_environment(database: Database, tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    settings = make_settings(
        tmp_path / "data",
        CONFIG + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "starttls"\nusername = "digest-bot"\n'
        f'sender = "digest@lists.example.org"\nrecipients = ["{READERS}", "maintainers@example.org"]\n',
        environ={"SMTP_PASSWORD": "correct horse battery staple"},
    )
    fill_week(database, settings)
    inbox, credentials = Inbox(), Credentials("digest-bot", "correct horse battery staple")
    client_context = ssl.create_default_context(cafile=str(cert))
    with smtp_server(
        inbox,
        port,
        tls_context=server_tls_context(cert, key),
        require_starttls=True,
        authenticator=credentials,
        auth_required=True,
    ):
        result = run_weekly_job(settings, database, NOW, ssl_context=client_context)
        # Without the test CA the self-signed certificate is refused, and nothing is sent twice.
        again = run_weekly_job(settings, database, NOW + timedelta(hours=2))

    assert statuses(result) == [("2026-W48", "sent")], result
    assert statuses(again) == [("2026-W48", "already-sent")]
    assert credentials.logins == ["digest-bot"]
    assert len(inbox.messages) == 1
    assert inbox.envelopes[0].rcpt_tos == [READERS, "maintainers@example.org"]
    text, _ = parts(inbox.messages[0])
    assert PAPERS["2502.20578"]["title"] in text


def test_an_untrusted_certificate_fails_and_is_retried(database: Database, tmp_path: Path, settings: Settings) -> None:
    cert, key = self_signed_certificate(tmp_path)
    fill_week(database, settings)
    inbox = Inbox()
    with smtp_server(inbox, tls_context=server_tls_context(cert, key), require_starttls=True) as port:
        smtp = with_smtp(settings, port).smtp.model_copy(update={"security": "starttls"})
        settings = with_smtp(settings, port).model_copy(update={"smtp": smtp})
        failed = run_weekly_job(settings, database, NOW)  # the system's CAs do not know this certificate
        retried = run_weekly_job(
            settings, database, NOW + timedelta(minutes=31), ssl_context=ssl.create_default_context(cafile=str(cert))
        )
    assert statuses(failed) == [("2026-W48", "failed")]
    assert "CERTIFICATE_VERIFY_FAILED" in failed.emails[0].message
    assert statuses(retried) == [("2026-W48", "sent")]
    assert len(inbox.messages) == 1


def test_a_refused_recipient_leaves_the_week_unsent_and_backs_off(database: Database, settings: Settings) -> None:
    fill_week(database, settings)
    inbox = Inbox(refuse=True)
    with smtp_server(inbox) as port:
        settings = with_smtp(settings, port)
        refused = run_weekly_job(settings, database, NOW)
        early = run_weekly_job(settings, database, NOW + timedelta(minutes=10))
        refused_again = run_weekly_job(settings, database, NOW + timedelta(minutes=30))
        state = row(database)
        inbox.refuse = False
        too_soon = run_weekly_job(settings, database, NOW + timedelta(minutes=89))
        sent = run_weekly_job(settings, database, NOW + timedelta(minutes=90))
        after = run_weekly_job(settings, database, NOW + timedelta(days=1))

    assert statuses(refused) == [("2026-W48", "failed")]
    assert refused.emails[0].message.startswith("the SMTP server 127.0.0.1:")
    assert "refused every recipient: readers@example.org: 451 4.3.0" in refused.emails[0].message
    assert refused.retry_at == NOW + timedelta(minutes=30)  # weekly.retry_base_minutes
    assert statuses(early) == [("2026-W48", "waiting")]
    assert statuses(refused_again) == [("2026-W48", "failed")]
    assert refused_again.retry_at == NOW + timedelta(minutes=30 + 60)  # doubled
    assert state is not None and (state.status, state.attempts) == ("failed", 2)
    assert state.last_error is not None and "451" in state.last_error and state.sent_at is None
    assert statuses(too_soon) == [("2026-W48", "waiting")]
    assert statuses(sent) == [("2026-W48", "sent")]
    assert statuses(after) == [("2026-W48", "already-sent")]
    assert len(inbox.messages) == 1
    final = row(database)
    assert final is not None and (final.status, final.attempts, final.last_error) == ("sent", 3, None)


def test_a_server_that_is_down_gets_the_week_later_and_once(database: Database, settings: Settings) -> None:
    fill_week(database, settings)
    port = free_port()  # nothing listens here yet
    settings = with_smtp(settings, port)
    down = run_weekly_job(settings, database, NOW)
    assert statuses(down) == [("2026-W48", "failed")]
    assert down.emails[0].message.startswith(f"cannot reach the SMTP server 127.0.0.1:{port} (none): ")
    assert down.markdown_path is not None and down.markdown_path.exists()  # Markdown does not wait for email

    inbox = Inbox()
    with smtp_server(inbox, port):
        # A week later the scheduler runs for W49: the failed W48 goes first, then the quiet W49.
        next_week = run_weekly_job(settings, database, NOW + timedelta(days=7))
        again = run_weekly_job(settings, database, NOW + timedelta(days=7, hours=1))
    assert statuses(next_week) == [("2026-W48", "sent"), ("2026-W49", "sent")]
    assert statuses(again) == [("2026-W49", "already-sent")]
    subjects = [message["Subject"] for message in inbox.messages]
    assert subjects == [
        "Awesome LMMs Mechanistic Interpretability — 2026-W48: 3 new papers",
        "Awesome LMMs Mechanistic Interpretability — 2026-W49: a quiet week",
    ]
    quiet_text, _ = parts(inbox.messages[1])
    assert "A quiet week: no papers joined the list." in quiet_text


def test_a_quiet_week_is_not_sent_when_switched_off(database: Database, settings: Settings) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        result = run_weekly_job(with_smtp(settings, port, send_quiet_week=False), database, NOW)
    assert statuses(result) == [("2026-W48", "quiet-skipped")]
    assert inbox.messages == []
    assert result.markdown_path is not None
    assert "A quiet week" in result.markdown_path.read_text(encoding="utf-8")


def test_two_processes_sending_the_same_week_send_it_once(database: Database, settings: Settings) -> None:
    fill_week(database, settings)
    inbox = Inbox()
    outcomes: list[SendOutcome] = []
    with smtp_server(inbox) as port:
        settings = with_smtp(settings, port)
        databases = [open_database(settings.database_url) for _ in range(2)]
        start = threading.Barrier(2)

        def process(own: Database) -> None:
            start.wait()
            outcomes.append(send_week(settings, own, WEEK, NOW))

        threads = [threading.Thread(target=process, args=(own,)) for own in databases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for own in databases:
            own.dispose()
    assert sorted(outcome.status for outcome in outcomes)[-1] == "sent"
    assert [outcome.status for outcome in outcomes].count("sent") == 1
    assert {outcome.status for outcome in outcomes} <= {"sent", "busy", "already-sent"}
    assert len(inbox.messages) == 1


def test_the_command_sends_once_and_reports_a_failure_in_one_line(
    database: Database,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    fill_week(database, settings)
    port = free_port()
    config = tmp_path / "smtp.toml"
    config.write_text(
        CONFIG + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nrecipients = ["{READERS}"]\n',
        encoding="utf-8",
    )
    base = ["--config", str(config), "--data-dir", str(settings.data_dir), "weekly", "--week", "2026-W48"]

    assert main([*base, "--send"]) == 1  # nothing listens yet
    out, err = capsys.readouterr()
    assert err.startswith(
        f"digest: 2026-W48: readers' edition email not sent: cannot reach the SMTP server 127.0.0.1:{port} (none)"
    )
    assert err.count("\n") == 1
    assert out.splitlines()[-1] + "\n" == (  # no maintainer recipients: not emailed, said in one line
        "2026-W48: maintainers' edition not emailed: no maintainer recipients (set [smtp] maintainer_recipients):"
        f" only written to {settings.weekly_dir / '2026-W48.maintainers.md'}\n"
    )

    inbox = Inbox()
    with smtp_server(inbox, port):
        assert main([*base, "--send", "--dry-run"]) == 0
        assert "Subject: Awesome LMMs Mechanistic Interpretability — 2026-W48: 3 new papers" in capsys.readouterr().out
        assert inbox.messages == []
        # By hand, the back-off of the failed attempt is not waited out.
        assert main([*base, "--send"]) == 0
        assert f"2026-W48: readers' edition sent to {READERS}\n" in capsys.readouterr().out
        assert main([*base, "--send"]) == 0
        assert "2026-W48: readers' edition already sent on " in capsys.readouterr().out
    assert len(inbox.messages) == 1


def test_an_edition_a_killed_process_left_unsent_is_sent_later_and_the_service_schedules_it(
    database: Database, settings: Settings
) -> None:
    """A process killed while sending the readers' edition left that edition claimed ("sending") and the
    maintainers' one owed but not attempted: nothing scheduled a retry, so the maintainers' edition of that week was
    never sent and the readers' one waited a week."""
    import asyncio

    from digest.service.process import Service
    from digest.storage.state import WeeklyDigest as Row
    from digest.weekly.ledger import STALE_CLAIM
    from digest.weekly.store import unsent_retry_at

    fill_week(database, settings)
    killed_at = datetime.now(UTC) - timedelta(minutes=10)  # the scheduler's clock is the real one
    with database.transaction() as session:  # what the killed process left: both editions owed, the readers' claimed
        session.add(Row(week="2026-W48", edition="readers", status="sending", attempts=1, last_attempt_at=killed_at))
        session.add(Row(week="2026-W48", edition="maintainers", status="pending", attempts=0, recipients=[]))
    assert unsent_retry_at(database, killed_at) == killed_at + STALE_CLAIM

    inbox = Inbox()
    with smtp_server(inbox) as port:
        configured = with_smtp(settings, port)
        maintainers = configured.smtp.model_copy(update={"maintainer_recipients": ("maintainers@example.org",)})
        configured = configured.model_copy(update={"smtp": maintainers})

        async def retry_scheduled() -> datetime | None:
            service = Service(configured)
            await service.start(serve_web=False)
            try:
                assert service.scheduler is not None
                job = service.scheduler.get_job("weekly-retry")
                return None if job is None else job.next_run_time
            finally:
                await service.stop()

        scheduled = asyncio.run(retry_scheduled())
        assert scheduled is not None and abs(scheduled - (killed_at + STALE_CLAIM)) < timedelta(seconds=1)
        later = run_weekly_job(configured, database, killed_at + STALE_CLAIM + timedelta(minutes=1))
    w48 = sorted(outcome.edition for outcome in later.emails if outcome.week == "2026-W48" and outcome.status == "sent")
    assert w48 == ["maintainers", "readers"]
    sent = sorted(str(message["To"]) for message in inbox.messages if "2026-W48" in str(message["Subject"]))
    assert sent == ["maintainers@example.org", READERS]


def _both_editions(settings: Settings, port: int) -> Settings:
    configured = with_smtp(settings, port, send_quiet_week=True)
    both = configured.smtp.model_copy(update={"maintainer_recipients": ("maintainers@example.org",)})
    return configured.model_copy(update={"smtp": both})


def test_the_first_weekly_job_after_upgrading_sends_only_the_week_due(tmp_path: Path) -> None:
    """A data folder that sent the single weekly digest for twelve weeks (schema 0006) is upgraded, and maintainers
    get recipients as the upgrade note asks: the first Monday sends that week's two editions, not one maintainers'
    edition for every week of history (the old weeks never owed one)."""
    from alembic import command
    from sqlalchemy import text

    from digest.storage.db import alembic_config, create_database_engine

    settings = make_settings(tmp_path / "data", CONFIG)
    engine = create_database_engine(settings.database_url)
    command.upgrade(alembic_config(engine), "0006")
    with engine.begin() as connection:
        for number in range(36, 48):
            connection.execute(
                text(
                    "INSERT INTO weekly_digests (week, status, attempts, sent_at, recipients) "
                    "VALUES (:week, 'sent', 1, '2026-09-07 07:00:01', '[\"all@example.org\"]')"
                ),
                {"week": f"2026-W{number}"},
            )
    engine.dispose()
    database = open_service_database(settings)  # migrates to the newest schema
    inbox = Inbox()
    try:
        fill_week(database, settings)
        with smtp_server(inbox) as port:
            result = run_weekly_job(_both_editions(settings, port), database, NOW)
    finally:
        database.dispose()
    sent = [(outcome.week, outcome.edition) for outcome in result.emails if outcome.status == "sent"]
    assert sent == [("2026-W48", "readers"), ("2026-W48", "maintainers")]
    assert len(inbox.messages) == 2


def test_giving_maintainers_recipients_later_sends_them_only_the_week_due(
    database: Database, settings: Settings
) -> None:
    fill_week(database, settings)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        readers_only = with_smtp(settings, port, send_quiet_week=True)  # the weeks before are sent too
        for weeks_ago in range(4, 0, -1):
            run_weekly_job(readers_only, database, NOW - timedelta(weeks=weeks_ago))
        result = run_weekly_job(_both_editions(settings, port), database, NOW)
    maintainers = [o.week for o in result.emails if o.status == "sent" and o.edition == "maintainers"]
    assert maintainers == ["2026-W48"]
    readers_weeks = sorted({str(m["Subject"]) for m in inbox.messages if str(m["To"]) == READERS})
    assert len(readers_weeks) == 5  # the four weeks before were sent to readers: they had rows, and owed nothing more


def test_a_reader_never_sees_another_readers_address(database: Database, settings: Settings) -> None:
    fill_week(database, settings)
    readers = ("alice@example.org", "bob@example.net", "carol@example.com")
    inbox = Inbox()
    with smtp_server(inbox) as port:
        configured = with_smtp(settings, port)
        configured = configured.model_copy(update={"smtp": configured.smtp.model_copy(update={"recipients": readers})})
        run_weekly_job(configured, database, NOW)
    (message,) = inbox.messages
    assert inbox.envelopes[0].rcpt_tos == list(readers)  # each reader gets it
    shown = " ".join(str(message[name] or "") for name in ("To", "Cc"))
    assert not any(address in shown for address in readers), shown
    assert str(message["To"]) == "undisclosed-recipients:;"


def test_a_service_down_for_weeks_sends_the_weeks_it_missed_and_marks_quiet_ones_done(
    database: Database, settings: Settings
) -> None:
    """The scheduler runs a missed job once: down from before W46's Monday until after W49's, the service sent W48
    alone and W46 and W47 never went out, without a word."""
    from digest.storage.state import WeeklyDigest as Row

    fill_week(database, settings)  # W48 has papers; W46 and W47 are quiet
    with database.transaction() as session:  # the last week a job took up before the service went down
        session.add(Row(week="2026-W45", edition="readers", status="sent", attempts=1, recipients=[READERS]))
    inbox = Inbox()
    with smtp_server(inbox) as port:
        quiet_too = with_smtp(settings, port, send_quiet_week=True)
        result = run_weekly_job(quiet_too, database, NOW)
        again = run_weekly_job(quiet_too, database, NOW)
    assert [(o.week, o.status) for o in result.emails] == [
        ("2026-W46", "sent"),
        ("2026-W47", "sent"),
        ("2026-W48", "sent"),
    ]
    assert [o.status for o in again.emails] == ["already-sent"]
    assert len(inbox.messages) == 3

    # With quiet weeks skipped, a skipped week is on record as done: the next job does not take it for missed.
    with database.transaction() as session:
        for row in session.scalars(select(Row)):
            session.delete(row)
        session.add(Row(week="2026-W45", edition="readers", status="sent", attempts=1, recipients=[READERS]))
    (settings.data_dir / "weekly-sent.log").unlink()  # the record of sends outside the database starts over too
    with smtp_server(inbox) as port:
        skipping = with_smtp(settings, port, send_quiet_week=False)
        first = run_weekly_job(skipping, database, NOW)
        second = run_weekly_job(skipping, database, NOW)
    outcomes = {o.week: o.status for o in first.emails}
    assert list(outcomes) == ["2026-W46", "2026-W47", "2026-W48"] and "quiet-skipped" in outcomes.values()
    with database.reading() as session:
        statuses = {row.week: row.status for row in session.scalars(select(Row))}
    done = {"quiet-skipped": "quiet", "sent": "sent"}
    assert statuses == {"2026-W45": "sent", **{week: done[status] for week, status in outcomes.items()}}
    assert [(o.week, o.status) for o in second.emails] == [("2026-W48", "already-sent")]


def test_a_title_whose_from_begins_a_line_of_the_email_as_sent_reads_whole(
    database: Database, settings: Settings
) -> None:
    """A paper titled 'What Vision Models Really See: From Pixels to Concepts ...' put 'From Pixels ...' at the start
    of a line of the HTML part as sent (a soft line break of its quoted-printable), and smtplib writes such a line as
    '>From' (as mbox mailboxes store it too): readers read 'What Vision Models Really See: >From Pixels to Concepts'.
    Expected: both parts read the title whole, and no line of the message as sent starts with 'From '."""
    from tests.weekly_data import decide, insert_candidate

    arxiv_id, section, when = APPROVED_IN_WEEK[1]
    prefix = "What Vision Models Really See: From Pixels to Concepts. "
    candidate = insert_candidate(database, arxiv_id, seen=when, section=section, title_prefix=prefix)
    decide(database, settings, candidate, "approve", when)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        assert statuses(run_weekly_job(with_smtp(settings, port), database, NOW)) == [("2026-W48", "sent")]
    title = prefix + PAPERS[arxiv_id]["title"]
    text, html = parts(inbox.messages[0])
    assert f"* {title}\n" in text
    assert f'style="color:#0969da;text-decoration:none;">{title}</a>' in html, html.split("Really See")[1][:40]
    sent = inbox.envelopes[0].original_content.splitlines()
    assert [line for line in sent if line.startswith((b"From ", b">From "))] == []


class SlowInbox(Inbox):
    """Takes `seconds` over each message (a long readers' list, a slow relay); `arrived` is set at the first."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        self.arrived.set()
        await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


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
    from digest.weekly import ledger, sending

    monkeypatch.setattr(ledger, "STALE_CLAIM", timedelta(seconds=2))
    monkeypatch.setattr(sending, "CLAIM_RENEWED_EVERY", timedelta(seconds=0.2))
    monkeypatch.chdir(tmp_path)
    fill_week(database, settings)
    inbox = SlowInbox(seconds=5)
    outcomes: list[SendOutcome] = []
    with smtp_server(inbox) as port:
        config = tmp_path / "smtp.toml"
        config.write_text(
            CONFIG + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nrecipients = ["{READERS}"]\n',
            encoding="utf-8",
        )
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
    import time

    from digest.service.process import Service
    from digest.weekly import mailer

    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 1)
    caplog.set_level(logging.INFO)
    fill_week(database, settings)
    readers = ("first@example.org", "second@example.org", "third@example.org")
    inbox = SlowInbox(seconds=1)
    with smtp_server(inbox) as port:
        configured = with_smtp(settings, port)
        configured = configured.model_copy(update={"smtp": configured.smtp.model_copy(update={"recipients": readers})})

        async def stopped_mid_send() -> int:
            service = Service(configured, clock=lambda: NOW)
            await service.start(schedule=False, serve_web=False)
            job = asyncio.ensure_future(service.weekly_now())
            while not inbox.arrived.is_set():
                await asyncio.sleep(0.05)
            await service.stop()
            at_stop = len(inbox.messages)
            await job
            return at_stop

        at_stop = asyncio.run(stopped_mid_send())
        time.sleep(2.5)  # what a thread left running would still send
    found = row(database)
    assert at_stop == 1 and len(inbox.messages) == 1, [envelope.rcpt_tos for envelope in inbox.envelopes]
    assert found is not None and found.status == "failed", found and found.status
    assert (found.recipients, found.deferred) == (["first@example.org"], ["second@example.org", "third@example.org"])
    assert found.next_attempt_at is not None
    lines = [record.getMessage() for record in caplog.records]
    sent = next(i for i, line in enumerate(lines) if line.startswith("weekly 2026-W48 readers: email sent to"))
    assert sent < lines.index("stopped"), lines
    stopped = "451 4.3.0 not sent: the send was stopped"  # the rest are due at once: a stop backs nothing off
    assert lines[sent] == (
        f"weekly 2026-W48 readers: email sent to first@example.org; not yet sent to the others: second@example.org:"
        f" {stopped}; third@example.org: {stopped}; next attempt for them at 2026-11-30 07:00 UTC"
    )


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
    assert found is not None and found.status == "pending" and found.recipients == [], found and found.status
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
        config = tmp_path / "smtp.toml"
        config.write_text(
            CONFIG + f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nrecipients = {readers}\n',
            encoding="utf-8",
        )

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
    assert (found.recipients, found.deferred) == (["first@example.org"], ["second@example.org", "third@example.org"])
    stopped = "451 4.3.0 not sent: the send was stopped"
    assert code == 130, (out, err)
    assert out.splitlines()[-1] == (
        f"2026-W48: readers' edition sent to first@example.org; not yet sent to the others: second@example.org:"
        f" {stopped}; third@example.org: {stopped}; next attempt for them at "
        f"{found.next_attempt_at:%Y-%m-%d %H:%M} UTC"
    ), out
    assert err.splitlines() == [
        "digest: stopping after the mail in flight: who got it is recorded, the others stay owed it (again to stop at"
        " once)",
        "digest: interrupted: 2026-W48: the maintainers' edition was not sent (`digest weekly --week 2026-W48 --send`"
        " sends what is left)",
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

    from digest.service import process
    from digest.service.process import Service
    from digest.weekly import mailer

    monkeypatch.setattr(mailer, "RECIPIENTS_PER_MESSAGE", 1)
    monkeypatch.setattr(process, "STOP_GRACE_SECONDS", 0.3)
    caplog.set_level(logging.INFO)
    fill_week(database, settings)
    readers = ("first@example.org", "second@example.org", "third@example.org")
    inbox = SlowInbox(seconds=2)
    with smtp_server(inbox) as port:
        configured = with_smtp(settings, port)
        configured = configured.model_copy(update={"smtp": configured.smtp.model_copy(update={"recipients": readers})})

        async def stopped_mid_send() -> None:
            service = Service(configured, clock=lambda: NOW)
            await service.start(schedule=False, serve_web=False)
            job = asyncio.ensure_future(service.weekly_now())
            while not inbox.arrived.is_set():
                await asyncio.sleep(0.05)
            await service.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await job

        asyncio.run(stopped_mid_send())  # returns once the send's thread has ended, as the process exits then
    lines = [record.getMessage() for record in caplog.records]
    assert (
        "weekly: the send did not end within the stop's grace: an SMTP call still waits on the server (up to"
        " [smtp] timeout_seconds, 10 s, for each reply); the process exits once it ends, sending no further batch"
        " and recording who got the edition"
    ) in lines, lines
    assert len(inbox.messages) == 1, [envelope.rcpt_tos for envelope in inbox.envelopes]
    found = row(database)
    assert found is not None and found.status == "failed", found and found.status
    assert (found.recipients, found.deferred) == (["first@example.org"], ["second@example.org", "third@example.org"])
