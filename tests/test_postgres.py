"""The whole service on a real PostgreSQL server (loopback, throwaway cluster): the README's promise that a
`postgresql+psycopg://` URL serves a larger deployment. Each test gets an empty database of its own.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, inspect, select, text

from digest.arxiv.poll_pass import run_poll
from digest.awesome import store as liststore
from digest.cli import main
from digest.config import Settings
from digest.relevance.stream import ensure_thresholds
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, AlreadyDecidedError
from digest.service.process import Service
from digest.service.wiring import open_service_database
from digest.storage.db import Database, create_database_engine, open_database
from digest.storage.models import Candidate, Decision, Paper
from digest.storage.state import PollRun, RelevanceState
from digest.weekly.contents import load_digest
from digest.weekly.ledger import claim_week, week_state
from digest.weekly.rendering import render
from digest.weekly.store import run_weekly_job
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.feedbuild import build_rss, load_records
from tests.postgres_server import PostgresServer, postgres_server, postgres_url, silent_server  # noqa: F401  (fixtures)
from tests.test_service import stored_jobs, wait_settled
from tests.web_server import SECRETS_ENV, running_site
from tests.weekly_data import APPROVED_IN_WEEK, PAPERS, WEEK, fill_week

RELEVANT = ["2506.04706", "2504.11695", "2505.14071"]  # real multimodal-interpretability papers not in the list
UNRELATED = ["2601.06959", "2601.07648"]
ANN = Actor("ann", "1001", "cli")


def pg_settings(tmp_path: Path, url: str, config: str = "", **environ: str) -> Settings:
    return make_settings(tmp_path / "data", config, environ={"DIGEST_DATABASE_URL": url, **environ})


@pytest.fixture
def settings(tmp_path: Path, postgres_url: str) -> Settings:  # noqa: F811
    return pg_settings(tmp_path, postgres_url, '[arxiv]\ncontact = "maintainers@example.org"\n')


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    db = open_service_database(settings)
    yield db
    db.dispose()


def rss(*ids: str) -> bytes:
    by_id = {record["arxiv_id"]: record for record in load_records()}
    return build_rss("cs.CV", [by_id[i] for i in ids], datetime(2026, 4, 27).date())


def test_a_new_database_is_migrated_seeded_and_exports_the_list_byte_for_byte(
    database: Database, settings: Settings
) -> None:
    assert database.engine.dialect.name == "postgresql"
    assert {"alembic_version", "candidates", "papers", "entries", "weekly_digests", "revoked_sessions"} <= set(
        inspect(database.engine).get_table_names()
    )
    seed = settings.seed_list.read_bytes()
    with database.reading() as session:
        assert session.scalar(text("SELECT version_num FROM alembic_version")) == "0026"
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
    assert (report.entries_total, report.sections_total) == (72, 17)
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


@pytest.mark.asyncio
async def test_oversized_feed_fields_do_not_block_the_source(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    # PostgreSQL refuses a string longer than its column (SQLite stores it): one hostile item must not make every
    # poll of the source fail. Crafted from real records: a 900-character title, a long announce type and old-style ID
    # (no archive arXiv ever had: that item is skipped in one line, the others kept).
    by_id = {record["arxiv_id"]: record for record in load_records()}
    long_title = {**by_id["2504.11695"], "title": " / ".join([by_id["2504.11695"]["title"]] * 9)}
    long_type = {**by_id["2505.14071"], "announce_type": "replace-cross" * 4}
    long_id = {**by_id["2506.04706"], "arxiv_id": "physics" + "-x" * 20 + "/0101001"}
    body = build_rss("cs.CV", [long_title, long_type, long_id], datetime(2026, 4, 27).date())
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        settings = pg_settings(tmp_path, postgres_url, '[arxiv]\ncontact = "maintainers@example.org"\n')
        database = await asyncio.to_thread(open_service_database, settings)
        try:
            summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
            with database.reading() as session:
                stored = {c.title[:40]: c for c in session.scalars(select(Candidate))}
        finally:
            database.dispose()
    assert summary.sources[0].outcome == "fetched", summary.sources[0].message
    assert len(stored) == 2
    assert any("is no arXiv ID arXiv can have issued" in problem for problem in summary.sources[0].problems)
    titled = stored[long_title["title"][:40]]
    # Cut to 300 characters with an ellipsis (216f26e), the paper kept.
    assert titled.title.endswith("…") and long_title["title"].startswith(titled.title[:-1])
    assert 250 <= len(titled.title) <= 301 and len(titled.title_key) <= 500
    assert all(len(c.arxiv_id) <= 32 and len(c.announce_type or "") <= 32 for c in stored.values())


def test_a_hand_edited_list_with_long_free_text_imports_or_says_why(database: Database, settings: Settings) -> None:
    seed = settings.seed_list.read_text(encoding="utf-8")
    note = "(Mar. 18, 2025; accepted at a workshop, with a long note the maintainers wrote by hand here)"
    edited = seed.replace(
        "(https://arxiv.org/abs/2503.13891) (Mar. 18, 2025)", f"(https://arxiv.org/abs/2503.13891) {note}"
    )
    assert edited != seed
    with database.transaction() as session:
        report = liststore.import_markdown(session, edited.encode("utf-8"), source="edited.md")
    assert report.changed
    with database.reading() as session:
        assert liststore.render_markdown(session, settings.templates_dir) == edited

    probing = next(line for line in seed.splitlines() if line.startswith("### ") and line.endswith(" Probing"))
    long_heading = seed.replace(probing + "\n", probing + " and more probing" * 12 + "\n", 1)
    with (
        pytest.raises(liststore.ListFormatError, match="over 200 characters; shorten it"),
        database.transaction() as session,
    ):
        liststore.import_markdown(session, long_heading.encode("utf-8"), source="long.md")
    with database.reading() as session:
        assert liststore.render_markdown(session, settings.templates_dir) == edited  # nothing half-written


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


def test_two_services_on_one_postgresql_database_are_refused_even_from_two_data_folders(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """The data folder's flock cannot see a second folder; the advisory lock on the shared database does, and
    it goes when the first service lets go (its session closed, not parked in the pool)."""
    from digest.storage.datalock import DataLockError, lock_data_folder, lock_database

    first_settings = pg_settings(tmp_path / "one", postgres_url)
    second_settings = pg_settings(tmp_path / "two", postgres_url)
    first_db, second_db = open_service_database(first_settings), open_service_database(second_settings)
    try:
        first = lock_data_folder(first_settings.data_dir)
        lock_database(first, first_db)
        second = lock_data_folder(second_settings.data_dir)  # another folder: its own flock is free
        with pytest.raises(DataLockError, match=r"another digest service \(pid \d+\) is running on this PostgreSQL"):
            lock_database(second, second_db)
        first.release()
        lock_database(second, second_db)  # free again once the first one let go
        second.release()
    finally:
        first_db.dispose()
        second_db.dispose()


_TERMS = ["sparse autoencoder", "logit lens", "attention head", "activation patching", "circuit discovery",
          "probing classifier", "steering vector", "neuron analysis", "causal tracing", "representation engineering",
          "feature attribution", "mechanistic interpretability", "superposition", "dictionary learning"]  # fmt: skip
_MODALITIES = [
    "multimodal",
    "vision-language",
    "vision language model",
    "VLM",
    "MLLM",
    "LVLM",
    "CLIP",
    "image",
    "video",
]
_CATEGORIES = ["cs.CV", "cs.CL", "cs.LG", "cs.AI", "cs.MM", "eess.IV", "cs.SD", "eess.AS", "stat.ML", "cs.NE", "cs.IR",
               "cs.HC", "cs.RO", "cs.CY", "q-bio.NC"]  # fmt: skip
LONG_QUERY = (
    "(" + " OR ".join(f'abs:"{term}"' for term in _TERMS) + ") AND ("
    + " OR ".join(f'abs:"{modality}"' for modality in _MODALITIES) + ") AND ("
    + " OR ".join(f"cat:{c}" for c in _CATEGORIES)
    + ")"
)  # fmt: skip


@pytest.mark.asyncio
async def test_a_long_api_query_polls_on_postgresql_as_on_sqlite(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    """An [[api]] query of some 800 characters: its URL, the feed's key, is over 1,000 characters, which PostgreSQL
    refused on every poll ("value too long for type character varying(1000)") while SQLite took it."""
    import shutil

    from digest import resources

    assert 600 < len(LONG_QUERY) < 1000
    outcomes = {}
    async with ArxivServer() as server:
        api = server.serve_file("/api/query", "api/api_new_cat-cs.LG-OR-cs.AI_2026-04-30_20entries.xml")
        for name, url in (("sqlite", None), ("postgresql", postgres_url)):
            feeds = tmp_path / name / "feeds"
            feeds.mkdir(parents=True)
            shutil.copy(resources.feeds_dir() / "rules.toml", feeds / "rules.toml")
            (feeds / "sources.toml").write_text(f"feeds = []\n\n[[api]]\nsearch_query = '{LONG_QUERY}'\n")
            config = f'feeds_dir = "{feeds}"\n[arxiv]\ncontact = "qa@example.org"\napi_url = "{api}"\n'
            settings = make_settings(tmp_path / name / "data", config, {"DIGEST_DATABASE_URL": url} if url else {})
            database = open_service_database(settings)
            try:
                summary = await run_poll(settings, database, clock=FakeClock())
            finally:
                database.dispose()
            outcomes[name] = (summary.outcome, summary.sources[0].message)
            assert len(summary.sources[0].source) > 1000
    assert outcomes["postgresql"] == outcomes["sqlite"] and outcomes["sqlite"][0] == "ok", outcomes


def _end_lock_session(url: str) -> int:
    """What a server restart or a failover does to the session holding the service's advisory lock. The session is
    found in pg_locks, not through the service's lock object: the service may be taking the lock again meanwhile (its
    new session holds it before the object names that session), and the old session is gone already. How many sessions
    were ended: none while the service is between two."""
    from digest.storage.datalock import ADVISORY_KEY

    admin = create_database_engine(url)
    try:
        with admin.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
                ),
                {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFF_FFFF},
            ).all()
            connection.commit()
    finally:
        admin.dispose()
    return len(ended)


def _take_over(other: Any, other_database: Database, url: str) -> None:
    """The first service's session ends and a second service starts meanwhile. The first checks its lock every
    fraction of a second here, so it may take the lock back first: then the session is ended again."""
    from digest.storage.datalock import DataLockError, lock_database

    for _ in range(20):
        _end_lock_session(url)
        try:
            lock_database(other, other_database)
            return
        except DataLockError:
            time.sleep(0.05)
    raise AssertionError("the first service took its lock back twenty times before the second could take it")


def test_a_service_whose_lock_session_ended_takes_the_lock_again(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    """The lock's session ends under the first service; its next check takes the lock again, so a second service
    on the same database is still refused (it used to start beside the first: two schedulers)."""
    from digest.storage.datalock import DataLockError, lock_data_folder, lock_database, recheck_database_lock

    database, other = open_database(postgres_url), open_database(postgres_url)
    first, second = lock_data_folder(tmp_path / "a"), lock_data_folder(tmp_path / "b")
    try:
        lock_database(first, database)
        assert recheck_database_lock(first, database) is True
        assert _end_lock_session(postgres_url) == 1
        assert recheck_database_lock(first, database) is True
        with pytest.raises(DataLockError, match="another digest service"):
            lock_database(second, other)
    finally:
        second.release()
        first.release()
        other.dispose()
        database.dispose()


@pytest.mark.asyncio
async def test_when_another_service_took_the_lock_the_schedule_pauses_until_it_is_free(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING

    from digest import health
    from digest.storage.datalock import lock_data_folder

    async with ArxivServer() as arxiv:
        feed = arxiv.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml")
        bare = tmp_path / "list.git"
        subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
        config = (
            f'[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0.01\n'
            f'api_url = "http://127.0.0.1:9/api/query"\n[publish]\nrepository = "{bare.as_uri()}"\n'
        )
        settings = pg_settings(tmp_path, postgres_url, config)
        service = Service(settings)
        service.lock_check_seconds = 0.2
        await service.start(serve_web=False)
        other_database = open_database(postgres_url)
        other = lock_data_folder(tmp_path / "other")
        try:
            await wait_settled(service)
            assert service._data_lock is not None and service.scheduler is not None
            await asyncio.to_thread(_take_over, other, other_database, postgres_url)
            for _ in range(100):  # the schedule pauses first, then the publisher stops
                if service.scheduler.state == STATE_PAUSED and service.publisher is None:
                    break
                await asyncio.sleep(0.1)
            (component,) = [c for c in health.components() if c.name == "database"]
            assert service.scheduler.state == STATE_PAUSED and service.publisher is None  # nor does it push
            assert not component.ok and "schedule, Discord and publishing paused" in component.message
            other.release()  # the second one stops: the first takes its lock back and its schedule runs again
            for _ in range(100):
                if service.scheduler.state == STATE_RUNNING and service.publisher is not None:
                    break
                await asyncio.sleep(0.1)
            assert service.scheduler.state == STATE_RUNNING and service.publisher is not None
            assert [c.ok for c in health.components() if c.name == "database"] == [True]
        finally:
            other.release()
            other_database.dispose()
            await service.stop()


def test_a_refusal_never_names_a_service_of_another_database_on_the_same_server(
    tmp_path: Path,
    postgres_server: Any,  # noqa: F811
    postgres_url: str,  # noqa: F811
) -> None:
    """pg_locks and pg_stat_activity list every database of the server: a service refused on its own database named
    the service of another deployment on the same server, and told to end its session with pg_terminate_backend, which
    would have stopped the wrong service. Only a holder of this database's own lock is named now."""
    from digest.storage.datalock import ADVISORY_KEY, DataLockError, lock_data_folder, lock_database

    with postgres_server.fresh_database() as elsewhere_url:
        elsewhere_settings = pg_settings(tmp_path / "elsewhere", elsewhere_url)
        elsewhere = open_service_database(elsewhere_settings)
        ours = open_service_database(pg_settings(tmp_path / "ours", postgres_url))
        holder = create_database_engine(postgres_url)
        try:
            other_lock = lock_data_folder(elsewhere_settings.data_dir)
            lock_database(other_lock, elsewhere)  # another deployment's service, on its own database
            other_backend = other_lock.connection.execute(text("SELECT pg_backend_pid()")).scalar()
            with holder.connect() as session:  # this database's lock, held by a session of no name
                session.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
                session.commit()
                mine = lock_data_folder(tmp_path / "ours" / "data")
                with pytest.raises(DataLockError) as refused:
                    lock_database(mine, ours)
                mine.release()
            other_lock.release()
        finally:
            holder.dispose()
            ours.dispose()
            elsewhere.dispose()
    assert "is running on this PostgreSQL database" in str(refused.value)
    assert f"pg_terminate_backend({other_backend})" not in str(refused.value), refused.value


