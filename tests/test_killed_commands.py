"""Commands killed in the middle of their writes (`kill -9`, an OOM kill, a power cut), and what the next command or
the service says and does after them: nothing lost, nothing said that is untrue, and one line on what to do.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.killed import run_killed
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_data import fill_week

READERS = "readers@example.org"


def weekly_folder(tmp_path: Path, smtp_port: int) -> tuple[Settings, list[str]]:
    """A data folder holding the week 2026-W48, emailed to READERS; the settings and the command line's options."""
    config = f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\nrecipients = ["{READERS}"]\n'
    settings = make_settings(tmp_path / "data", config)
    database = open_service_database(settings)
    try:
        fill_week(database, settings)
    finally:
        database.dispose()
    return settings, ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(settings.data_dir)]


def test_a_weekly_send_killed_mid_send_is_not_called_another_process_at_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest weekly --send` killed after the server took the message and weekly-sent.log noted it, before the
    database marked it sent: sending it again by hand said "another process is sending this week's email right now"
    when none was; then (stop 61) that the claim lapses in an hour, when readers could get it twice. The send record
    settles it now (stop 62): "already sent", exit 0, nothing sent twice, and the edition is no longer claimed."""
    inbox = Inbox()
    with smtp_server(inbox) as port:
        _, options = weekly_folder(tmp_path, port)
        send = [*options, "weekly", "--week", "2026-W48", "--edition", "readers", "--send"]
        before = datetime.now(UTC).replace(second=0, microsecond=0)
        run_killed("digest.weekly.attempts:mark_delivered", "before", send, tmp_path)
        assert len(inbox.messages) == 1  # the server has it; the ledger still says "sending"
        capsys.readouterr()
        assert main(send) == 0
        said = capsys.readouterr().out
        assert main(send) == 0  # settled: asked again, the same answer from the database alone
        again = capsys.readouterr().out
    assert "another process is sending" not in said and "claim lapses" not in said, said
    sent = datetime.strptime(said.split("already sent on ", 1)[1][:16], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert before <= sent <= datetime.now(UTC)
    assert "2026-W48: already sent on" in again, again
    assert len(inbox.messages) == 1


@pytest.mark.asyncio
async def test_the_services_weekly_job_retries_a_week_a_killed_send_left_claimed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The service running, a maintainer's `digest weekly --send` killed mid-send: the service's weekly job found the
    week claimed ("busy") and scheduled nothing, so the readers' edition waited for the next weekly job, a week later.
    The job now tries again when the claim lapses."""
    from digest.service.process import Service
    from digest.service.schedule import WEEKLY_RETRY_ID
    from tests.conftest import DATA_DIR

    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings, options = weekly_folder(tmp_path, port)
        feed = DATA_DIR / "arxiv" / "rss" / "rss_cs.CL_2026-04-27_trimmed-3items.xml"
        arxiv = settings.arxiv.model_copy(update={"sources": (str(feed),), "api_url": "http://127.0.0.1:9/api"})
        service = Service(
            settings.model_copy(update={"arxiv": arxiv}), clock=lambda: datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        )
        await service.start(serve_web=False)
        try:
            send = [*options, "weekly", "--week", "2026-W48", "--edition", "readers", "--send"]
            await asyncio.to_thread(run_killed, "digest.weekly.mailer:send", "before", send, tmp_path)
            await service.weekly_now()  # the Monday job, meeting the claim the killed command left
            assert inbox.messages == []
            assert service.scheduler is not None
            retry = service.scheduler.get_job(WEEKLY_RETRY_ID)
            assert retry is not None, "nothing will send the week before the next weekly job"
            assert timedelta(minutes=55) < retry.next_run_time - datetime.now(UTC) <= timedelta(hours=1)
        finally:
            await service.stop()


def test_a_service_whose_machine_died_holding_the_postgresql_lock_is_named_with_how_to_end_its_session(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """The machine running the service crashed (a power cut): PostgreSQL keeps its session, and with it the lock, until
    the system's TCP keepalive gives up, two hours and more. The service started again elsewhere said only "stop it
    first", naming a pid on a machine that no longer runs it. The line now names the session to end and how, and the
    service's own session asks the server to notice a dead peer within minutes."""
    import re

    from sqlalchemy import text

    from digest.storage.datalock import ADVISORY_KEY, DataLockError, lock_data_folder, lock_database
    from digest.storage.db import create_database_engine, open_database

    orphan = create_database_engine(postgres_url).connect()  # the crashed machine's session, still open on the server
    orphan.execute(text("SET application_name = 'digest run pid 4242 on old-host'"))
    orphan.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
    orphan.commit()
    database = open_database(postgres_url)
    lock = lock_data_folder(tmp_path / "data")
    try:
        with pytest.raises(DataLockError) as refused:
            lock_database(lock, database)
        line = str(refused.value)
        assert "\n" not in line and "(pid 4242)" in line and "from old-host" in line, line
        statement = re.search(r"SELECT pg_terminate_backend\(\d+\)", line)
        assert statement is not None, line
        admin = create_database_engine(postgres_url)
        with admin.connect() as connection:  # what the operator runs in psql
            assert connection.execute(text(statement.group(0))).scalar() is True
            # pg_terminate_backend only signals the session, which lets go of the lock when it has ended (a moment
            # later on a loaded machine), as it has before an operator starts the service again.
            ended = int(statement.group(0).removeprefix("SELECT pg_terminate_backend(").removesuffix(")"))
            alive = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            for _ in range(200):
                connection.rollback()  # pg_stat_activity is read once a transaction
                if not connection.execute(alive, {"pid": ended}).scalar():
                    break
                time.sleep(0.05)
        admin.dispose()
        lock_database(lock, database)  # the service starts
        assert lock.connection is not None
        assert lock.connection.execute(text("SHOW tcp_keepalives_idle")).scalar() == "30"
    finally:
        lock.release()
        database.dispose()
        orphan.invalidate()


def test_a_publish_killed_after_its_push_shows_as_published(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`digest publish` killed after the push, before it was recorded: the next publish found the file up to date and
    `digest publish --status` went on naming the commit before (here: "nothing yet") as the last published, though
    the repository's head is the service's own commit of those decisions. That commit is now recorded."""
    from tests.factories import insert_candidate, real_papers
    from tests.git_remote import make_remote, publish_config

    remote = make_remote(tmp_path)
    settings = make_settings(tmp_path / "data", publish_config(remote.url))
    database = open_service_database(settings)
    try:
        candidate = insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()
    options = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(settings.data_dir)]
    assert main([*options, "publish"]) == 0  # the first sync: nothing to publish yet
    assert main([*options, "approve", str(candidate)]) == 0
    run_killed("digest.publish.git:GitClone.push", "after", [*options, "publish"], tmp_path)
    pushed = remote.head()
    assert remote.commits()[0].startswith("Add 1 paper: ")
    capsys.readouterr()
    assert main([*options, "publish"]) == 0
    assert main([*options, "publish", "--status"]) == 0
    status = capsys.readouterr().out
    assert f"last published: {pushed}" in status and "pending decisions: 0" in status, status
    assert remote.head() == pushed  # nothing pushed twice


def test_a_publish_killed_after_writing_the_list_in_its_clone_is_not_kept_as_a_hand_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest publish` killed after it wrote the list into its clone, before it committed it: the next publish said
    the clone "held an edit by hand of README.md, not committed" and kept the service's own write as
    clone.hand-edit.patch.1, for a maintainer to apply. It now knows its own write and publishes without a word."""
    from tests.factories import insert_candidate, real_papers
    from tests.git_remote import make_remote, publish_config

    remote = make_remote(tmp_path)
    settings = make_settings(tmp_path / "data", publish_config(remote.url))
    database = open_service_database(settings)
    try:
        candidate = insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()
    options = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(settings.data_dir)]
    assert main([*options, "approve", str(candidate)]) == 0
    run_killed("digest.publish.clone_writes:write_list_file", "after", [*options, "publish"], tmp_path)
    assert remote.commits() == ["The list"]
    capsys.readouterr()
    assert main([*options, "publish"]) == 0
    said = capsys.readouterr()
    assert said.out.startswith("published ") and "by hand" not in said.err, said
    assert not list((settings.data_dir / "publish").glob("clone.hand-edit.patch*"))
    assert remote.readme().count(f"(https://arxiv.org/abs/{real_papers()[0]['arxiv_id']})") == 2  # title and badge


def test_a_database_held_by_a_paused_process_is_said_so_with_what_to_do(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process paused (Ctrl-Z, `docker pause`) or hung inside a write holds SQLite's lock: every decision then
    failed after the busy timeout with SQLite's "database is locked" alone, which says neither what holds it nor
    what to do."""
    import sqlite3

    from digest.storage import failures
    from tests.factories import insert_candidate, real_papers

    monkeypatch.setattr(failures, "BUSY_TIMEOUT_MS", 1000)  # the wait, not the words: the lock is held throughout
    settings = make_settings(data_dir)
    database = open_service_database(settings)
    try:
        candidate = insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()
    holder = sqlite3.connect(data_dir / "digest.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a sqlite3 shell left inside a transaction
    try:
        assert main(["--data-dir", str(data_dir), "approve", str(candidate)]) == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "database is locked" in error, error
    assert "another process has held its write lock" in error and "fuser" in error and "Try again" in error
    assert main(["--data-dir", str(data_dir), "approve", str(candidate)]) == 0  # nothing was half-written


def test_the_export_a_killed_decision_asks_for_is_not_taken_for_a_hand_edit_nor_loses_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A decision whose list.md was never written (killed after its commit; the same as a full disk, whose line says
    to run `digest list export -o data/list.md`). The export it asks for wrote the file without noting it as the
    service's own, so the next decision said "list.md was edited since the service last wrote it, and the edit is not
    in the database", and kept the service's own file as a hand edit (list.md.edited.1, which pushes the oldest real
    one out). And an export over a hand edit not imported yet replaced it without a copy."""
    from tests.factories import insert_candidate, real_papers

    settings = make_settings(tmp_path / "data")
    database = open_service_database(settings)
    try:
        first, second = (insert_candidate(database, record) for record in real_papers()[:2])
    finally:
        database.dispose()
    data, path = settings.data_dir, settings.list_markdown_path
    run_killed(
        "digest.awesome.listfile:write_list_markdown",
        "before",
        ["--data-dir", str(data), "approve", str(first)],
        tmp_path,
    )
    assert real_papers()[0]["title"] not in path.read_text(encoding="utf-8")  # the decision is in, the file behind
    capsys.readouterr()
    assert main(["--data-dir", str(data), "list", "export", "-o", str(path)]) == 0
    assert main(["--data-dir", str(data), "approve", str(second)]) == 0
    captured = capsys.readouterr()
    said = captured.out + captured.err + caplog.text
    assert "was edited since" not in said, said
    assert sorted(found.name for found in data.glob("list.md*")) == ["list.md"]
    assert all(record["title"] in path.read_text(encoding="utf-8") for record in real_papers()[:2])

    edited = path.read_text(encoding="utf-8").replace("## ", "## Edited by hand: ", 1)
    path.write_text(edited, encoding="utf-8")
    assert main(["--data-dir", str(data), "list", "export", "-o", str(path)]) == 0
    assert (data / "list.md.edited.1").read_text(encoding="utf-8") == edited
    assert "Edited by hand" not in path.read_text(encoding="utf-8")


def test_a_publish_killed_after_its_push_then_a_hand_edit_on_top_still_shows_its_push(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest publish` killed after the push, before it was recorded, and a maintainer committed a hand edit on top
    before the next publish: the decisions counted as synced but `digest publish --status` went on naming the commit
    before as the last published. The service's own commit under the maintainer's is now recorded."""
    from tests.factories import insert_candidate, real_papers
    from tests.git_remote import TYPO_NEW, TYPO_OLD, make_remote, publish_config

    remote = make_remote(tmp_path)
    settings = make_settings(tmp_path / "data", publish_config(remote.url))
    database = open_service_database(settings)
    try:
        first, second = (insert_candidate(database, paper) for paper in real_papers()[:2])
    finally:
        database.dispose()
    options = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(settings.data_dir)]
    assert main([*options, "approve", str(first)]) == 0
    assert main([*options, "publish"]) == 0
    before = remote.head()
    assert main([*options, "approve", str(second)]) == 0
    run_killed("digest.publish.git:GitClone.push", "after", [*options, "publish"], tmp_path)
    pushed = remote.head()
    assert pushed != before and remote.commits()[0].startswith("Add 1 paper: ")
    remote.push_edit(TYPO_OLD, TYPO_NEW)
    capsys.readouterr()
    assert main([*options, "publish"]) == 0
    assert main([*options, "publish", "--status"]) == 0
    status = capsys.readouterr().out
    assert f"last published: {pushed}" in status and "pending decisions: 0" in status, status
    assert remote.commits()[0] == "Fix a typo by hand"  # nothing pushed twice
