"""The window of the stream the review thresholds are re-fitted on after every poll: its newest papers, newest first
(time, then ID), read from the stream's index alone, in a real SQLite database migrated as the service migrates it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text

from digest.relevance.stream import record_stream, window_query
from digest.relevance.types import PaperText
from digest.service.wiring import open_service_database
from digest.storage.state import StreamPaper
from tests.conftest import make_settings
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)

POLLS = 3
PER_POLL = 400


def test_the_window_is_the_newest_papers_read_from_the_index_alone(tmp_path: Path) -> None:
    database = open_service_database(make_settings(tmp_path / "data"))
    first = datetime(2026, 4, 27, 20, tzinfo=UTC)
    # Each poll's papers share one time, as a poll stores them; the abstracts are long, as arXiv's are.
    for poll in range(POLLS):
        papers = [(f"2604.{poll:01d}{n:04d}", PaperText(f"Paper {poll}-{n}", "words " * 300)) for n in range(PER_POLL)]
        with database.transaction() as session:
            record_stream(
                session, papers, [float(n) for n in range(PER_POLL)], "model", first + timedelta(days=poll), 10_000
            )
    window = PER_POLL + 10
    with database.reading() as session:
        rows = list(session.execute(window_query(window)).tuples())
        statement = window_query(window).compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " | ".join(row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {statement}")))
    database.dispose()
    newest = [f"2604.{POLLS - 1}{n:04d}" for n in reversed(range(PER_POLL))]
    assert [arxiv_id for arxiv_id, _, _ in rows] == newest + [
        f"2604.{POLLS - 2}{n:04d}" for n in (399, 398, 397, 396, 395, 394, 393, 392, 391, 390)
    ]
    assert rows[0][1:] == (float(PER_POLL - 1), "model")
    assert "COVERING INDEX ix_stream_papers_window" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


# More than a PostgreSQL statement can bind (65,535) and than SQLite's stock build allows (32,766).
STREAM = 70_000


def _stock_sqlite_limit(dbapi_connection: Any, _record: Any) -> None:
    """SQLite as built by default (SQLITE_MAX_VARIABLE_NUMBER 32,766, as python.org's builds have it): Debian's
    library allows 250,000, which would hide the limit here."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)


def test_a_sharply_cut_window_prunes_the_stream_on_each_database(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
) -> None:
    """calibration_window cut from 40,000 to 100: the next poll pruned the 69,800 oldest of 70,000 papers with one
    IN list of as many parameters, and failed ('too many SQL variables' on SQLite, more than 65,535 parameters on
    PostgreSQL), its papers lost, on every poll after. Expected: the stream pruned to twice the window."""
    database = open_service_database(make_settings(tmp_path / "data", environ=each_database))
    event.listen(database.engine, "connect", _stock_sqlite_limit)
    database.engine.dispose()  # connections opened from now on carry the stock limit
    first = datetime(2026, 4, 27, 20, tzinfo=UTC)
    papers = [(f"2604.{n:05d}", PaperText(f"Paper {n}", "")) for n in range(STREAM)]
    with database.transaction() as session:
        record_stream(session, papers, [0.0] * STREAM, "model", first, 40_000)
    later = [(f"2605.{n:05d}", PaperText(f"Paper {n}", "")) for n in range(10)]
    with database.transaction() as session:
        record_stream(session, later, [1.0] * 10, "model", first + timedelta(days=1), 100)
    with database.reading() as session:
        kept = session.scalar(select(func.count()).select_from(StreamPaper))
        newest = [arxiv_id for arxiv_id, _, _ in session.execute(window_query(10)).tuples()]
    database.dispose()
    assert kept == 200
    assert newest == [f"2605.{n:05d}" for n in reversed(range(10))]
