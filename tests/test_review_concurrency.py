"""The decision path when two processes (the service and a command, or two hosts on one database) decide at once:
each sees the other's decision, the last made stands, and the list stays whole and in date order."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from digest.awesome import store as liststore
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, AlreadyDecidedError
from digest.service.wiring import open_service_database
from digest.storage.db import Database, open_database
from digest.storage.models import Candidate, Entry
from tests.discord_bot import section_of
from tests.factories import insert_candidate, real_papers
from tests.list_edits import ANN
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.reviews import reviewer_for


def test_a_decision_committed_by_another_process_meanwhile_is_seen_not_overwritten(
    database: Database, settings: Settings
) -> None:
    """Two processes on one SQLite file (the CLI and the service): a decision must read the candidate under the write
    lock, or it approves what another process rejected a moment before. The other process is a plain sqlite3
    connection here, holding the write lock while this decision starts, then rejecting the candidate."""
    paper = real_papers()[5]
    candidate_id = insert_candidate(database, paper)
    other = sqlite3.connect(make_url(settings.database_url).database or "", isolation_level=None, timeout=10)
    other.execute("BEGIN IMMEDIATE")
    started = threading.Event()

    def signal_start(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The decision is under way: about to wait for the lock, or (reading before locking) done reading.
        if statement.startswith("BEGIN") or ("FROM candidates" in statement and "decisions" not in statement):
            started.set()

    event.listen(database.engine, "before_cursor_execute", signal_start)
    event.listen(database.engine, "after_cursor_execute", signal_start)
    link = Actor("feed approval link", None, "feed")
    with ThreadPoolExecutor(max_workers=1) as pool:
        decision = pool.submit(
            reviewer_for(database, settings).decide, candidate_id, "approve", link, "Probing", only_pending=True
        )
        assert started.wait(timeout=10)
        other.execute("UPDATE candidates SET status = 'rejected', decided_by = 'bob' WHERE id = ?", (candidate_id,))
        other.execute("COMMIT")
        with pytest.raises(AlreadyDecidedError, match="already rejected by bob"):
            decision.result(timeout=30)
    other.close()
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.status == "rejected"
        markdown = liststore.render_markdown(session, settings.templates_dir)
    assert paper["arxiv_id"] not in markdown


def test_the_decision_that_stands_is_the_last_made_even_after_the_clock_went_back(
    database: Database, settings: Settings
) -> None:
    """Ann approves at 12:00; the clock is stepped back half an hour (NTP, a restored VM, a second host on the same
    PostgreSQL) and Bob rejects: Bob's rejection is what stands, so Ann taking her ✅ back later changes nothing."""
    from datetime import timedelta

    from digest.review.queries import latest_decision

    candidate_id = insert_candidate(database, real_papers()[0])
    now = [datetime(2026, 11, 24, 12, 0, tzinfo=UTC)]
    reviewer = Reviewer(database, settings, clock=lambda: now[0])
    reviewer.decide(candidate_id, "approve", Actor("ann", "1001", "discord"))
    now[0] -= timedelta(minutes=30)
    reviewer.decide(candidate_id, "reject", Actor("bob", None, "cli"))
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        latest = latest_decision(session, candidate_id)
        assert candidate is not None and candidate.status == "rejected"
        assert latest is not None and (latest.action, latest.actor) == ("reject", "bob")