def test_a_server_that_is_down_is_one_line_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PostgreSQL server stopped for maintenance (or a wrong port): every command answered with two lines, the
    driver's "Is the server running on that host and accepting TCP/IP connections?" on a tab-indented line of its
    own, which log collectors take for a second message. Now one line, naming the server but never the password."""
    pytest.importorskip("psycopg")
    with socket.socket() as probe:  # a port nothing listens on once closed: a server that is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DIGEST_DATABASE_URL", f"postgresql+psycopg://digest:S3cret-pw@127.0.0.1:{port}/digest")
    for command in (["candidates"], ["history"], ["list", "export"], ["approve", "1"]):
        capsys.readouterr()
        assert main(["--data-dir", str(tmp_path / "data"), *command]) == 1
        error = capsys.readouterr().err.strip()
        assert error.count("\n") == 0, error
        assert f"127.0.0.1:{port}" in error and "Connection refused" in error and "S3cret" not in error


@pytest.mark.parametrize(("in_url", "bound"), [("", 10.0), ("?connect_timeout=3", 3.0)])
def test_a_server_that_accepts_and_never_answers_fails_the_command_within_the_connect_timeout(
    tmp_path: Path, in_url: str, bound: float
) -> None:
    """A PostgreSQL host that takes the connection and then says nothing (a hung server, a firewall that swallows
    packets past the handshake): every command and every page view waited psycopg's default of 130 seconds before
    failing. Now the connection is given up after 10 seconds with one line; a connect_timeout written in the URL is
    the user's and is kept."""
    pytest.importorskip("psycopg")
    with silent_server() as (port, held):  # accepts, reads nothing, answers nothing
        environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        environment["DIGEST_DATABASE_URL"] = f"postgresql+psycopg://digest:S3cret-pw@127.0.0.1:{port}/digest{in_url}"
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "digest", "--data-dir", str(tmp_path / "data"), "candidates"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=bound + 30,
            check=False,
        )
    elapsed = time.monotonic() - started
    assert held, "the command never connected"
    assert done.returncode == 1, done.stderr
    error = done.stderr.strip()
    assert error.count("\n") == 0 and "Traceback" not in error, error
    assert f"127.0.0.1:{port}" in error and "timeout" in error and "S3cret" not in error, error
    assert bound - 1 <= elapsed < bound + 15, elapsed


