"""The weekly digest email sent exactly once: two processes at once, the command by hand, a killed process's claim,
an upgrade, maintainers' recipients given later, and a service down for weeks (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.cli import main
from digest.config import Settings
from digest.service.wiring import open_service_database
from digest.storage.db import Database, open_database
from digest.weekly.store import SendOutcome, run_weekly_job, send_week
from tests.conftest import make_settings
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_data import WEEK, fill_week
from tests.weekly_email import CONFIG, NOW, READERS, both_editions, smtp_config, with_smtp
from tests.weekly_email import settings as settings  # the fixture


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
    config = smtp_config(tmp_path, port)
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
        session.add(Row(week="2026-W48", edition="maintainers", status="pending", attempts=0))
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
            result = run_weekly_job(both_editions(settings, port), database, NOW)
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
        result = run_weekly_job(both_editions(settings, port), database, NOW)
    maintainers = [o.week for o in result.emails if o.status == "sent" and o.edition == "maintainers"]
    assert maintainers == ["2026-W48"]
    readers_weeks = sorted({str(m["Subject"]) for m in inbox.messages if str(m["To"]) == READERS})
    assert len(readers_weeks) == 5  # the four weeks before were sent to readers: they had rows, and owed nothing more


def test_a_service_down_for_weeks_sends_the_weeks_it_missed_and_marks_quiet_ones_done(
    database: Database, settings: Settings
) -> None:
    """The scheduler runs a missed job once: down from before W46's Monday until after W49's, the service sent W48
    alone and W46 and W47 never went out, without a word."""
    from digest.storage.state import WeeklyDigest as Row

    fill_week(database, settings)  # W48 has papers; W46 and W47 are quiet
    with database.transaction() as session:  # the last week a job took up before the service went down
        session.add(Row(week="2026-W45", edition="readers", status="sent", attempts=1, reached_count=1))
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
        session.add(Row(week="2026-W45", edition="readers", status="sent", attempts=1, reached_count=1))
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


def test_a_claims_lapse_made_shorter_holds_for_the_job_and_the_services_retry(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests that wait for a claim to lapse shorten the lapse (weekly/ledger.py's STALE_CLAIM) to seconds: a send or
    `digest weekly --send` then took the claim over, but the weekly job meeting the claim and the service's start
    read copies of the hour of their own: the job said its next attempt was an hour on, and the service scheduled its
    retry then. One lapse, read where it is kept."""
    import asyncio

    from digest.service.process import Service
    from digest.storage.state import WeeklyDigest as Row
    from digest.weekly import ledger
    from tests.conftest import DATA_DIR

    monkeypatch.setattr(ledger, "STALE_CLAIM", timedelta(seconds=2))
    fill_week(database, settings)
    claimed = datetime.now(UTC)  # the scheduler's clock is the real one
    with database.transaction() as session:  # a process sending the readers' edition, killed a moment later
        session.add(Row(week="2026-W48", edition="readers", status="sending", attempts=1, last_attempt_at=claimed))
    inbox = Inbox()
    with smtp_server(inbox) as port:
        configured = with_smtp(settings, port)
        feed = DATA_DIR / "arxiv" / "rss" / "rss_cs.CL_2026-04-27_trimmed-3items.xml"
        arxiv = configured.arxiv.model_copy(update={"sources": (str(feed),), "api_url": "http://127.0.0.1:9/api"})
        configured = configured.model_copy(update={"arxiv": arxiv})
        job = run_weekly_job(configured, database, claimed)  # the weekly job meets the claim
        line = job.line(job.retry_at)
        assert f"next attempt at {claimed + timedelta(seconds=2):%Y-%m-%d %H:%M} UTC" in line, line

        async def service_runs_until_sent() -> None:
            service = Service(configured)
            await service.start(serve_web=False)
            try:
                for _ in range(150):
                    if any("2026-W48" in str(message["Subject"]) for message in inbox.messages):
                        break
                    await asyncio.sleep(0.1)
            finally:
                await service.stop()

        asyncio.run(service_runs_until_sent())
    sent = [str(message["To"]) for message in inbox.messages if "2026-W48" in str(message["Subject"])]
    assert sent == [READERS], "the service's retry did not send the edition when its claim lapsed"
