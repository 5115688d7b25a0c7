"""Two processes at once on one PostgreSQL database: a decision waits for another connection's and sees it, and
the first review thresholds are stored once (read committed and row locks, not SQLite's one writer)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from digest.config import Settings
from digest.relevance.stream import ensure_thresholds
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, AlreadyDecidedError
from digest.storage.db import Database, create_database_engine, open_database
from digest.storage.models import Candidate
from digest.storage.state import RelevanceState
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.postgres_service import database as database  # the fixture
from tests.postgres_service import settings as settings  # the fixture


def test_a_decision_committed_by_another_connection_meanwhile_is_seen_not_overwritten(
    database: Database, settings: Settings
) -> None:
    """PostgreSQL's side of the race tests/test_review.py plays on SQLite: another process (the CLI) holds the
    candidate's row while this decision starts, then rejects it; the decision must wait and see the rejection."""
    candidate_id = insert_candidate(database, real_papers()[5])
    started = threading.Event()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM candidates" in statement and "FOR UPDATE" in statement:
            started.set()  # about to wait for the row lock

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM candidates" in statement and "decisions" not in statement:
            started.set()  # read without a lock: the rejection below would be overwritten

    event.listen(database.engine, "before_cursor_execute", before)
    event.listen(database.engine, "after_cursor_execute", after)
    link = Actor("feed approval link", None, "feed")
    other_process = create_database_engine(settings.database_url)  # its own engine, as the CLI would have
    with other_process.connect() as other:
        other.execute(text("SELECT id FROM candidates WHERE id = :id FOR UPDATE"), {"id": candidate_id})
        with ThreadPoolExecutor(max_workers=1) as pool:
            decision = pool.submit(
                Reviewer(database, settings).decide, candidate_id, "approve", link, "Probing", only_pending=True
            )
            assert started.wait(timeout=10)
            other.execute(
                text("UPDATE candidates SET status = 'rejected', decided_by = 'bob' WHERE id = :id"),
                {"id": candidate_id},
            )
            other.commit()
            with pytest.raises(AlreadyDecidedError, match="already rejected by bob"):
                decision.result(timeout=30)
    other_process.dispose()
    with database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        assert candidate is not None and candidate.status == "rejected"


def test_two_processes_fitting_the_first_thresholds_at_once_both_get_the_model(
    database: Database, settings: Settings
) -> None:
    """The first poll on a new database and a `digest add` (or a reader's suggestion) beside it each fit the review
    thresholds, find none stored and store them: the later one failed with 'duplicate key value violates unique
    constraint relevance_state_pkey' (its poll or paper lost) where SQLite's write lock had it find the earlier one's.
    Here the other process fits and stores them while this one is about to store its own."""
    other = open_database(settings.database_url)  # the other process's engine
    watching = create_database_engine(settings.database_url)
    outcome: dict[str, Any] = {}

    def other_fits() -> None:
        try:
            outcome["other"] = ensure_thresholds(other, settings)
        except Exception as exc:
            outcome["other"] = exc

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("INSERT INTO relevance_state") or "thread" in outcome:
            return
        outcome["thread"] = thread = threading.Thread(target=other_fits)
        thread.start()
        waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        for _ in range(300):  # until the other is done, or waits for this one
            with watching.connect() as connection:
                if not thread.is_alive() or connection.scalar(waiting):
                    return
            time.sleep(0.05)

    event.listen(database.engine, "before_cursor_execute", before)
    try:
        model = ensure_thresholds(database, settings)
        outcome["thread"].join(timeout=60)
    finally:
        other.dispose()
        watching.dispose()
    assert not isinstance(outcome["other"], Exception), outcome["other"]
    assert outcome["other"].thresholds == model.thresholds
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(RelevanceState)) == 1
