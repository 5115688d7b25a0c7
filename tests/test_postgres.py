"""The whole service on a real PostgreSQL server (loopback, throwaway cluster): the README's promise that a
`postgresql+psycopg://` URL serves a larger deployment. Each test gets an empty database of its own.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from digest.arxiv.poll_pass import run_poll
from digest.awesome import store as liststore
from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.service.process import Service
from digest.service.wiring import open_service_database
from digest.storage.db import Database, open_database
from digest.storage.models import Candidate, Decision, Paper
from digest.storage.state import PollRun
from digest.weekly.contents import load_digest
from digest.weekly.ledger import claim_week, week_state
from digest.weekly.rendering import render
from digest.weekly.store import run_weekly_job
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.postgres_service import ANN, RELEVANT, UNRELATED, pg_settings, rss
from tests.postgres_service import database as database  # the fixture
from tests.postgres_service import settings as settings  # the fixture
from tests.service_runs import stored_jobs, wait_settled
from tests.web_server import SECRETS_ENV, running_site
from tests.weekly_data import APPROVED_IN_WEEK, PAPERS, WEEK, fill_week


def test_a_new_database_is_migrated_seeded_and_exports_the_list_byte_for_byte(
    database: Database, settings: Settings
) -> None:
    assert database.engine.dialect.name == "postgresql"
    assert {"alembic_version", "candidates", "papers", "entries", "weekly_digests", "revoked_sessions"} <= set(
        inspect(database.engine).get_table_names()
    )
    seed = settings.seed_list.read_bytes()
    with database.reading() as session:
        assert session.scalar(text("SELECT version_num FROM alembic_version")) == "0035"
        assert liststore.render_markdown(session, settings.templates_dir).encode("utf-8") == seed
        # JSON columns come back as lists, timestamps with their zone, as on SQLite.
        paper = session.scalars(select(Paper).where(Paper.arxiv_id == "2411.16198")).first()
        assert paper is not None
        assert isinstance(paper.authors, list) and isinstance(paper.other_urls, list)
        assert paper.added_at.utcoffset() == timedelta(0)
    assert settings.list_markdown_path.read_bytes() == seed

    # Re-importing the same bytes is a no-op; opening the database again migrates nothing and imports nothing.
    with database.transaction() as session:
        report = liststore.import_markdown(session, seed, source="again")
    assert not report.changed and (report.added, report.moved, report.removed) == ([], [], [])
    assert (report.entries_total, report.sections_total) == (72, 12)
    again = open_service_database(settings)
    try:
        with again.reading() as session:
            assert session.scalar(select(func.count(Paper.id))) == report.papers_total
            assert liststore.render_markdown(session, settings.templates_dir).encode("utf-8") == seed
    finally:
        again.dispose()


@pytest.mark.asyncio
async def test_a_poll_stores_candidates_and_the_reviewer_decides_them(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=rss(*RELEVANT, *UNRELATED), etag='"cv-0427"'))
        config = f'[arxiv]\ncontact = "maintainers@example.org"\nsources = ["{url}"]\n'
        settings = pg_settings(tmp_path, postgres_url, config)
        database = await asyncio.to_thread(open_service_database, settings)
        try:
            summary = await run_poll(settings, database, clock=FakeClock())
            again = await run_poll(settings, database, clock=FakeClock())
            assert (summary.sources[0].outcome, summary.new_candidates) == ("fetched", 3)
            assert again.sources[0].outcome == "not-modified"
            with database.reading() as session:
                stored = {c.arxiv_id: c for c in session.scalars(select(Candidate))}
                runs = session.scalars(select(PollRun).order_by(PollRun.id)).all()
            assert sorted(stored) == sorted(RELEVANT)
            line = stored["2506.04706"]
            assert line.title == "Line of Sight: On Linear Representations in VLLMs"
            assert line.source_feeds == [url] and line.categories == ["cs.CV"] and line.matched
            assert line.first_seen_at == datetime(2026, 4, 27, 4, 30, tzinfo=UTC)
            assert [run.outcome for run in runs] == ["ok", "ok"] and runs[0].summary["sources"]

            reviewer = Reviewer(database, settings, clock=lambda: datetime(2026, 4, 28, 9, 0, tzinfo=UTC))
            approved = reviewer.decide(line.id, "approve", ANN, "Steering")
            rejected = reviewer.decide(stored["2504.11695"].id, "reject", Actor("bob", None, "web"))
            twice = reviewer.decide(line.id, "approve", Actor("bob", None, "web"), "Steering")
        finally:
            database.dispose()
    assert approved.changed and approved.section == "Steering" and rejected.changed and not twice.changed
    written = settings.list_markdown_path.read_text(encoding="utf-8")
    entry_lines = [n for n, line in enumerate(written.splitlines()) if line.startswith("+ ") and "2506.04706" in line]
    steering = next(n for n, line in enumerate(written.splitlines()) if line.startswith("#") and "Steering" in line)
    assert len(entry_lines) == 1 and entry_lines[0] > steering
    assert "https://arxiv.org/abs/2504.11695" not in written
    database = open_database(settings.database_url)
    try:
        with database.reading() as session:
            decisions = session.execute(select(Decision.action, Decision.actor, Decision.applied).order_by(Decision.id))
            assert list(decisions) == [("approve", "ann", True), ("reject", "bob", True), ("approve", "bob", False)]
            statuses = dict(list(session.execute(select(Candidate.arxiv_id, Candidate.status)).tuples()))
            assert statuses == {"2506.04706": "approved", "2504.11695": "rejected", "2505.14071": "pending"}
            assert liststore.render_markdown(session, settings.templates_dir) == written
    finally:
        database.dispose()


def test_the_weekly_digest_reads_the_week_in_the_maintainers_zone(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    settings = pg_settings(tmp_path, postgres_url, 'timezone = "Europe/Berlin"\n\n[weekly]\npending_top = 3\n')
    database = open_service_database(settings)
    try:
        fill_week(database, settings)
        with database.reading() as session:
            digest = load_digest(session, settings, WEEK, edition="maintainers")
            markdown = render(digest, settings.templates_dir, "digest.md.j2")
        result = run_weekly_job(settings, database, datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
        # Exactly once rests on a conditional UPDATE: the second claim of the same week must lose.
        now = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)
        first, second = claim_week(database, str(WEEK), now), claim_week(database, str(WEEK), now)
        # The other edition's row is its own (a composite primary key since migration 0007).
        other = claim_week(database, str(WEEK), now, edition="maintainers")
        with database.reading() as session:
            state = week_state(session, str(WEEK))
            other_state = week_state(session, str(WEEK), "maintainers")
    finally:
        database.dispose()
    assert "3 new papers joined the list this week." in markdown  # Monday 00:30 in Berlin counts, as on SQLite
    for arxiv_id, _, _ in APPROVED_IN_WEEK:
        assert f"https://arxiv.org/abs/{arxiv_id}" in markdown
    assert "- Candidates decided: **4** (3 approved, 1 rejected)" in markdown
    assert "(score 0.91, suggested for *Steering*)" in markdown
    assert result.markdown_paths["maintainers"].read_text(encoding="utf-8") == markdown
    assert result.markdown_path is not None and "Candidates decided" not in result.markdown_path.read_text("utf-8")
    assert (first, second, other) == (True, False, True)
    assert state is not None and (state.status, state.attempts) == ("sending", 1)
    assert other_state is not None and (other_state.edition, other_state.status) == ("maintainers", "sending")
    assert str(PAPERS[APPROVED_IN_WEEK[1][0]]["title"])[:30] in markdown


@pytest.mark.asyncio
async def test_the_web_app_serves_the_feed_and_health(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    settings = pg_settings(tmp_path, postgres_url, **SECRETS_ENV)
    async with running_site(settings) as site:
        async with site.client.get("/feeds/list.xml") as response:
            assert response.status == 200
            feed = await response.text()
        async with site.client.get("/healthz") as response:
            assert (response.status, await response.json()) == (
                200,
                {"status": "ok", "database": "reachable", "last_poll": None, "problems": [], "components": []},
            )
        start = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        with site.database.transaction() as session:
            session.add(PollRun(started_at=start, finished_at=start + timedelta(seconds=40), outcome="ok", summary={}))
        async with site.client.get("/healthz") as response:
            last_poll = (await response.json())["last_poll"]
    assert "<title>Decoding Vision Transformers: the Diffusion Steering Lens</title>" in feed
    assert last_poll["outcome"] == "ok"
    assert last_poll["started_at"].startswith("2026-11-23T12:00:00")  # UTC, whatever the server's zone
    assert last_poll["finished_at"].startswith("2026-11-23T12:00:40")


@pytest.mark.asyncio
@pytest.mark.slow
async def test_the_scheduler_keeps_its_jobs_in_postgresql(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
        settings = pg_settings(
            tmp_path,
            postgres_url,
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\napi_url = "http://127.0.0.1:9/api/query"\n',
        )
        first = Service(settings)
        await first.start(serve_web=False)
        await wait_settled(first)  # never polled: polls once now, to the end
        await first.stop()
        jobs = await asyncio.to_thread(stored_jobs, settings)
        second = Service(settings)
        await second.start(serve_web=False)
        await wait_settled(second)  # start-up decided not to poll, and nothing it started is still running
        await second.stop()
        again = await asyncio.to_thread(stored_jobs, settings)
    assert set(jobs) == {"poll", "poll-retry", "weekly"}
    assert all(when > datetime.now(UTC) for when in jobs.values())
    assert again == jobs  # a restart neither loses nor moves a job
    assert len([r for r in arxiv.requests if r.path == "/rss/cs.CL"]) == 1
    database = open_database(settings.database_url)
    try:
        assert "apscheduler_jobs" in inspect(database.engine).get_table_names()
    finally:
        database.dispose()