@pytest.mark.parametrize("encoding", ["SQL_ASCII", "LATIN1"])
def test_a_database_not_in_utf8_is_refused_in_one_line_before_anything_is_written(
    tmp_path: Path,
    postgres_server: PostgresServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    encoding: str,
) -> None:
    """`createdb` on a cluster set up under the C locale makes SQL_ASCII databases, and a LATIN1 one is a typo away.
    On SQL_ASCII every command ended in a traceback from SQLAlchemy's first query (the driver handed back bytes); on
    LATIN1 the first start failed importing the bundled list (its headings carry emoji) with a UnicodeEncodeError
    traceback. Now one line says what the database is and how to create one that holds every title."""
    with postgres_server.fresh_database(encoding) as url:
        monkeypatch.setenv("DIGEST_DATABASE_URL", url)
        for command in (["candidates"], ["list", "export"]):
            capsys.readouterr()
            assert main(["--data-dir", str(tmp_path / "data"), *command]) == 1
            error = capsys.readouterr().err.strip()
            assert error.count("\n") == 0, error
            assert f"is in the encoding {encoding}, not UTF8" in error and "createdb -E UTF8 -T template0" in error
        engine = create_database_engine(url)
        try:
            assert inspect(engine).get_table_names() == []  # nothing was written
        finally:
            engine.dispose()


