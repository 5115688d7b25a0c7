"""The window of the stream the review thresholds are re-fitted on after every poll: its newest papers, newest first
(time, then ID), read from the stream's index alone, in a real SQLite database migrated as the service migrates it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from digest.relevance.stream import record_stream, window_query
from digest.relevance.types import PaperText
from digest.service.wiring import open_service_database
from tests.conftest import make_settings

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
