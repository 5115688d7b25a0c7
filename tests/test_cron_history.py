"""What a poll run daily from cron leaves in the database: the runs and the sources' state a later poll or page reads,
not a row more for every day the job has run."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from tests.arxiv_server import ARXIV_DATA, ArxivServer
from tests.cli_runs import RSS, as_cron, polling
from tests.kept_model import with_kept_model

# A year of daily polls before this one, as a database a year old holds them (oldest first, the newest a day ago).
A_YEAR_OF_RUNS = """
WITH RECURSIVE day(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM day WHERE n < 365)
INSERT INTO poll_runs (started_at, finished_at, outcome, summary)
SELECT datetime('now', '-' || n || ' days'), datetime('now', '-' || n || ' days'), 'ok', summary
FROM day, (SELECT summary FROM poll_runs ORDER BY id LIMIT 1) ORDER BY n DESC
"""


def rows(database: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(query).fetchall()


def polled_sources(database: Path) -> list[str]:
    """The sources the database keeps a poll state for."""
    sources = []
    for (source,) in rows(database, "SELECT source FROM feed_state ORDER BY source"):
        assert isinstance(source, str), source
        sources.append(source)
    return sources


@pytest.mark.asyncio
async def test_a_daily_poll_of_a_dated_file_keeps_a_bounded_history(tmp_path: Path, kept_model: Path) -> None:
    """`digest poll --source feeds/2026-04-27.xml` from cron, a file named by its day, kept that file's state for ever
    (no later poll asks it), one row a day; and each poll added a run that nothing deleted. Now the state of a source
    neither configured nor polled for 30 days is forgotten, and the runs older than 90 days but for the newest 50."""
    database = tmp_path / "data" / "digest.sqlite3"
    dated = [tmp_path / f"2026-04-{day}.xml" for day in (27, 28)]
    for path in dated:
        path.write_bytes((ARXIV_DATA / RSS).read_bytes())
    with_kept_model(tmp_path / "data", kept_model)  # the model's build is not what this is about
    async with ArxivServer() as arxiv:
        configured = arxiv.serve_file("/rss/cs.CL", RSS)
        options = polling(tmp_path, [configured])
        for chosen in ((), ("--source", str(dated[0]))):  # the service's poll, and yesterday's file
            done = await asyncio.to_thread(as_cron, tmp_path, *options, "poll", *chosen)
            assert done.returncode == 0, done.stderr
        with sqlite3.connect(database) as connection:  # 40 days on, after a year of daily polls
            connection.execute("UPDATE feed_state SET last_polled_at = datetime(last_polled_at, '-40 days')")
            connection.execute("UPDATE poll_runs SET started_at = datetime(started_at, '-400 days')")
            connection.execute(A_YEAR_OF_RUNS)
        done = await asyncio.to_thread(as_cron, tmp_path, *options, "poll", "--source", str(dated[1]))
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "poll ok: 1 source (1 fetched), 0 new candidates\n")
    assert sorted(polled_sources(database)) == sorted([configured, str(dated[1])])
    [(runs, oldest)] = rows(database, "SELECT count(*), min(julianday('now') - julianday(started_at)) FROM poll_runs")
    [(older,)] = rows(database, "SELECT count(*) FROM poll_runs WHERE started_at < datetime('now', '-90 days')")
    assert (runs, older) == (90, 0), (runs, oldest)  # the 89 runs of the last 90 days, and this one