def test_an_even_split_of_date_styles_dates_the_first_entry_of_an_empty_section_as_on_sqlite(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """The list writes its dates (and bullets) two ways as often: the first entry of an empty section is written the
    way of the list's first entry, as on SQLite, not of the row PostgreSQL's heap gives first (a hand edit moves a row
    to its end)."""
    text = (
        "# X\n\n## Older\n\n+ [Old paper](https://example.org/old) (2025-03-01)\n"
        "- [Other paper](https://example.org/other) (Mar. 2, 2025)\n\n## Vision\n"
    )
    seed = tmp_path / "seed.md"
    seed.write_text(text, encoding="utf-8")
    settings = pg_settings(tmp_path, postgres_url, f'seed_list = "{seed}"\n')
    database = open_service_database(settings)
    try:
        edited = text.replace("Old paper", "Old paper, typo fixed")  # the maintainers fix a typo in the first entry
        with database.transaction() as session:
            liststore.import_markdown(session, edited.encode("utf-8"), source="edited.md")
        record = dict(real_papers()[5], published="2025-05-01")
        candidate_id = insert_candidate(database, record)
        Reviewer(database, settings).decide(candidate_id, "approve", ANN, section="Vision")
        with database.reading() as session:
            written = liststore.render_markdown(session, settings.templates_dir)
    finally:
        database.dispose()
    added = [line for line in written.splitlines() if record["title"] in line]
    assert len(added) == 1 and added[0].rstrip().endswith("(2025-05-01)"), added  # was: '(May. 1, 2025)'
    assert added[0].startswith("+ ["), added  # the bullet likewise; was: '- ['


@pytest.mark.asyncio
@pytest.mark.parametrize("status", ["pending", "rejected"])
async def test_the_review_pages_keyset_reads_every_candidate_once_on_postgresql(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    status: str,
) -> None:
    """/review's "older" link pages by the last card's keys (tests/test_browser_review_paging.py on SQLite): on
    PostgreSQL, which sorts NULLs and ties its own way, the pages hold every candidate once, in the page's order."""
    import html
    import re

    from tests.test_browser_review_paging import QUEUE, long_queue
    from tests.web_server import sign_in

    settings = pg_settings(tmp_path, postgres_url, **SECRETS_ENV)
    async with running_site(settings) as site:
        ids = long_queue(site, **({} if status == "pending" else {"status": status}))
        if status != "pending":
            with site.database.transaction() as session:
                for number, candidate_id in enumerate(ids):
                    session.get_one(Candidate, candidate_id).decided_at = start_of_week() + timedelta(hours=number // 3)
        await sign_in(site)
        seen: list[int] = []
        address: str | None = "/review" + ("" if status == "pending" else f"?status={status}")
        while address is not None:
            async with site.client.get(address) as reply:
                assert reply.status == 200
                page = await reply.text()
            seen += [
                int(number) for number in re.findall(r'<article class="candidate[^"]*" id="candidate-(\d+)"', page)
            ]
            older = re.search(r'id="older" href="([^"]+)"', page)
            address = html.unescape(older.group(1)) if older else None
        with site.database.reading() as session:
            rows = session.execute(select(Candidate.id, Candidate.score, Candidate.first_seen_at, Candidate.decided_at))
            if status == "pending":
                order = [row.id for row in sorted(rows, key=lambda row: (-row.score, row.first_seen_at, row.id))]
            else:
                order = [
                    row.id for row in sorted(rows, key=lambda row: (-row.decided_at.timestamp(), -row.score, row.id))
                ]
    assert len(seen) == QUEUE and seen == order


def start_of_week() -> datetime:
    return datetime(2026, 11, 23, tzinfo=UTC)