def test_list_md_ends_on_the_newest_state_when_two_processes_decide_at_once(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's decision renders list.md, then is slow to write it; meanwhile `digest approve` commits another
    decision and writes. The file must end holding both (the older rendering used to land last)."""
    import digest.awesome.store as store_module
    from digest.awesome.listfile import write_list_markdown as original

    first, second = (insert_candidate(database, record) for record in real_papers()[:2])
    service, shell = Reviewer(database, settings), Reviewer(database, settings)  # each process its own Reviewer
    rendered_first, second_committed = threading.Event(), threading.Event()

    def slow_first_write(path: Any, text: str, entries: int | None = None, **options: Any) -> Any:
        if threading.current_thread().name == "service":
            rendered_first.set()
            second_committed.wait(5)
        return original(path, text, entries, **options)

    monkeypatch.setattr(store_module, "write_list_markdown", slow_first_write)
    workers = [
        threading.Thread(target=service.decide, args=(first, "approve", Actor("ann", "1", "discord")), name="service")
    ]
    workers[0].start()
    assert rendered_first.wait(10)
    workers.append(threading.Thread(target=shell.decide, args=(second, "approve", Actor("bob", None, "cli"))))
    workers[1].start()
    for _ in range(100):
        with database.reading() as session:
            candidate = session.get(Candidate, second)
            if candidate is not None and candidate.status == "approved":
                break
        threading.Event().wait(0.05)
    threading.Event().wait(0.3)  # the shell's write, without the lock, would be done by now
    second_committed.set()
    for worker in workers:
        worker.join(10)
    with database.reading() as session:
        expected = liststore.render_markdown(session, settings.templates_dir)
    assert settings.list_markdown_path.read_text(encoding="utf-8") == expected


def _paused_before_writing_entries(database: Database, reached: threading.Event, resume: threading.Event) -> None:
    """This process's decision reads the section's entries, then waits (at most 3 s) before its first write to them:
    the window in which another process's decision may run."""

    def pause(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        writes = ("INSERT INTO entries", "UPDATE entries", "DELETE FROM entries")
        paused = threading.current_thread().name == "paused" and statement.lstrip().startswith(writes)
        if paused and not reached.is_set():
            reached.set()
            resume.wait(3)

    event.listen(database.engine, "before_cursor_execute", pause)


@pytest.mark.parametrize("first_action", ["approve", "reject"])
def test_two_processes_changing_one_section_at_once_keep_the_list_whole_and_in_date_order(
    tmp_path: Any,
    each_database: dict[str, str],  # noqa: F811
    first_action: str,
) -> None:
    """The service approves a paper into a section while `digest approve` (or `reject`) changes the same section: each
    renumbers the section's entries from what it read. On PostgreSQL the later one used to renumber from a list
    without the other's change: two entries at one place (their order in list.md then the database's whim), or a
    crash on an entry the other had just taken out ("expected to update 1 row(s); 0 were matched")."""
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "data", environ=each_database)
    service_db, shell_db = open_service_database(settings), open_database(settings.database_url)
    newer, older = real_papers()[0], real_papers()[3]  # May and February 2025: newest first in the section
    newer_id = insert_candidate(service_db, newer)
    older_id = insert_candidate(service_db, older)
    if first_action == "reject":  # the shell takes out an entry the service's renumbering reads
        Reviewer(service_db, settings).decide(older_id, "approve", ANN, "Sparse Autoencoder")
    reached, resume = threading.Event(), threading.Event()
    _paused_before_writing_entries(service_db, reached, resume)
    outcomes: list[object] = []

    def service_decides() -> None:
        try:
            outcomes.append(Reviewer(service_db, settings).decide(newer_id, "approve", ANN, "Sparse Autoencoder"))
        except Exception as exc:
            outcomes.append(exc)

    service = threading.Thread(target=service_decides, name="paused")
    service.start()
    assert reached.wait(10)
    shell = threading.Thread(
        target=Reviewer(shell_db, settings).decide,
        args=(older_id, first_action, Actor("bob", None, "cli"), "Sparse Autoencoder"),
    )
    shell.start()
    shell.join(1)  # done by now unless it waits for the service's decision
    resume.set()
    service.join(15)
    shell.join(15)
    with service_db.reading() as session:
        markdown = liststore.render_markdown(session, settings.templates_dir)
        positions = [(entry.section_id, entry.position) for entry in session.scalars(select(Entry).order_by(Entry.id))]
    service_db.dispose()
    shell_db.dispose()
    assert [type(outcome).__name__ for outcome in outcomes] == ["Outcome"], outcomes
    assert len(positions) == len(set(positions))  # one entry at each place of a section
    section = section_of(markdown, "Sparse Autoencoder")
    assert newer["arxiv_id"] in section
    if first_action == "approve":
        assert older["arxiv_id"] in section
        assert section.index(newer["arxiv_id"]) < section.index(older["arxiv_id"])
    else:
        assert older["arxiv_id"] not in markdown
    assert settings.list_markdown_path.read_text(encoding="utf-8") == markdown
